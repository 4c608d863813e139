// The training run configuration: built from `condgrad train` flags (or a checkpoint's stored config) and turned into model, data, optimizer and schedules.

import { manualSeed } from '../core/random.js';
import { DataLoader } from '../nn/data/loader.js';
import { loadMnist } from '../nn/data/mnist.js';
import { MODEL_NAMES, type ModelName, type ZooModel } from '../nn/models/index.js';
import { Adam, AdamW } from '../nn/optim/adam.js';
import type { Optimizer } from '../nn/optim/optimizer.js';
import { constantLR, cosineLR, stepLR, warmupCosineLR, type LrSchedule } from '../nn/optim/schedule.js';
import { SGD } from '../nn/optim/sgd.js';
import { TemperatureSchedule } from '../nn/temperature.js';
import { CondgradError } from '../core/errors.js';
import { choice, num, UsageError, type OptionSpec, type Values } from './command.js';
import { createCheckedModel } from './model_size.js';

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export const SCHEDULES = ['cosine', 'step', 'none'] as const;
const CONVERTS = ['none', 'last', 'all'] as const;
const ROUTINGS = ['sigmoid', 'softmax'] as const;

/** Everything that determines a run's result (stored in the log and the checkpoint). */
export interface RunConfig {
  model: ModelName;
  width: number;
  experts: number;
  convert: (typeof CONVERTS)[number];
  routing: (typeof ROUTINGS)[number];
  expertDropout: number;
  optimizer: (typeof OPTIMIZERS)[number];
  lr: number;
  momentum: number;
  weightDecay: number | null;
  schedule: (typeof SCHEDULES)[number];
  warmup: number;
  batchSize: number;
  epochs: number;
  seed: number;
  mixup: number;
  shift: number;
  labelSmoothing: number;
  trainSize: number;
  testSize: number;
  normalize: boolean;
  maxBatches: number | null;
  temperatureEpochs: number;
}

/** Flags that make up the RunConfig (util.parseArgs specs), with their help lines. */
export const CONFIG_OPTIONS: OptionSpec = {
  model: { type: 'string' },
  width: { type: 'string' },
  experts: { type: 'string' },
  convert: { type: 'string' },
  routing: { type: 'string' },
  'expert-dropout': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  schedule: { type: 'string' },
  warmup: { type: 'string' },
  'batch-size': { type: 'string' },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  mixup: { type: 'string' },
  shift: { type: 'string' },
  'label-smoothing': { type: 'string' },
  'train-size': { type: 'string' },
  'test-size': { type: 'string' },
  normalize: { type: 'boolean' },
  'max-batches': { type: 'string' },
  'temperature-epochs': { type: 'string' },
};

export const CONFIG_USAGE = [
  `  --model <name>            ${MODEL_NAMES.join(' | ')} (default cnn)`,
  '  --width <w>               channel multiplier (default 1)',
  '  --experts <K>             experts per CondConv layer (default 4)',
  '  --convert <mode>          none | last | all: stages that use CondConv (default last)',
  '  --routing <kind>          sigmoid | softmax (default sigmoid)',
  '  --expert-dropout <p>      drop each routing weight with probability p in training (default 0)',
  '  --optimizer <name>        sgd | adam | adamw (default adam)',
  '  --lr <lr>                 peak learning rate (default 0.002 for adam/adamw, 0.05 for sgd)',
  '  --momentum <m>            sgd momentum, Nesterov (default 0.9)',
  '  --weight-decay <wd>       (default: 0 for sgd/adam, 0.01 for adamw)',
  '  --schedule <kind>         cosine (per step) | step (×0.1 every third of the epochs) | none (default cosine)',
  '  --warmup <steps>          linear warmup steps before the cosine (default 0)',
  '  --batch-size <n>          (default 64)',
  '  --epochs <n>              total epochs (default 5; with --resume, the total to reach)',
  '  --seed <n>                seeds init, shuffling, augmentation and dropout (default 1)',
  '  --mixup <alpha>           mixup with Beta(alpha, alpha) (default 0 = off)',
  '  --shift <px>              random shifts by up to ±px (default 2)',
  '  --label-smoothing <eps>   (default 0)',
  '  --train-size <n>          training digits (default 8000)',
  '  --test-size <n>           test digits (default 2000)',
  '  --normalize               standardise pixels with the MNIST mean and std',
  '  --max-batches <n>         at most n batches per epoch (quick runs)',
  '  --temperature-epochs <n>  softmax routing: anneal the temperature 30 → 1 over n epochs (default min(10, epochs − 1))',
].join('\n');

/** A RunConfig from flags; values absent from the flags come from `base` (a resumed run's config) or the defaults. */
export function configFromFlags(v: Values, base?: RunConfig): RunConfig {
  const optimizer = choice(v, 'optimizer', OPTIMIZERS, base?.optimizer ?? 'adam');
  const epochs = num(v, 'epochs', base?.epochs ?? 5, { min: 1, integer: true });
  const wd = num(v, 'weight-decay', NaN, { min: 0 });
  const maxBatches = num(v, 'max-batches', base?.maxBatches ?? NaN, { min: 1, integer: true });
  return {
    model: choice(v, 'model', MODEL_NAMES, base?.model ?? 'cnn'),
    width: num(v, 'width', base?.width ?? 1, { min: 1e-3 }),
    experts: num(v, 'experts', base?.experts ?? 4, { min: 1, integer: true }),
    convert: choice(v, 'convert', CONVERTS, base?.convert ?? 'last'),
    routing: choice(v, 'routing', ROUTINGS, base?.routing ?? 'sigmoid'),
    expertDropout: num(v, 'expert-dropout', base?.expertDropout ?? 0, { min: 0, max: 0.99 }),
    optimizer,
    lr: num(v, 'lr', base?.lr ?? (optimizer === 'sgd' ? 0.05 : 0.002), { min: 0 }),
    momentum: num(v, 'momentum', base?.momentum ?? 0.9, { min: 0 }),
    weightDecay: Number.isNaN(wd) ? (base?.weightDecay ?? null) : wd,
    schedule: choice(v, 'schedule', SCHEDULES, base?.schedule ?? 'cosine'),
    warmup: num(v, 'warmup', base?.warmup ?? 0, { min: 0, integer: true }),
    batchSize: num(v, 'batch-size', base?.batchSize ?? 64, { min: 1, integer: true }),
    epochs,
    seed: num(v, 'seed', base?.seed ?? 1, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    mixup: num(v, 'mixup', base?.mixup ?? 0, { min: 0 }),
    shift: num(v, 'shift', base?.shift ?? 2, { min: 0, max: 27, integer: true }),
    labelSmoothing: num(v, 'label-smoothing', base?.labelSmoothing ?? 0, { min: 0, max: 1 }),
    trainSize: num(v, 'train-size', base?.trainSize ?? 8000, { min: 1, integer: true }),
    testSize: num(v, 'test-size', base?.testSize ?? 2000, { min: 1, integer: true }),
    normalize: v.normalize === true || (v.normalize === undefined && (base?.normalize ?? false)),
    maxBatches: Number.isNaN(maxBatches) ? null : maxBatches,
    temperatureEpochs: num(v, 'temperature-epochs', base?.temperatureEpochs ?? Math.max(1, Math.min(10, epochs - 1)), { min: 1, integer: true }),
  };
}

/** The RunConfig field behind each config flag (`batch-size` → batchSize). */
const FIELD_OF_FLAG: Record<string, keyof RunConfig> = Object.fromEntries(
  Object.keys(CONFIG_OPTIONS).map((f) => [f, f.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof RunConfig]),
);

/**
 * A stored configuration (a checkpoint's or a log's), validated exactly as the same flags would
 * be: every RunConfig field must be present and pass its flag's checks. Throws a CondgradError
 * that names `source` and the field.
 */
export function configFromStored(stored: unknown, source: string): RunConfig {
  const op = 'train';
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored))
    throw new CondgradError(op, `${source}: the stored configuration is not an object`);
  const c = stored as Record<string, unknown>;
  const flags: Values = {};
  for (const [flag, field] of Object.entries(FIELD_OF_FLAG)) {
    const v = c[field];
    if (v === undefined) throw new CondgradError(op, `${source}: the stored configuration has no ${field}`);
    if (v === null && (field === 'weightDecay' || field === 'maxBatches')) continue;
    if (field === 'normalize') {
      if (typeof v !== 'boolean') throw new CondgradError(op, `${source}: the stored configuration's normalize must be a boolean, got ${JSON.stringify(v)}`);
      if (v) flags.normalize = true;
      continue;
    }
    if (typeof v !== 'string' && typeof v !== 'number') throw new CondgradError(op, `${source}: the stored configuration's ${field} is ${JSON.stringify(v)}`);
    flags[flag] = String(v);
  }
  try {
    return configFromFlags(flags);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const msg = e.message.replace(/^--([\w-]+)/, (_, f: string) => FIELD_OF_FLAG[f] ?? f);
    throw new CondgradError(op, `${source}: the stored configuration is invalid: ${msg}`);
  }
}

/** The fields in which two configurations differ, as `name a → b`. */
export function configDiff(a: RunConfig, b: RunConfig): string[] {
  return (Object.keys(a) as (keyof RunConfig)[]).filter((k) => a[k] !== b[k]).map((k) => `${k} ${String(a[k])} → ${String(b[k])}`);
}

/** The pieces of a run, built deterministically from its config (the model's init is seeded by config.seed). */
export interface Run {
  model: ZooModel;
  train: DataLoader;
  test: DataLoader;
  optimizer: Optimizer;
  schedule: LrSchedule;
  temperature?: TemperatureSchedule;
}

/**
 * The run's model, freshly initialised from config.seed (what a checkpoint of the run is loaded
 * into); a model over `maxParams` parameters is refused with its count (see createCheckedModel).
 */
export function buildModel(c: RunConfig, maxParams = Infinity): ZooModel {
  return createCheckedModel(
    'train',
    c.model,
    {
      width: c.width,
      experts: c.experts,
      convert: c.convert,
      routing: c.routing,
      expertDropout: c.expertDropout,
      inChannels: 1,
      numClasses: 10,
      inputSize: 28,
      seed: c.seed,
    },
    maxParams,
  );
}

/** The run's softmax-router temperature schedule (30 → 1, per epoch); none for sigmoid routing. */
export function temperatureSchedule(c: RunConfig): TemperatureSchedule | undefined {
  return c.routing === 'softmax' ? new TemperatureSchedule({ from: 30, to: 1, duration: c.temperatureEpochs }) : undefined;
}

/** Builds the run; a model over `maxParams` parameters is refused with its count. */
export function buildRun(c: RunConfig, maxParams = Infinity): Run {
  manualSeed(c.seed);
  const model = buildModel(c, maxParams);
  const data = loadMnist({ train: c.trainSize, test: c.testSize, normalize: c.normalize });
  const train = new DataLoader(data.train, { batchSize: c.batchSize, seed: c.seed, shift: c.shift, mixup: c.mixup });
  const test = new DataLoader(data.test, { batchSize: 256, shuffle: false });
  const params = model.parameters();
  const wd = c.weightDecay ?? undefined;
  const optimizer =
    c.optimizer === 'sgd'
      ? new SGD(params, { lr: c.lr, momentum: c.momentum, nesterov: c.momentum > 0, weightDecay: wd })
      : c.optimizer === 'adam'
        ? new Adam(params, { lr: c.lr, weightDecay: wd })
        : new AdamW(params, { lr: c.lr, weightDecay: wd });
  const steps = c.epochs * Math.min(train.numBatches, c.maxBatches ?? Infinity);
  const schedule =
    c.schedule === 'none'
      ? constantLR(c.lr)
      : c.schedule === 'step'
        ? stepLR(c.lr, { stepSize: Math.max(1, Math.floor(c.epochs / 3)), gamma: 0.1 })
        : c.warmup > 0 && c.warmup < steps
          ? warmupCosineLR(c.lr, { warmup: c.warmup, total: steps })
          : cosineLR(c.lr, { total: steps });
  const temperature = temperatureSchedule(c);
  return { model, train, test, optimizer, schedule, temperature };
}
