// The training loop: epochs of tidy()-scoped steps with lr and router-temperature schedules, mixup, per-epoch eval, JSON log and checkpoints.

import { CondgradError } from '../core/errors.js';
import { tidy } from '../core/scope.js';
import { manualSeed } from '../core/random.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import type { AnyBackend } from '../core/backend.js';
import { crossEntropy } from '../ops/softmax.js';
import { readFileBytes, siblingPath, writeFileAtomic } from '../core/platform/files.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { batchImages, deriveSeed, DataLoader, type Batch } from './data/loader.js';
import { mixupCrossEntropy } from './data/mixup.js';
import { evaluate, scoreLogits } from './evaluate.js';
import { Module } from './module.js';
import { Optimizer } from './optim/optimizer.js';
import { applySchedule, type LrSchedule } from './optim/schedule.js';
import type { TemperatureSchedule } from './temperature.js';

export interface TrainLoaders {
  train: DataLoader;
  /** Evaluated after every epoch when given. */
  test?: DataLoader;
}

/** What one epoch did. Losses are per-sample means; times in seconds. */
export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  steps: number;
  lr: number;
  temperature: number | null;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
  trainSeconds: number;
  evalSeconds: number;
  samplesPerSecond: number;
}

export interface StepInfo {
  epoch: number;
  batch: number;
  numBatches: number;
  globalStep: number;
  loss: number;
  lr: number;
}

export interface TrainOptions {
  epochs: number;
  optimizer: Optimizer;
  /** Sets optimizer.lr before every step (per-step schedules see the global step, per-epoch ones the epoch). */
  schedule?: LrSchedule;
  /** Anneals every SoftmaxRouter's temperature, per epoch (default) or per step. */
  temperature?: TemperatureSchedule;
  temperaturePer?: 'epoch' | 'step';
  /** Run seed: epoch e re-seeds every generator the model draws from (see reseedEpoch). Default: the train loader's seed. */
  seed?: number;
  labelSmoothing?: number;
  /** Train on at most this many batches per epoch / evaluate at most this many (for quick runs). */
  maxBatches?: number;
  maxEvalBatches?: number;
  /** JSON log, rewritten (atomically) after every epoch. */
  logFile?: string;
  /** Checkpoint written (atomically) after every epoch. */
  checkpointFile?: string;
  /** Also keep a copy of every epoch's checkpoint as `epoch-<n>.ckpt` next to checkpointFile. */
  keepEpochCheckpoints?: boolean;
  /** JSON configuration stored in the log and the checkpoint (enough to rebuild the model). */
  config?: Record<string, unknown>;
  /** Continue from this checkpoint: restores model, optimizer, epoch, step and history. */
  resume?: string;
  onStep?: (info: StepInfo) => void;
  onEpoch?: (rec: EpochRecord) => void;
  /** Called at the start of every epoch (0-based), after the schedules were applied. */
  onEpochStart?: (epoch: number, model: Module) => void;
}

export interface TrainResult {
  history: EpochRecord[];
  /** Loss of every step run in this call, in order. */
  stepLosses: number[];
  globalStep: number;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

/** Checks train()'s three arguments before anything runs: a Module, loaders with a train DataLoader, and the options. */
function checkArguments(model: unknown, loaders: unknown, opts: unknown): void {
  const op = 'train';
  if (!(model instanceof Module)) throw new CondgradError(op, `model must be a Module, got ${describe(model)}`);
  if (typeof loaders !== 'object' || loaders === null || Array.isArray(loaders)) {
    throw new CondgradError(op, `loaders must be { train, test? } with DataLoaders, got ${describe(loaders)}`);
  }
  const { train, test } = loaders as Partial<TrainLoaders>;
  if (!(train instanceof DataLoader)) throw new CondgradError(op, `loaders.train must be a DataLoader, got ${describe(train)}`);
  if (test !== undefined && !(test instanceof DataLoader)) throw new CondgradError(op, `loaders.test must be a DataLoader or absent, got ${describe(test)}`);
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new CondgradError(op, `options must be an object with epochs and optimizer, got ${describe(opts)}`);
  }
}

function checkOptions(o: TrainOptions): void {
  const op = 'train';
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new CondgradError(op, `epochs must be a positive integer, got ${o.epochs}`);
  if (!(o.optimizer instanceof Optimizer)) throw new CondgradError(op, `optimizer must be an Optimizer (SGD, Adam, AdamW), got ${describe(o.optimizer)}`);
  for (const k of ['maxBatches', 'maxEvalBatches'] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new CondgradError(op, `${k} must be a positive integer, got ${v}`);
  }
  if (o.temperaturePer !== undefined && o.temperaturePer !== 'epoch' && o.temperaturePer !== 'step') {
    throw new CondgradError(op, `temperaturePer must be 'epoch' or 'step', got ${String(o.temperaturePer)}`);
  }
}

/** Frees every parameter's gradient (also those of parameters the optimizer does not hold). */
function clearGrads(params: readonly Tensor[]): void {
  for (const p of params) {
    const g = p.grad;
    p.grad = null;
    g?.dispose();
  }
}

/**
 * Re-seeds every random stream the model draws from for epoch e: the global generator and, through
 * Module.reseed, each module's own generators (a Router's `dropoutRng` asks for stream 4, a Dropout
 * layer's `rng` for stream 5; module i of namedModules() gets the seed (seed, e, stream, i)). A run
 * resumed at an epoch boundary then draws exactly what the uninterrupted run drew.
 */
export function reseedEpoch(model: Module, seed: number, epoch: number): void {
  manualSeed(deriveSeed(seed, epoch, 3));
  model.namedModules().forEach(([, m], i) => m.reseed((stream) => deriveSeed(seed, epoch, stream, i)));
}

/** One optimizer step on one batch inside tidy(); returns the loss and logits (to be read and disposed). */
function trainStep(
  model: Module,
  batch: Batch,
  opts: TrainOptions,
  where: { backend?: AnyBackend; dtype?: DType },
  params: readonly Tensor[],
): { loss: Tensor; logits: Tensor } {
  return tidy(() => {
    const x = batchImages(batch, where);
    const logits = model.forward(x);
    const ce = { labelSmoothing: opts.labelSmoothing ?? 0 };
    const loss = batch.mix ? mixupCrossEntropy(logits, batch.labels, batch.mix.labelsB, batch.mix.lambda, ce) : crossEntropy(logits, batch.labels, ce);
    loss.backward();
    opts.optimizer.step();
    clearGrads(params);
    return { loss, logits };
  });
}

/**
 * Trains `model` for opts.epochs epochs (counted from the resumed epoch). Every step runs inside
 * tidy(), so only parameters, optimizer state and buffers outlive it; the loss and logits are read
 * back asynchronously (works on every backend). Deterministic for a given seed, loaders and backend.
 */
export async function train(model: Module, loaders: TrainLoaders, opts: TrainOptions): Promise<TrainResult> {
  checkArguments(model, loaders, opts);
  checkOptions(opts);
  const params = model.parameters();
  const p0 = params[0];
  const where = p0 ? { backend: p0.backend, dtype: p0.dtype } : {};
  let startEpoch = 0;
  let globalStep = 0;
  let history: EpochRecord[] = [];
  let seed = opts.seed ?? loaders.train.seed;
  if (opts.resume !== undefined) {
    const ck = loadCheckpoint(opts.resume, model, opts.optimizer);
    startEpoch = ck.epoch;
    globalStep = ck.step;
    history = Array.isArray(ck.extra.history) ? (ck.extra.history as EpochRecord[]) : [];
    if (opts.seed !== undefined && opts.seed !== ck.seed) {
      throw new CondgradError('train', `seed ${opts.seed} differs from the checkpoint's seed ${ck.seed} (${opts.resume}); leave it out to resume`);
    }
    seed = ck.seed;
  }
  const stepLosses: number[] = [];
  const numBatches = Math.min(loaders.train.numBatches, opts.maxBatches ?? Infinity);
  for (let epoch = startEpoch; epoch < startEpoch + opts.epochs; epoch++) {
    reseedEpoch(model, seed, epoch);
    model.train();
    let temperature: number | null = null;
    if (opts.temperature && (opts.temperaturePer ?? 'epoch') === 'epoch') temperature = opts.temperature.apply(model, epoch);
    if (opts.schedule?.per === 'epoch') applySchedule(opts.optimizer, opts.schedule, epoch, globalStep);
    opts.onEpochStart?.(epoch, model);
    const t0 = performance.now();
    let lossSum = 0;
    let correct = 0;
    let samples = 0;
    let steps = 0;
    for (const batch of loaders.train.epoch(epoch)) {
      if (batch.index >= numBatches) break;
      if (opts.schedule?.per === 'step') applySchedule(opts.optimizer, opts.schedule, epoch, globalStep);
      if (opts.temperature && opts.temperaturePer === 'step') temperature = opts.temperature.apply(model, globalStep);
      const { loss, logits } = trainStep(model, batch, opts, where, params);
      const [lossVal] = await loss.data();
      const logitData = await logits.data();
      const shape = logits.shape;
      loss.dispose();
      logits.dispose();
      if (!Number.isFinite(lossVal)) {
        throw new CondgradError(
          'train',
          `loss became ${lossVal} at epoch ${epoch + 1}, step ${globalStep + 1} (lr ${opts.optimizer.lr}); lower the learning rate`,
        );
      }
      const B = batch.labels.length;
      lossSum += lossVal * B;
      correct += scoreLogits(logitData, shape, batch.labels, batch.mix).correct;
      samples += B;
      steps++;
      globalStep++;
      stepLosses.push(lossVal);
      opts.onStep?.({ epoch: epoch + 1, batch: batch.index + 1, numBatches, globalStep, loss: lossVal, lr: opts.optimizer.lr });
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const ev = loaders.test ? await evaluate(model, loaders.test, { maxBatches: opts.maxEvalBatches }) : null;
    // Stop before this epoch's log and checkpoint replace the previous (finite) ones.
    if (ev !== null && !Number.isFinite(ev.loss)) {
      throw new CondgradError(
        'train',
        `test loss became ${ev.loss} after epoch ${epoch + 1}, step ${globalStep} (lr ${opts.optimizer.lr}); lower the learning rate`,
      );
    }
    const rec: EpochRecord = {
      epoch: epoch + 1,
      steps,
      lr: opts.optimizer.lr,
      temperature,
      trainLoss: lossSum / samples,
      trainAccuracy: correct / samples,
      testLoss: ev?.loss ?? null,
      testAccuracy: ev?.accuracy ?? null,
      trainSeconds,
      evalSeconds: ev?.seconds ?? 0,
      samplesPerSecond: samples / trainSeconds,
    };
    history.push(rec);
    if (opts.logFile !== undefined) {
      const log = { format: 'condgrad-train-log', version: 1, config: opts.config ?? {}, seed, backend: p0?.backend.name ?? null, epochs: history };
      writeFileAtomic('train', opts.logFile, [new TextEncoder().encode(`${JSON.stringify(log, null, 2)}\n`)]);
    }
    if (opts.checkpointFile !== undefined) {
      await saveCheckpoint(opts.checkpointFile, {
        config: opts.config ?? {},
        epoch: epoch + 1,
        step: globalStep,
        seed,
        model: model.stateDict(),
        optimizer: opts.optimizer.stateDict(),
        extra: { history },
      });
      if (opts.keepEpochCheckpoints) {
        writeFileAtomic('train', siblingPath(opts.checkpointFile, `epoch-${epoch + 1}.ckpt`), [readFileBytes('train', opts.checkpointFile)]);
      }
    }
    opts.onEpoch?.(rec);
  }
  return { history, stepLosses, globalStep };
}
