// Bench: conv2d forward GFLOP/s of the wasm backend against tfjs-wasm, tfjs-cpu and onnxruntime-node, all in one run.
// Then the CondConv table (K = 8, routing weights as inputs): our fused path against onnxruntime's grouped fold and moe graphs and tfjs-wasm's per-sample loop.
// Run: npx tsx bench/peers.ts [--quick] [--rounds N] [--only conv|condconv]   (--quick skips tfjs-cpu and does one round)

import '../kernels/register.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-node';
import { cpus, loadavg } from 'node:os';
import { conv2dGeometry } from '../kernels/geometry/conv.js';
import { createWasmBackend, type WasmBackend } from '../kernels/wasm/backend.js';
import { mulberry32, randArray } from '../test/helpers/rng.js';
import { COND_SHAPES, oursCondEngine, ortCondEngine, tfjsCondEngine, type CondEngine } from './peers/condconv.js';
import { onnxConvModel } from './peers/onnx_conv.js';
import { CONV_SHAPES, convMacs, medianMs, type ConvShape } from './peers/shapes.js';
import { median } from './report/timing.js';

const quick = process.argv.includes('--quick');
const ri = process.argv.indexOf('--rounds');
const ROUNDS = ri > 0 ? Number(process.argv[ri + 1]) : quick ? 1 : 3;
const REPS = 5;
const oi = process.argv.indexOf('--only');
const ONLY = oi > 0 ? process.argv[oi + 1] : null;
if (ONLY !== null && ONLY !== 'conv' && ONLY !== 'condconv') throw new Error(`--only must be 'conv' or 'condconv', got ${ONLY}`);
const COND_K = 8;

/** Times one engine on one shape; returns ms per call. */
type Engine = { name: string; time: (s: ConvShape, seed: number) => Promise<number> };

function ours(be: WasmBackend, name: string): Engine {
  return {
    name,
    time: async (s, seed) => {
      const rng = mulberry32(seed);
      const w = [s.outC, s.depthwise ? 1 : s.x[1], s.k, s.k];
      const g = conv2dGeometry('conv2d', s.x, w, { padding: 'same', groups: s.depthwise ? s.x[1] : 1 });
      const x = be.fromArray(
        randArray(
          rng,
          s.x.reduce((a, b) => a * b, 1),
          'float32',
        ),
      );
      const ws = be.fromArray(randArray(rng, g.weightSize, 'float32'));
      const ms = await medianMs(() => be.dispose(be.conv2d(x, ws, g)), REPS);
      be.dispose(x);
      be.dispose(ws);
      return ms;
    },
  };
}

function tfjs(backend: 'wasm' | 'cpu'): Engine {
  return {
    name: `tfjs-${backend}`,
    time: async (s, seed) => {
      await tf.setBackend(backend);
      await tf.ready();
      const rng = mulberry32(seed);
      const [n, c, h, w] = s.x;
      const x = tf.tensor4d(randArray(rng, n * h * w * c, 'float32') as Float32Array, [n, h, w, c]);
      const f = s.depthwise
        ? tf.tensor4d(randArray(rng, s.k * s.k * c, 'float32') as Float32Array, [s.k, s.k, c, 1])
        : tf.tensor4d(randArray(rng, s.k * s.k * c * s.outC, 'float32') as Float32Array, [s.k, s.k, c, s.outC]);
      const run = (): void => {
        const y = s.depthwise ? tf.depthwiseConv2d(x, f, 1, 'same') : tf.conv2d(x, f, 1, 'same');
        y.dispose();
      };
      const ms = await medianMs(run, REPS);
      x.dispose();
      f.dispose();
      return ms;
    },
  };
}

function onnx(threads: number, weightsAsInput: boolean): Engine {
  return {
    name: `ORT ${threads} thr${weightsAsInput ? ', W as input' : ''}`,
    time: async (s, seed) => {
      const rng = mulberry32(seed);
      const [n, c, h, wd] = s.x;
      const wShape = [s.outC, s.depthwise ? 1 : c, s.k, s.k];
      const wData = randArray(
        rng,
        wShape.reduce((a, b) => a * b, 1),
        'float32',
      ) as Float32Array;
      const p0 = Math.floor((s.k - 1) / 2),
        p1 = s.k - 1 - p0;
      const model = onnxConvModel({ x: s.x, w: wShape, group: s.depthwise ? c : 1, pads: [p0, p0, p1, p1], weights: weightsAsInput ? null : wData }, [
        n,
        s.outC,
        h,
        wd,
      ]);
      const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const feeds: Record<string, ort.Tensor> = { X: new ort.Tensor('float32', randArray(rng, n * c * h * wd, 'float32') as Float32Array, s.x) };
      if (weightsAsInput) feeds.W = new ort.Tensor('float32', wData, wShape);
      const ms = await medianMs(() => session.run(feeds), REPS);
      await session.release();
      return ms;
    },
  };
}

async function main(): Promise<void> {
  // tfjs-wasm picks its threaded build in Node; pin it to the single-threaded SIMD configuration.
  setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  const w1 = await createWasmBackend({ threads: 1 });
  const w2 = await createWasmBackend({ threads: 2 });
  if (ONLY !== 'condconv') await convTable(w1, w2);
  if (ONLY !== 'conv') await condTable(w1, w2);
  await w1.destroy();
  await w2.destroy();
}

async function condTable(w1: WasmBackend, w2: WasmBackend): Promise<void> {
  await tf.setBackend('wasm');
  const plainOrt = onnx(1, false);
  const engines: CondEngine[] = [
    oursCondEngine('ours fused 1 thr', w1, COND_K, REPS),
    oursCondEngine('ours fused 2 thr', w2, COND_K, REPS),
    oursCondEngine('ours plain 1 thr', w1, 0, REPS),
    { name: 'ORT plain 1 thr', time: plainOrt.time },
    ortCondEngine('fold', 1, COND_K, REPS),
    ortCondEngine('fold', 2, COND_K, REPS),
    ortCondEngine('moe', 1, COND_K, REPS),
    ortCondEngine('moe', 2, COND_K, REPS),
    tfjsCondEngine(tf, 'tfjs-wasm loop 1 thr', COND_K, REPS),
  ];
  const bySample = new Map<string, Map<string, number[]>>();
  const load0 = loadavg();
  for (const s of COND_SHAPES) {
    const samples = new Map<string, number[]>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const e of engines) samples.set(e.name, [...(samples.get(e.name) ?? []), await e.time(s, r + 1)]);
    }
    bySample.set(s.name, samples);
  }
  const names = engines.map((e) => e.name);
  const ratios: [string, string, string][] = [
    ['ours fused / ours plain', 'ours fused 1 thr', 'ours plain 1 thr'],
    ['ORT fold / ORT plain', 'ORT fold 1 thr', 'ORT plain 1 thr'],
    ['ours / ORT fold, 1 thr', 'ours fused 1 thr', 'ORT fold 1 thr'],
    ['ours / ORT fold, 2 thr', 'ours fused 2 thr', 'ORT fold 2 thr'],
    ['ours / ORT moe, 1 thr', 'ours fused 1 thr', 'ORT moe 1 thr'],
    ['ours / ORT moe, 2 thr', 'ours fused 2 thr', 'ORT moe 2 thr'],
    ['ours / tfjs-wasm loop, 1 thr', 'ours fused 1 thr', 'tfjs-wasm loop 1 thr'],
  ];
  console.log(
    `\n# CondConv forward, K = ${COND_K}, float32, ms (median of ${ROUNDS} interleaved round(s), each a median of ${REPS} after warm-up; a ratio is the median of its per-round ratios)\n`,
  );
  console.log(
    "Routing weights [B, K] are inputs; the experts are constants (ORT initializers). ours: condConv2d path 'fused' (mix, then one per-sample conv), output read back. ORT fold: timm's export (MatMul mix, then Conv with group = B). ORT moe: one Conv with K·O outputs, then Mul + ReduceSum over K. tfjs-wasm loop: the official TensorFlow CondConv2D (matMul mix, split the batch, one conv per sample, concat), NHWC. Ratios are times (below 1: ours faster).\n",
  );
  const load = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' ');
  console.log(
    `${cpus()[0]?.model ?? ''}, ${cpus().length} cores, node ${process.version}; load average ${load(load0)} at start, ${load(loadavg())} at the end.\n`,
  );
  console.log(`| shape | ${names.join(' | ')} | ${ratios.map((r) => r[0]).join(' | ')} |`);
  console.log(`|---|${names.map(() => '---:').join('|')}|${ratios.map(() => '---:').join('|')}|`);
  for (const s of COND_SHAPES) {
    const samples = bySample.get(s.name)!;
    const v = names.map((n) => median(samples.get(n)!));
    // Per-round ratios: the two engines of a ratio ran seconds apart in the same round, so slow load shifts cancel.
    const ratio = (a: string, b: string): number => median(samples.get(a)!.map((t, r) => t / samples.get(b)![r]));
    console.log(`| ${s.name} | ${v.map((x) => x.toFixed(2)).join(' | ')} | ${ratios.map(([, a, b]) => `${ratio(a, b).toFixed(2)}×`).join(' | ')} |`);
  }
}

async function convTable(w1: WasmBackend, w2: WasmBackend): Promise<void> {
  const engines: Engine[] = [
    ours(w1, 'ours wasm 1 thr'),
    ours(w2, 'ours wasm 2 thr'),
    tfjs('wasm'),
    onnx(1, false),
    onnx(2, false),
    onnx(1, true),
    onnx(2, true),
  ];
  const slow = quick ? [] : [tfjs('cpu')];
  const gf = new Map<string, number[]>();
  for (const s of CONV_SHAPES) {
    const samples = new Map<string, number[]>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const e of engines) {
        const ms = await e.time(s, r + 1);
        samples.set(e.name, [...(samples.get(e.name) ?? []), ms]);
      }
    }
    for (const e of slow) samples.set(e.name, [await e.time(s, 1)]);
    gf.set(
      s.name,
      [...engines, ...slow].map((e) => (2 * convMacs(s)) / median(samples.get(e.name)!) / 1e6),
    );
  }
  const names = [...engines, ...slow].map((e) => e.name);
  console.log(`# conv2d forward, float32, GFLOP/s (median of ${ROUNDS} interleaved round(s), each a median of ${REPS} after warm-up)\n`);
  console.log(
    `tfjs runs NHWC (tfjs-wasm with ${getThreadsCount()} thread(s)), the others NCHW; 'same' padding, stride 1. "W as input" feeds the kernel at run time as per-sample weights need.\n`,
  );
  console.log(`| shape | ${names.join(' | ')} | ours 1 thr / tfjs-wasm | ours 2 thr / ours 1 thr | ours 1 thr / ORT 1 thr |`);
  console.log(`|---|${names.map(() => '---').join('|')}|---|---|---|`);
  for (const s of CONV_SHAPES) {
    const v = gf.get(s.name)!;
    const at = (n: string): number => v[names.indexOf(n)];
    const r = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
    console.log(
      `| ${s.name} | ${v.map((x) => x.toFixed(1)).join(' | ')} | ${r(at('ours wasm 1 thr'), at('tfjs-wasm'))} | ${r(at('ours wasm 2 thr'), at('ours wasm 1 thr'))} | ${r(at('ours wasm 1 thr'), at('ORT 1 thr'))} |`,
    );
  }
}

await main();
