// `condgrad summary`: builds a zoo model and prints its per-layer table of output shapes, parameters and MACs.

import { MODEL_NAMES, type ModelName } from '../nn/models/index.js';
import { BACKEND_USAGE, releaseBackends, selectBackend } from './backend.js';
import { choice, num, type Command } from './command.js';
import { createCheckedModel, DEFAULT_MAX_PARAMS } from './model_size.js';

const CONVERTS = ['none', 'last', 'all'] as const;
const ROUTINGS = ['sigmoid', 'softmax'] as const;

export const summaryCommand: Command = {
  name: 'summary',
  description: "Print a model's layers, output shapes, parameters and MACs per sample.",
  usage: [
    `  --model <name>       ${MODEL_NAMES.join(' | ')} (default cnn)`,
    '  --experts <K>        experts per CondConv layer (default 4)',
    '  --width <w>          channel multiplier (default 1)',
    '  --convert <mode>     none | last | all: stages that use CondConv (default last)',
    '  --routing <kind>     sigmoid | softmax (default sigmoid)',
    '  --input-size <n>     input height = width, at most 1024 (default 28)',
    '  --batch <n>          batch of the probe pass, at most 1024 (default 1)',
    `  --max-params <n>     refuse models with more parameters (default ${DEFAULT_MAX_PARAMS.toLocaleString('en-US')})`,
    BACKEND_USAGE.replace(/<name> +/, '<name>     '),
  ].join('\n'),
  options: {
    model: { type: 'string' },
    experts: { type: 'string' },
    width: { type: 'string' },
    convert: { type: 'string' },
    routing: { type: 'string' },
    'input-size': { type: 'string' },
    batch: { type: 'string' },
    'max-params': { type: 'string' },
    backend: { type: 'string' },
  },
  async run(values, _positionals, io) {
    const name = choice<ModelName>(values, 'model', MODEL_NAMES, 'cnn');
    const inputSize = num(values, 'input-size', 28, { min: 1, max: 1024, integer: true });
    const batch = num(values, 'batch', 1, { min: 1, max: 1024, integer: true });
    const opts = {
      experts: num(values, 'experts', 4, { min: 1, integer: true }),
      width: num(values, 'width', 1, { min: 1e-3 }),
      convert: choice(values, 'convert', CONVERTS, 'last'),
      routing: choice(values, 'routing', ROUTINGS, 'sigmoid'),
      inputSize,
      seed: 0,
    };
    const maxParams = num(values, 'max-params', DEFAULT_MAX_PARAMS, { min: 1, integer: true });
    try {
      await selectBackend(values);
      const model = createCheckedModel('summary', name, opts, maxParams);
      const s = model.summary(model.inputShape, { batch });
      io.out(`${name}\n${s.table}`);
      return 0;
    } finally {
      await releaseBackends();
    }
  },
};
