// `condgrad train`: trains a zoo model on MNIST with a progress bar, per-epoch metrics, a JSON log and a checkpoint per epoch; resumable.

import * as fs from 'node:fs';
import * as path from 'node:path';
import cliProgress from 'cli-progress';
import { readCheckpoint } from '../nn/checkpoint.js';
import { train, type EpochRecord } from '../nn/train.js';
import type { BackendName } from '../core/backend.js';
import { initDefaultBackend } from '../core/engine.js';
import { BACKEND_NAMES, releaseBackends, useBackend } from './backend.js';
import { choice, given, num, str, UsageError, type Command, type Io } from './command.js';
import { buildRun, CONFIG_OPTIONS, CONFIG_USAGE, configFromFlags, type RunConfig } from './train_config.js';

/** Flags that may differ from the checkpoint's config when resuming (they do not change the result). */
const RESUMABLE = new Set(['epochs', 'backend', 'threads', 'out', 'resume', 'quiet', 'keep-checkpoints']);

function pct(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(2)}%`;
}

/** One line per epoch: losses, accuracies, lr, temperature and time. */
export function formatEpoch(r: EpochRecord, epochs: number): string {
  const test = r.testLoss === null ? '' : `  test loss ${r.testLoss.toFixed(4)} acc ${pct(r.testAccuracy)}`;
  const temp = r.temperature === null ? '' : `  T ${r.temperature.toFixed(2)}`;
  return `epoch ${r.epoch}/${epochs}  train loss ${r.trainLoss.toFixed(4)} acc ${pct(r.trainAccuracy)}${test}  lr ${r.lr.toExponential(2)}${temp}  ${r.trainSeconds.toFixed(1)}s (+${r.evalSeconds.toFixed(1)}s eval, ${Math.round(r.samplesPerSecond)} img/s)`;
}

/** The run directory name: model, width, experts, routing, convert and seed. */
export function runName(c: RunConfig): string {
  return `${c.model}-w${c.width}-k${c.experts}-${c.routing}-${c.convert}-s${c.seed}`;
}

async function run(values: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  // Without --backend: the library's default (CONDGRAD_BACKEND, else wasm where WebAssembly SIMD is available, else cpu).
  const backend: BackendName = given(values, 'backend') ? choice(values, 'backend', BACKEND_NAMES, 'cpu')
    : (await initDefaultBackend()).name;
  const threads = given(values, 'threads') ? num(values, 'threads', 1, { min: 1, max: 64, integer: true }) : undefined;
  if (threads !== undefined && backend !== 'wasm') throw new UsageError(`--threads applies to the wasm backend, not ${backend}`);
  const resume = str(values, 'resume');
  let config: RunConfig;
  let outDir: string;
  if (resume !== undefined) {
    const ck = readCheckpoint(resume);
    const base = ck.config as unknown as RunConfig;
    const changed = Object.keys(values).filter((k) => !RESUMABLE.has(k) && given(values, k));
    if (changed.length > 0) throw new UsageError(`--${changed.join(', --')} cannot change when resuming; the run's settings come from ${resume}`);
    config = configFromFlags({ epochs: values.epochs }, base);
    if (config.epochs <= ck.epoch) {
      io.out(`${resume} already holds ${ck.epoch} epochs (--epochs ${config.epochs}); nothing to do`);
      return 0;
    }
    outDir = str(values, 'out') ?? path.dirname(resume);
    io.err(`resuming ${resume} at epoch ${ck.epoch + 1}/${config.epochs} (step ${ck.step})`);
  } else {
    config = configFromFlags(values);
    outDir = path.join(str(values, 'out', 'runs'), runName(config));
  }
  const be = await useBackend(backend, threads);
  const r = buildRun(config);
  fs.mkdirSync(outDir, { recursive: true });
  const logFile = path.join(outDir, 'log.json');
  const checkpointFile = path.join(outDir, 'checkpoint.ckpt');
  const startEpoch = resume !== undefined ? readCheckpoint(resume).epoch : 0;
  io.err(`${config.model} (${r.model.numParameters().toLocaleString('en-US')} params, K=${config.experts}, ${config.routing}, convert ${config.convert}) on ${backend}${'threads' in be ? ` (${String(be.threads)} threads)` : ''}; ${config.trainSize}/${config.testSize} digits; writing ${outDir}`);
  const quiet = values.quiet === true;
  let bar: cliProgress.SingleBar | null = null;
  const res = await train(r.model, { train: r.train, test: r.test }, {
    epochs: config.epochs - startEpoch,
    optimizer: r.optimizer,
    schedule: r.schedule,
    temperature: r.temperature,
    seed: resume !== undefined ? undefined : config.seed,
    labelSmoothing: config.labelSmoothing,
    maxBatches: config.maxBatches ?? undefined,
    logFile,
    checkpointFile,
    keepEpochCheckpoints: values['keep-checkpoints'] === true,
    resume,
    config: { ...config, backend },
    onEpochStart: (epoch) => {
      if (quiet) return;
      bar = new cliProgress.SingleBar({
        format: `epoch ${epoch + 1}/${config.epochs} |{bar}| {value}/{total} loss {loss} lr {lr}`,
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
      }, cliProgress.Presets.shades_classic);
      bar.start(Math.min(r.train.numBatches, config.maxBatches ?? Infinity), 0, { loss: '-', lr: '-' });
    },
    onStep: (s) => bar?.update(s.batch, { loss: s.loss.toFixed(4), lr: s.lr.toExponential(2) }),
    onEpoch: (rec) => {
      bar?.stop();
      bar = null;
      io.out(formatEpoch(rec, config.epochs));
    },
  });
  const last = res.history[res.history.length - 1];
  io.out(`done: test accuracy ${pct(last.testAccuracy)}; log ${logFile}; checkpoint ${checkpointFile}`);
  return 0;
}

export const trainCommand: Command = {
  name: 'train',
  description: 'Train a model on MNIST (8000 train / 2000 test digits), writing a JSON log and a checkpoint every epoch.',
  usage: [
    CONFIG_USAGE,
    '  --backend <name>          cpu | wasm | gpu (default: $CONDGRAD_BACKEND, else wasm where WebAssembly SIMD is available, else cpu)',
    '  --threads <n>             wasm threads (default: $CONDGRAD_THREADS, else available parallelism, at most 8)',
    '  --out <dir>               parent of the run directory (default runs/; with --resume, the checkpoint\'s directory)',
    '  --resume <file>           continue the run in this checkpoint (settings come from it; only --epochs, --backend, --threads, --out may be given;',
    '                            a larger --epochs than the original run stretches its cosine schedule)',
    '  --keep-checkpoints        also keep every epoch\'s checkpoint as epoch-<n>.ckpt',
    '  --quiet                   no progress bar',
  ].join('\n'),
  options: {
    ...CONFIG_OPTIONS,
    backend: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
    quiet: { type: 'boolean' },
    'keep-checkpoints': { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    try {
      return await run(values, io);
    } finally {
      await releaseBackends();
    }
  },
};
