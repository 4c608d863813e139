// Bench: training images/s of a small MNIST CNN (batch 32, SGD) on our wasm (1 and 2 threads) and cpu backends, tfjs-wasm and tfjs-cpu, in one run.
// Run: npx tsx bench/train_throughput.ts [--steps N] [--windows W] [--warmup N] [--min-s S] [--max-s S]

import '../kernels/register.js';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { cpuBackend } from '../kernels/cpu/backend.js';
import { createWasmBackend, type WasmBackend } from '../kernels/wasm/backend.js';
import { DataLoader, type Batch } from '../nn/data/loader.js';
import { loadMnist } from '../nn/data/mnist.js';
import { buildOursCnn, CONV_PADDING, cnnWeights, oursTrainer } from './throughput/ours_cnn.js';
import { registerWasmConvFilterGrad, tfjsTrainer } from './throughput/tfjs_cnn.js';
import { median } from './report/timing.js';

// tfjs-core alone registers no gradients (the @tensorflow/tfjs bundle imports this file for its users); its
// dist/ imports are extensionless, which only require() resolves.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!(v > 0)) throw new Error(`--${name} must be a positive number`);
  return v;
}

/** A timed window runs at least STEPS steps and MIN_S seconds, but stops after MAX_S seconds once it has 2 steps (tfjs takes seconds per step). */
const STEPS = flag('steps', 20);
const MIN_S = flag('min-s', 1);
const MAX_S = flag('max-s', 4);
const WINDOWS = flag('windows', 7);
const WARMUP = flag('warmup', 5);
const BATCH = 32;
const LR = 0.01;
const SEED = 1;

interface Engine {
  name: string;
  threads: number;
  /** Makes this engine's backend the active one (tfjs has one active backend at a time). */
  activate: () => Promise<void>;
  step: (b: Batch) => number;
  /** Live tensors/buffers, to check that steps free what they allocate. */
  live: () => number;
  /** Milliseconds spent so far in a kernel borrowed from another backend (tfjs-wasm's conv filter gradient). */
  borrowed?: () => number;
  next: number;
  losses: number[];
  ips: number[];
  /** images/s with the borrowed kernel's time taken out (engines with `borrowed` only). */
  ownIps: number[];
}

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const loadStart = loadavg();
  const data = loadMnist({ train: 8000, test: 100, normalize: true });
  const batches = [...new DataLoader(data.train, { batchSize: BATCH, seed: SEED, dropLast: true }).epoch(0)];
  const init = cnnWeights(buildOursCnn(cpuBackend, SEED));

  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const bridge = registerWasmConvFilterGrad();
  const tfjsWasmThreads = getThreadsCount();

  const w1 = await createWasmBackend({ threads: 1 });
  const w2 = await createWasmBackend({ threads: 2 });
  const ours = (name: string, be: WasmBackend | typeof cpuBackend, threads: number): Engine => {
    const model = buildOursCnn(be, SEED);
    return {
      name,
      threads,
      activate: async () => {},
      step: oursTrainer(model, LR),
      live: () => be.memory().liveBuffers ?? 0,
      next: 0,
      losses: [],
      ips: [],
      ownIps: [],
    };
  };
  const tfjs = async (backend: 'wasm' | 'cpu', threads: number): Promise<Engine> => {
    await tf.setBackend(backend);
    const t = tfjsTrainer(init, LR);
    const activate = async (): Promise<void> => {
      await tf.setBackend(backend);
    };
    const borrowed = backend === 'wasm' ? bridge.borrowedMs : undefined;
    return { name: `tfjs-${backend}`, threads, activate, step: t.step, live: () => tf.memory().numTensors, borrowed, next: 0, losses: [], ips: [], ownIps: [] };
  };
  const engines: Engine[] = [
    ours('ours wasm', w1, 1),
    ours('ours wasm', w2, 2),
    ours('ours cpu', cpuBackend, 1),
    await tfjs('wasm', tfjsWasmThreads),
    await tfjs('cpu', 1),
  ];
  const label = (e: Engine): string => `${e.name} ${e.threads} thr`;

  // Warm-up: the same first batches from the same weights, so the losses must agree across engines.
  for (const e of engines) {
    await e.activate();
    for (let i = 0; i < WARMUP; i++) e.losses.push(e.step(batches[e.next++ % batches.length]));
  }
  const liveAfterWarmup = engines.map((e) => e.live());

  // Timed windows, interleaved across engines (see STEPS).
  for (let w = 0; w < WINDOWS; w++) {
    for (const e of engines) {
      await e.activate();
      e.step(batches[e.next++ % batches.length]);
      let n = 0;
      const b0 = e.borrowed?.() ?? 0;
      const t0 = performance.now();
      for (let t = 0; n < 2 || (t < MAX_S * 1000 && (n < STEPS || t < MIN_S * 1000)); t = performance.now() - t0) {
        e.step(batches[e.next++ % batches.length]);
        n++;
      }
      const ms = performance.now() - t0;
      e.ips.push((n * BATCH) / (ms / 1000));
      if (e.borrowed) e.ownIps.push((n * BATCH) / ((ms - (e.borrowed() - b0)) / 1000));
    }
    process.stderr.write(`window ${w + 1}/${WINDOWS}: ${engines.map((e) => `${label(e)} ${e.ips[w].toFixed(0)}`).join(', ')}\n`);
  }
  const leaks = engines.filter((e, i) => e.live() !== liveAfterWarmup[i]).map(label);
  await w1.destroy();
  await w2.destroy();

  const med = new Map(engines.map((e) => [label(e), median(e.ips)]));
  const at = (n: string): number => med.get(n)!;
  const ratios: Record<string, number> = {};
  const tw = engines.find((e) => e.name === 'tfjs-wasm')!;
  const twOwn = median(tw.ownIps);
  for (const o of ['ours wasm 1 thr', 'ours wasm 2 thr']) {
    ratios[`${o} / tfjs-wasm`] = at(o) / at(label(tw));
    ratios[`${o} / tfjs-cpu`] = at(o) / at('tfjs-cpu 1 thr');
    ratios[`${o} / tfjs-wasm without the borrowed kernel's time`] = at(o) / twOwn;
  }
  const loadEnd = loadavg();
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown';

  console.log(`# Training throughput: MNIST CNN, batch ${BATCH}, SGD lr ${LR}, float32\n`);
  console.log(
    `conv3×3(1→16, pad ${CONV_PADDING})+bias+relu, maxpool2, conv3×3(16→32, pad ${CONV_PADDING})+bias+relu, maxpool2, dense(1568→10), softmax cross-entropy; real MNIST batches (loadMnist, normalised), the same batches and initial weights for every engine.`,
  );
  console.log(
    `Each step: host batch → tensor, forward, backward, SGD update, loss read back. ${WARMUP} warm-up steps, then ${WINDOWS} timed windows per engine, interleaved (each at least ${STEPS} steps and ${MIN_S} s, cut at ${MAX_S} s once it has 2 steps); images/s is the median window.`,
  );
  console.log(
    `tfjs: tfjs-core ${tf.version_core} (tf.variable + tf.train.sgd().minimize, NHWC); tfjs-wasm SIMD with ${tfjsWasmThreads} thread(s). ${bridge.note}.`,
  );
  console.log(`Machine: ${cpu}, ${os.cpus().length} cores, node ${process.version}; load average (1/5/15 min) ${loadStart} at start, ${loadEnd} at end.\n`);
  console.log('| engine | threads | images/s | windows min–max | ms/step | loss step 1 | loss step ' + WARMUP + ' |');
  console.log('|---|---|---|---|---|---|---|');
  for (const e of engines) {
    const m = at(label(e));
    console.log(
      `| ${e.name} | ${e.threads} | ${m.toFixed(0)} | ${Math.min(...e.ips).toFixed(0)}–${Math.max(...e.ips).toFixed(0)} | ${((1000 * BATCH) / m).toFixed(1)} | ${e.losses[0].toFixed(5)} | ${e.losses[WARMUP - 1].toFixed(5)} |`,
    );
  }
  const share = 1 - at(label(tw)) / twOwn;
  console.log(
    `\ntfjs-wasm spends ${(100 * share).toFixed(0)}% of its step in the borrowed tfjs-cpu Conv2DBackpropFilter; without that time (its own kernels only, not a runnable configuration) it would train ${twOwn.toFixed(0)} images/s (${((1000 * BATCH) / twOwn).toFixed(1)} ms/step).`,
  );
  console.log('\n| ratio (same run) | value |\n|---|---|');
  for (const [k, v] of Object.entries(ratios)) console.log(`| ${k} | ${v.toFixed(2)}× |`);
  if (leaks.length > 0) console.log(`\nWARNING: live tensors grew during the timed windows for ${leaks.join(', ')}`);

  const out = {
    bench: 'train_throughput',
    date: new Date().toISOString(),
    config: {
      batch: BATCH,
      lr: LR,
      seed: SEED,
      steps: STEPS,
      windows: WINDOWS,
      warmup: WARMUP,
      minSeconds: MIN_S,
      maxSeconds: MAX_S,
      convPadding: CONV_PADDING,
    },
    machine: { cpu, cores: os.cpus().length, node: process.version, loadavgStart: loadStart, loadavgEnd: loadEnd },
    tfjs: { version: tf.version_core, wasmThreads: tfjsWasmThreads, note: bridge.note, ownKernelsImagesPerSecond: twOwn, ownKernelsWindows: tw.ownIps },
    engines: engines.map((e) => ({ name: e.name, threads: e.threads, imagesPerSecond: at(label(e)), windows: e.ips, warmupLosses: e.losses })),
    ratios,
    leaks,
  };
  fs.mkdirSync('bench-results', { recursive: true });
  const file = path.join('bench-results', `train-throughput-${out.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nJSON: ${file}`);
}

await main();
