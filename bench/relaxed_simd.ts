// Bench: the relaxed-SIMD wasm kernels against the plain 128-bit SIMD ones in one run: conv2d forward, input and filter gradients on the bench shapes, and matmul.
// Run (Node 20 needs the flag; Node >= 21 validates relaxed SIMD by default):
//   node --experimental-wasm-relaxed-simd --import tsx bench/relaxed_simd.ts [--threads 1,2] [--reps 9] [--per-sample] [--models mobilenet-v1,resnet|none] [--only <text>] [--json out.json]

import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import '../kernels/register.js';
import { wasmRelaxedSimdSupported, type WasmSimd } from '../core/wasm_simd.js';
import { matmulGeometry } from '../kernels/geometry/matmul.js';
import { createWasmBackend, type WasmBackend, type WasmStorage } from '../kernels/wasm/backend.js';
import { mulberry32, randArray } from '../test/helpers/rng.js';
import type { FloatArray } from '../core/dtype.js';
import { randn } from '../core/creation.js';
import { tidy } from '../core/scope.js';
import { DataLoader, type Batch } from '../nn/data/loader.js';
import { loadMnist } from '../nn/data/mnist.js';
import { MODEL_NAMES, type ModelName } from '../nn/models/index.js';
import { sum } from '../ops/broadcast.js';
import { condConv2d } from '../ops/cond_conv.js';
import { adamTrainer, buildVariant } from './model/trainer.js';
import { CONV_SHAPES, shapeGeometry, type ConvShape } from './peers/shapes.js';
import { convPhaseCall, type ConvPhase } from './report/conv_phase.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    reps: { type: 'string', default: '9' },
    'per-sample': { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
    models: { type: 'string', default: 'mobilenet-v1,resnet' },
  },
});
const THREADS = values.threads.split(',').map(Number);
const REPS = Number(values.reps);
const MODELS = values.models === 'none' ? [] : (values.models.split(',') as ModelName[]);
if (MODELS.some((m) => !MODEL_NAMES.includes(m))) throw new Error(`--models takes zoo names (${MODEL_NAMES.join(', ')}) or none, got ${values.models}`);
let mnist: Batch[] | null = null;
/** 8 MNIST batches of 64, loaded once. */
function batches(): Batch[] {
  if (mnist === null)
    mnist = [...new DataLoader(loadMnist({ train: 512, test: 10, normalize: true }).train, { batchSize: 64, seed: 1, dropLast: true }).epoch(0)];
  return mnist;
}
if (!THREADS.every((t) => Number.isInteger(t) && t >= 1) || !(Number.isInteger(REPS) && REPS >= 1)) {
  throw new Error(`--threads takes counts like 1,2 and --reps a positive integer (got ${values.threads}, ${values.reps})`);
}
if (!wasmRelaxedSimdSupported()) {
  console.error('This runtime does not validate relaxed SIMD: run it with node --experimental-wasm-relaxed-simd (Node 20) or Node >= 21.');
  process.exit(2);
}

/** One timed operation, set up on both backends: `run(i)` computes on backend i and returns its output. */
interface Case {
  name: string;
  op: string;
  /** Flops per call (0: not counted). */
  flops: number;
  /** One timed call on backend i. */
  run: (i: number) => void;
  /** The result on backend i, to compare the two builds' rounding (none for a training step, which moves the weights). */
  output?: (i: number) => FloatArray;
  free: () => void;
}

/** A kernel call's case parts: timing disposes the output, `output` reads it back. */
function kernelCall(bes: readonly WasmBackend[], compute: (i: number) => WasmStorage): Pick<Case, 'run' | 'output'> {
  return {
    run: (i) => bes[i].dispose(compute(i)),
    output: (i) => {
      const s = compute(i);
      const d = bes[i].readSync(s);
      bes[i].dispose(s);
      return d;
    },
  };
}

/** The same seeded inputs on each backend. */
function inputs(bes: readonly WasmBackend[], sizes: readonly number[], seed: number): WasmStorage[][] {
  const data = sizes.map((n, i) => randArray(mulberry32(seed + i), n, 'float32'));
  return bes.map((be) => data.map((d) => be.fromArray(d)));
}

const PHASE: Record<'forward' | 'input grad' | 'filter grad', ConvPhase> = {
  forward: 'forward',
  'input grad': 'backwardInput',
  'filter grad': 'backwardFilter',
};

function convCase(bes: readonly WasmBackend[], s: ConvShape, op: 'forward' | 'input grad' | 'filter grad', perSample: boolean): Case {
  const g = shapeGeometry(s, perSample);
  const calls = bes.map((be) => convPhaseCall(be, g, PHASE[op], 7));
  const free = (): void => calls.forEach((c) => c.free());
  return { name: `${s.name}${perSample ? ' per-sample W' : ''}`, op, flops: 2 * g.macs, ...kernelCall(bes, (i) => calls[i].call()), free };
}

function matmulCase(bes: readonly WasmBackend[], n: number, batch: number): Case {
  const g = matmulGeometry('matmul', batch, batch, [n, n], [n, n], false, false);
  const ins = inputs(bes, [batch * n * n, batch * n * n], 11);
  return {
    name: `${batch > 1 ? `${batch}× ` : ''}${n}×${n}×${n}`,
    op: 'matmul',
    flops: 2 * batch * n * n * n,
    ...kernelCall(bes, (i) => bes[i].matmul(ins[i][0], ins[i][1], g)),
    free: () => ins.forEach((xs, i) => xs.forEach((x) => bes[i].dispose(x))),
  };
}

/** Fused condConv2d (K experts, routing weights as inputs) forward+backward, the op the CondConv layers run. */
function condConvCase(bes: readonly WasmBackend[], x: [number, number, number, number], outC: number, K: number): Case {
  const ts = bes.map((backend) => {
    const xt = randn(x, { seed: 1, backend, requiresGrad: true });
    const e = randn([K, outC, x[1], 3, 3], { seed: 2, backend, requiresGrad: true });
    const r = randn([x[0], K], { seed: 3, backend, requiresGrad: true });
    return [xt, e, r];
  });
  const step = (i: number, read: boolean): FloatArray => {
    const [xt, e, r] = ts[i];
    return tidy(() => {
      sum(condConv2d(xt, e, r, null, { padding: 1, path: 'fused' })).backward();
      const g = read ? (e.grad?.dataSync() ?? new Float32Array(0)) : new Float32Array(0);
      for (const t of ts[i]) {
        t.grad?.dispose();
        t.grad = null;
      }
      return g;
    });
  };
  return {
    name: `B${x[0]} C${x[1]} ${x[2]}×${x[3]} O${outC} k3 K=${K}`,
    op: 'condConv2d fused fwd+bwd',
    flops: 3 * 2 * x[0] * outC * x[2] * x[3] * x[1] * 9,
    run: (i) => void step(i, false),
    output: (i) => step(i, true),
    free: () => ts.flat().forEach((t) => t.dispose()),
  };
}

/** One Adam training step of a zoo model with every stage CondConv (K = 8), MNIST batches of 64. */
function modelCase(bes: readonly WasmBackend[], model: ModelName, batches: readonly Batch[]): Case {
  const steps = bes.map((be) => adamTrainer(buildVariant({ model, K: 8 }, be, 1, 1), be, 1e-3));
  let next = 0;
  return {
    name: `${model} CondConv K=8, batch 64`,
    op: 'training step',
    flops: 0,
    run: (i) => void steps[i](batches[next++ % batches.length]),
    free: () => undefined,
  };
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Largest |relaxed - plain| over the largest |plain|: the rounding difference the fused multiply-adds make. */
function relDiff(c: Case): number {
  if (c.output === undefined) return NaN;
  const [p, r] = [0, 1].map((i) => c.output!(i));
  let diff = 0,
    scale = 0;
  for (let j = 0; j < p.length; j++) {
    diff = Math.max(diff, Math.abs(p[j] - r[j]));
    scale = Math.max(scale, Math.abs(p[j]));
  }
  return diff / scale;
}

/** Interleaved reps (the order alternates), after a warm-up of each module: medians and the median per-rep ratio. */
function measure(c: Case): { plainMs: number; relaxedMs: number; ratio: number; diff: number } {
  const once = (i: number): number => {
    const t = performance.now();
    c.run(i);
    return performance.now() - t;
  };
  // Warm-up until both modules' kernels are past V8's baseline tier: at least 5 calls and ~150 ms each.
  for (const i of [0, 1]) {
    const t0 = performance.now();
    for (let n = 0; n < 5 || (performance.now() - t0 < 150 && n < 60); n++) once(i);
  }
  const ms: [number[], number[]] = [[], []];
  const ratios: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    const t: number[] = [];
    for (const i of order) t[i] = once(i);
    ms[0].push(t[0]);
    ms[1].push(t[1]);
    ratios.push(t[0] / t[1]);
  }
  return { plainMs: median(ms[0]), relaxedMs: median(ms[1]), ratio: median(ratios), diff: relDiff(c) };
}

async function main(): Promise<void> {
  const la = (): string =>
    loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
  console.log(`# relaxed SIMD vs plain SIMD wasm kernels, float32: median of ${REPS} interleaved reps\n`);
  console.log(`${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, Node ${process.versions.node}, load average at start ${la()}\n`);
  console.log('speedup = plain ms / relaxed ms, median of the per-rep ratios (> 1: relaxed is faster); diff = max |relaxed - plain| / max |plain|\n');
  const rows: Record<string, unknown>[] = [];
  for (const threads of THREADS) {
    const order: WasmSimd[] = ['simd128', 'relaxed'];
    const bes = await Promise.all(order.map((simd) => createWasmBackend({ threads, simd })));
    console.log(`\n## ${threads} thread${threads > 1 ? 's' : ''}\n`);
    console.log('| op | shape | plain ms | relaxed ms | plain GFLOP/s | relaxed GFLOP/s | speedup | diff |');
    console.log('|---|---|---|---|---|---|---|---|');
    const cases: (() => Case)[] = [];
    for (const op of ['forward', 'input grad', 'filter grad'] as const) {
      for (const s of CONV_SHAPES) {
        cases.push(() => convCase(bes, s, op, false));
        if (values['per-sample']) cases.push(() => convCase(bes, s, op, true));
      }
    }
    for (const [x, o] of [
      [[8, 64, 32, 32], 64],
      [[32, 32, 16, 16], 32],
    ] as const)
      cases.push(() => condConvCase(bes, [...x], o, 8));
    for (const model of MODELS) cases.push(() => modelCase(bes, model, batches()));
    cases.push(
      () => matmulCase(bes, 256, 1),
      () => matmulCase(bes, 512, 1),
      () => matmulCase(bes, 64, 64),
    );
    const speedups: number[] = [];
    for (const make of cases) {
      const c = make();
      if (values.only !== undefined && !`${c.op} ${c.name}`.includes(values.only)) {
        c.free();
        continue;
      }
      const m = measure(c);
      c.free();
      speedups.push(m.ratio);
      const gf = (ms: number): string => (c.flops > 0 ? (c.flops / ms / 1e6).toFixed(1) : '—');
      console.log(
        `| ${c.op} | ${c.name} | ${m.plainMs.toFixed(2)} | ${m.relaxedMs.toFixed(2)} | ${gf(m.plainMs)} | ${gf(m.relaxedMs)} | ${m.ratio.toFixed(3)}× | ${Number.isNaN(m.diff) ? '—' : m.diff.toExponential(1)} |`,
      );
      rows.push({ threads, op: c.op, shape: c.name, ...m });
    }
    const geo = Math.exp(speedups.reduce((a, r) => a + Math.log(r), 0) / speedups.length);
    console.log(
      `\n${threads} thread${threads > 1 ? 's' : ''}: geometric mean speedup ${geo.toFixed(3)}×, range ${Math.min(...speedups).toFixed(3)}–${Math.max(...speedups).toFixed(3)}×`,
    );
    await Promise.all(bes.map((be) => be.destroy()));
  }
  console.log(`\nload average at end ${la()}`);
  if (values.json !== undefined) writeFileSync(values.json, JSON.stringify({ node: process.versions.node, cpu: cpus()[0]?.model, reps: REPS, rows }, null, 2));
}

await main();
