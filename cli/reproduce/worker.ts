// What one child process of the reproduction does: a training run (train, evaluate, record routing) or the batch-1 latency of every variant.

import { readFileSync } from 'node:fs';
import { setBackend, getBackend } from '../../core/engine.js';
import { buildRun, type RunConfig } from '../train_config.js';
import { createWasmBackend } from '../../kernels/wasm/backend.js';
import { writeFileAtomic } from '../../nn/atomic_write.js';
import { loadMnist } from '../../nn/data/mnist.js';
import { createModel } from '../../nn/models/index.js';
import { train, type EpochRecord } from '../../nn/train.js';
import { modelCost } from './cost.js';
import { batch1Latency, type LatencyOptions } from './latency.js';
import { modelOptions, type RunSpec, type Variant } from './plan.js';
import { routingStats, type RoutingStats } from './routing.js';

/** A job file's content: one training run, or the latency of every variant. */
export type Job =
  | { kind: 'train'; spec: RunSpec; threads: number; resultFile: string }
  | { kind: 'latency'; variants: Variant[]; seed: number; options: LatencyOptions; testSize: number; threads: number; resultFile: string };

/** What a training run measured. */
export interface RunResult {
  id: string;
  variant: string;
  seed: number;
  config: RunConfig;
  backend: string;
  threads: number;
  params: number;
  macs: number;
  macsByKind: Record<string, number>;
  /** Test accuracy and loss after the last epoch (the fixed 2000 test digits). */
  testAccuracy: number;
  testLoss: number;
  trainAccuracy: number;
  history: EpochRecord[];
  /** Mean training seconds per epoch (evaluation excluded). */
  trainSecondsPerEpoch: number;
  /** Mean training images per second. */
  samplesPerSecond: number;
  /** The whole run in this process: data, model, training, evaluation, routing. */
  wallSeconds: number;
  /** One entry per router (empty for plain models). */
  routing: RoutingStats[];
}

/** Batch-1 inference time of each variant. */
export interface LatencyResult {
  backend: string;
  threads: number;
  options: LatencyOptions;
  /** Variant id → latency. */
  variants: Record<string, { msPerImage: number; rounds: number[] }>;
}

/** Trains one run on the current default backend and measures it; `log` hears one line per epoch. */
export async function executeRun(spec: RunSpec, threads: number, log: (line: string) => void = () => undefined): Promise<RunResult> {
  const t0 = performance.now();
  const c = spec.config;
  const r = buildRun(c);
  const res = await train(
    r.model,
    { train: r.train, test: r.test },
    {
      epochs: c.epochs,
      optimizer: r.optimizer,
      schedule: r.schedule,
      temperature: r.temperature,
      seed: c.seed,
      labelSmoothing: c.labelSmoothing,
      maxBatches: c.maxBatches ?? undefined,
      onEpoch: (e) => log(`${spec.id} epoch ${e.epoch}/${c.epochs} test acc ${((e.testAccuracy ?? 0) * 100).toFixed(2)}% ${e.trainSeconds.toFixed(1)}s`),
    },
  );
  const last = res.history[res.history.length - 1];
  const cost = modelCost({ width: c.width, experts: c.convert === 'none' ? null : c.experts, routing: c.routing });
  const routing = spec.routing ? routingStats(r.model, r.test, 10) : [];
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    id: spec.id,
    variant: spec.variant,
    seed: spec.seed,
    config: c,
    backend: getBackend().name,
    threads,
    ...cost,
    testAccuracy: last.testAccuracy ?? NaN,
    testLoss: last.testLoss ?? NaN,
    trainAccuracy: last.trainAccuracy,
    history: res.history,
    trainSecondsPerEpoch: mean(res.history.map((h) => h.trainSeconds)),
    samplesPerSecond: mean(res.history.map((h) => h.samplesPerSecond)),
    wallSeconds: (performance.now() - t0) / 1000,
    routing,
  };
}

/** Times every variant at batch 1 on the current default backend, one after another (weights of `seed`'s init). */
export function executeLatency(job: Extract<Job, { kind: 'latency' }>): LatencyResult {
  const test = loadMnist({ train: 1, test: job.testSize }).test;
  const models = new Map(job.variants.map((v) => [v.id, createModel('mobilenet-v1', modelOptions(v, job.seed))]));
  const out = Object.fromEntries(batch1Latency(models, test, job.options));
  return { backend: getBackend().name, threads: job.threads, options: job.options, variants: out };
}

/** The child process's entry: reads the job file, runs it on a wasm backend with job.threads threads, writes the result file. */
export async function runJobFile(file: string): Promise<void> {
  const job = JSON.parse(readFileSync(file, 'utf8')) as Job;
  const backend = await createWasmBackend({ threads: job.threads });
  const prev = getBackend();
  setBackend(backend);
  try {
    const result = job.kind === 'train' ? await executeRun(job.spec, job.threads, (l) => process.stdout.write(`${l}\n`)) : executeLatency(job);
    writeFileAtomic('reproduce', job.resultFile, [Buffer.from(`${JSON.stringify(result, null, 1)}\n`, 'utf8')]);
  } finally {
    setBackend(prev);
    await backend.destroy();
  }
}
