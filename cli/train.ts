// `condgrad train`: trains a zoo model on MNIST with a progress bar, per-epoch metrics, a JSON log and a checkpoint per epoch; resumable.

import * as fs from 'node:fs';
import * as path from 'node:path';
import cliProgress from 'cli-progress';
import { CondgradError } from '../core/errors.js';
import { readCheckpoint, type LoadedCheckpoint } from '../nn/checkpoint.js';
import { train, type EpochRecord } from '../nn/train.js';
import { BACKEND_USAGE, releaseBackends, selectBackend } from './backend.js';
import { given, num, str, UsageError, type Command, type Io } from './command.js';
import { DEFAULT_MAX_PARAMS } from './model_size.js';
import { buildRun, CONFIG_OPTIONS, CONFIG_USAGE, configDiff, configFromFlags, configFromStored, type RunConfig } from './train_config.js';

/** Flags that may differ from the checkpoint's config when resuming (they do not change the result). */
const RESUMABLE = new Set(['epochs', 'backend', 'threads', 'out', 'resume', 'quiet', 'keep-checkpoints', 'max-params']);

function pct(x: number | null): string {
  return x === null ? '-' : `${(100 * x).toFixed(2)}%`;
}

/** One line per epoch: losses, accuracies, lr, temperature and time. */
export function formatEpoch(r: EpochRecord, epochs: number): string {
  const test = r.testLoss === null ? '' : `  test loss ${r.testLoss.toFixed(4)} acc ${pct(r.testAccuracy)}`;
  const temp = r.temperature === null ? '' : `  T ${r.temperature.toFixed(2)}`;
  return `epoch ${r.epoch}/${epochs}  train loss ${r.trainLoss.toFixed(4)} acc ${pct(r.trainAccuracy)}${test}  lr ${r.lr.toExponential(2)}${temp}  ${r.trainSeconds.toFixed(1)}s (+${r.evalSeconds.toFixed(1)}s eval, ${Math.round(r.samplesPerSecond)} img/s)`;
}

/** The default run directory name: model, width, experts, routing, convert and seed (--name overrides it). */
export function runName(c: RunConfig): string {
  return `${c.model}-w${c.width}-k${c.experts}-${c.routing}-${c.convert}-s${c.seed}`;
}

/** Creates `dir` (and its parents), or says in one line why it cannot be. */
function ensureDir(dir: string, flag: string): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir} is a file, not a directory`);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOTDIR' || err.code === 'EEXIST' ? 'a component of the path is a file, not a directory' : err.message;
    throw new CondgradError('train', `cannot create the run directory ${dir}: ${why}`);
  }
}

/**
 * What an existing run directory holds, checked against the configuration about to run there:
 * nothing (a fresh start), the same configuration (its checkpoint, to continue from), or a
 * different one, which is refused: a second run never silently replaces the first.
 */
function existingRun(dir: string, config: RunConfig): LoadedCheckpoint | null {
  const ckFile = path.join(dir, 'checkpoint.ckpt');
  const logFile = path.join(dir, 'log.json');
  const advice = 'choose another --name or --out for this run, continue that one with --resume, or delete the directory';
  let stored: RunConfig;
  let ck: LoadedCheckpoint | null = null;
  if (fs.existsSync(ckFile)) {
    try {
      ck = readCheckpoint(ckFile);
    } catch (e) {
      throw new CondgradError('train', `${dir} already holds a checkpoint that cannot be read (${(e as Error).message}); ${advice}`);
    }
    stored = configFromStored(ck.config, ckFile);
  } else if (fs.existsSync(logFile)) {
    let log: { config?: unknown };
    try {
      log = JSON.parse(fs.readFileSync(logFile, 'utf8')) as { config?: unknown };
    } catch (e) {
      throw new CondgradError('train', `${dir} already holds a log that cannot be read (${(e as Error).message}); ${advice}`);
    }
    stored = configFromStored(log?.config, logFile);
  } else {
    return null;
  }
  const diff = configDiff(stored, config);
  if (diff.length > 0) {
    throw new CondgradError(
      'train',
      `${dir} already holds a run with a different configuration (${diff.slice(0, 4).join(', ')}${diff.length > 4 ? `, and ${diff.length - 4} more` : ''}); ${advice}`,
    );
  }
  return ck;
}

async function run(values: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  const maxParams = num(values, 'max-params', DEFAULT_MAX_PARAMS, { min: 1, integer: true });
  const threads = given(values, 'threads') ? num(values, 'threads', 1, { min: 1, max: 64, integer: true }) : undefined;
  const resume = str(values, 'resume');
  const name = str(values, 'name');
  if (name !== undefined && (name === '' || name === '.' || name === '..' || /[/\\]/.test(name))) {
    throw new UsageError(`--name must be a directory name (no path separators), got '${name}'`);
  }
  const out = str(values, 'out');
  if (out !== undefined && fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file, not a directory`);
  let config: RunConfig;
  let outDir: string;
  let from: { file: string; ck: LoadedCheckpoint } | null = null;
  if (resume !== undefined) {
    const changed = Object.keys(values).filter((k) => !RESUMABLE.has(k) && given(values, k));
    if (changed.length > 0) throw new UsageError(`--${changed.join(', --')} cannot change when resuming; the run's settings come from ${resume}`);
    const ck = readCheckpoint(resume);
    const base = configFromStored(ck.config, resume);
    if (ck.seed !== base.seed)
      throw new CondgradError('train', `${resume}: the run state's seed ${ck.seed} differs from its configuration's seed ${base.seed}`);
    config = configFromFlags({ epochs: values.epochs }, base);
    outDir = out ?? path.dirname(resume);
    from = { file: resume, ck };
  } else {
    config = configFromFlags(values);
    outDir = path.join(out ?? 'runs', name ?? runName(config));
  }
  if (fs.existsSync(outDir) && !fs.statSync(outDir).isDirectory()) throw new UsageError(`the run directory ${outDir} is a file, not a directory`);
  // A directory that already holds a run: the same configuration continues it, another is refused.
  const checkpointFile = path.join(outDir, 'checkpoint.ckpt');
  if (from === null || path.resolve(from.file) !== path.resolve(checkpointFile)) {
    const there = fs.existsSync(outDir) ? existingRun(outDir, config) : null;
    if (there !== null && from === null) {
      from = { file: checkpointFile, ck: there };
      io.err(`${outDir} already holds this configuration (epoch ${there.epoch}/${config.epochs}): continuing it`);
    }
  }
  if (from !== null && config.epochs <= from.ck.epoch) {
    io.out(`${from.file} already holds ${from.ck.epoch} epochs (--epochs ${config.epochs}); nothing to do`);
    return 0;
  }
  if (from !== null) io.err(`resuming ${from.file} at epoch ${from.ck.epoch + 1}/${config.epochs} (step ${from.ck.step})`);
  const be = await selectBackend(values, threads);
  const backend = be.name;
  const r = buildRun(config, maxParams);
  ensureDir(outDir, '--out');
  const logFile = path.join(outDir, 'log.json');
  const startEpoch = from?.ck.epoch ?? 0;
  io.err(
    `${config.model} (${r.model.numParameters().toLocaleString('en-US')} params, K=${config.experts}, ${config.routing}, convert ${config.convert}) on ${backend}${'threads' in be ? ` (${String(be.threads)} threads)` : ''}; ${config.trainSize}/${config.testSize} digits; writing ${outDir}`,
  );
  const quiet = values.quiet === true;
  let bar: cliProgress.SingleBar | null = null;
  const res = await train(
    r.model,
    { train: r.train, test: r.test },
    {
      epochs: config.epochs - startEpoch,
      optimizer: r.optimizer,
      schedule: r.schedule,
      temperature: r.temperature,
      seed: from !== null ? undefined : config.seed,
      labelSmoothing: config.labelSmoothing,
      maxBatches: config.maxBatches ?? undefined,
      logFile,
      checkpointFile,
      keepEpochCheckpoints: values['keep-checkpoints'] === true,
      resume: from?.file,
      config: { ...config, backend },
      onEpochStart: (epoch) => {
        if (quiet) return;
        bar = new cliProgress.SingleBar(
          {
            format: `epoch ${epoch + 1}/${config.epochs} |{bar}| {value}/{total} loss {loss} lr {lr}`,
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.min(r.train.numBatches, config.maxBatches ?? Infinity), 0, { loss: '-', lr: '-' });
      },
      onStep: (s) => bar?.update(s.batch, { loss: s.loss.toFixed(4), lr: s.lr.toExponential(2) }),
      onEpoch: (rec) => {
        bar?.stop();
        bar = null;
        io.out(formatEpoch(rec, config.epochs));
      },
    },
  ).finally(() => bar?.stop());
  const last = res.history[res.history.length - 1];
  io.out(`done: test accuracy ${pct(last.testAccuracy)}; log ${logFile}; checkpoint ${checkpointFile}`);
  return 0;
}

export const trainCommand: Command = {
  name: 'train',
  description: 'Train a model on MNIST (8000 train / 2000 test digits), writing a JSON log and a checkpoint every epoch.',
  usage: [
    CONFIG_USAGE,
    BACKEND_USAGE,
    '  --threads <n>             wasm threads (default: $CONDGRAD_THREADS, else available parallelism, at most 8)',
    "  --out <dir>               parent of the run directory (default runs/); with --resume, the run directory (default: the checkpoint's)",
    "  --name <dir>              the run directory's name under --out (default <model>-w<width>-k<K>-<routing>-<convert>-s<seed>);",
    '                            a directory that holds a run of another configuration is never overwritten, one of the same',
    '                            configuration is continued from its checkpoint',
    '  --resume <file>           continue the run in this checkpoint (settings come from it; only --epochs, --backend, --threads, --out may be given;',
    '                            a larger --epochs than the original run stretches its cosine schedule)',
    "  --keep-checkpoints        also keep every epoch's checkpoint as epoch-<n>.ckpt",
    `  --max-params <n>          refuse models with more parameters (default ${DEFAULT_MAX_PARAMS.toLocaleString('en-US')})`,
    '  --quiet                   no progress bar',
  ].join('\n'),
  options: {
    ...CONFIG_OPTIONS,
    backend: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
    resume: { type: 'string' },
    quiet: { type: 'boolean' },
    'keep-checkpoints': { type: 'boolean' },
    'max-params': { type: 'string' },
  },
  async run(values, _positionals, io) {
    try {
      return await run(values, io);
    } finally {
      await releaseBackends();
    }
  },
};
