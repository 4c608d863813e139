// `condgrad export`: writes a zoo model (a trained checkpoint, or a fresh seeded one) as an ONNX file with a symbolic batch.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { readCheckpoint, restoreCheckpoint } from '../nn/checkpoint.js';
import { writeFileAtomic } from '../nn/atomic_write.js';
import { MODEL_NAMES } from '../nn/models/index.js';
import { COND_CONV_FORMULATIONS } from '../nn/onnx/emitter.js';
import { exportOnnx } from '../nn/onnx/export.js';
import { SoftmaxRouter } from '../nn/router.js';
import { choice, given, num, str, UsageError, type Command } from './command.js';
import { buildModel, configFromFlags, temperatureSchedule, type RunConfig } from './train_config.js';

/** Flags that describe the model; with --checkpoint they come from the file instead. */
const MODEL_FLAGS = ['width', 'experts', 'convert', 'routing', 'seed'];

export const exportCommand: Command = {
  name: 'export',
  description: 'Write a model as ONNX (opset 17, symbolic batch): a trained checkpoint, or a fresh seeded zoo model.',
  usage: [
    '  --out <file>              the .onnx file to write (required)',
    '  --checkpoint <file>       a checkpoint written by `condgrad train` (the model and its settings come from it)',
    `  --model <name>            ${MODEL_NAMES.join(' | ')}: without --checkpoint, a fresh model (default cnn);`,
    "                            with it, must name the checkpoint's model",
    "  --width, --experts, --convert, --routing, --seed   the fresh model's settings, as for `condgrad train`",
    `  --cond-conv <form>        ${COND_CONV_FORMULATIONS.join(' | ')}: how CondConv is written (default scan: one Conv per`,
    '                            sample in a Scan over the batch; moe runs all K experts, for comparison)',
    "  --temperature <T>         softmax routing: the temperature to export with (default: the checkpoint's last epoch's, else 1)",
  ].join('\n'),
  options: {
    out: { type: 'string' },
    checkpoint: { type: 'string' },
    model: { type: 'string' },
    width: { type: 'string' },
    experts: { type: 'string' },
    convert: { type: 'string' },
    routing: { type: 'string' },
    seed: { type: 'string' },
    'cond-conv': { type: 'string' },
    temperature: { type: 'string' },
  },
  async run(values, _positionals, io) {
    const out = str(values, 'out');
    if (out === undefined || out === '') throw new UsageError('--out <file> is required');
    const how = choice(values, 'cond-conv', COND_CONV_FORMULATIONS, 'scan');
    const ckFile = str(values, 'checkpoint');
    let config: RunConfig;
    let temperature: number | undefined;
    let source: string;
    let load: ((m: ReturnType<typeof buildModel>) => void) | null = null;
    if (ckFile !== undefined) {
      const extra = MODEL_FLAGS.filter((f) => given(values, f));
      if (extra.length > 0) throw new UsageError(`--${extra.join(', --')} cannot be given with --checkpoint (the model's settings come from it)`);
      const ck = readCheckpoint(ckFile);
      config = configFromFlags({}, ck.config as unknown as RunConfig);
      if (given(values, 'model') && values.model !== config.model) {
        throw new UsageError(`--model ${String(values.model)} does not match ${ckFile}, which holds a ${config.model}`);
      }
      temperature = temperatureSchedule(config)?.value(Math.max(0, ck.epoch - 1));
      load = (m) => restoreCheckpoint(ck, m, undefined, ckFile);
      source = `${ckFile} (epoch ${ck.epoch})`;
    } else {
      config = configFromFlags(values);
      source = `a fresh model (seed ${config.seed})`;
    }
    if (given(values, 'temperature')) {
      if (config.routing !== 'softmax') throw new UsageError('--temperature applies to softmax routing only');
      temperature = num(values, 'temperature', 1, { min: 1e-6 });
    }
    const model = buildModel(config);
    if (load !== null) load(model);
    if (temperature !== undefined) for (const m of model.modules()) if (m instanceof SoftmaxRouter) m.setTemperature(temperature);
    const bytes = exportOnnx(model, { inputShape: model.inputShape, condConv: how });
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileAtomic('export', out, [bytes]);
    const t = temperature !== undefined ? `, softmax temperature ${+temperature.toFixed(4)}` : '';
    io.out(
      `wrote ${out} (${bytes.length.toLocaleString('en-US')} bytes): ${config.model} K=${config.experts} convert ${config.convert} ${config.routing}${t} from ${source}; input [batch,${model.inputShape.join(',')}], CondConv as ${how}`,
    );
    return 0;
  },
};
