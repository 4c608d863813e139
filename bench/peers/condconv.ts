// The peer bench's CondConv table: condgrad's fused path against onnxruntime's grouped fold and mixture-of-experts graphs and tfjs's per-sample loop, K experts, routing weights as inputs.

import type * as tfc from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { noGrad } from '../../core/engine.js';
import { tidy } from '../../core/scope.js';
import { tensor } from '../../core/creation.js';
import type { AnyBackend } from '../../core/backend.js';
import { condConv2d } from '../../ops/cond_conv.js';
import { conv2d } from '../../ops/conv.js';
import { mulberry32, randArray } from '../../test/helpers/rng.js';
import { onnxCondFoldModel, onnxCondMoeModel, type OnnxCondSpec } from './onnx_condconv.js';
import { medianMs } from './shapes.js';

export interface CondShape {
  name: string;
  /** [B, C, H, W] */
  x: [number, number, number, number];
  outC: number;
  k: number;
  depthwise: boolean;
}

export const COND_SHAPES: readonly CondShape[] = [
  { name: 'conv3x3 B8 C64 32² O64', x: [8, 64, 32, 32], outC: 64, k: 3, depthwise: false },
  { name: 'conv3x3 B32 C32 16² O32', x: [32, 32, 16, 16], outC: 32, k: 3, depthwise: false },
  { name: 'conv1x1 B8 C128 16² O128', x: [8, 128, 16, 16], outC: 128, k: 1, depthwise: false },
  { name: 'dw3x3 B8 C128 32²', x: [8, 128, 32, 32], outC: 128, k: 3, depthwise: true },
  { name: 'conv3x3 B1 C64 56² O64', x: [1, 64, 56, 56], outC: 64, k: 3, depthwise: false },
];

/** One CondConv problem's data, NCHW: x, routing weights [B, K], experts [K, O, C/groups, k, k]. */
export interface CondData {
  x: Float32Array;
  routing: Float32Array;
  experts: Float32Array;
}

export function condData(s: CondShape, K: number, seed: number): CondData {
  const rng = mulberry32(seed);
  const [B, C, H, W] = s.x;
  const cg = s.depthwise ? 1 : C;
  return {
    x: randArray(rng, B * C * H * W, 'float32') as Float32Array,
    routing: Float32Array.from(randArray(rng, B * K, 'float32'), (v) => 1 / (1 + Math.exp(-v))),
    experts: randArray(rng, K * s.outC * cg * s.k * s.k, 'float32') as Float32Array,
  };
}

export const onnxSpec = (s: CondShape, K: number, d: CondData): OnnxCondSpec => ({
  x: s.x,
  K,
  outC: s.outC,
  k: s.k,
  depthwise: s.depthwise,
  experts: d.experts,
});

/** condgrad's CondConv forward on `backend` (path 'fused'), or with K = 0 its plain conv of the same shape; returns the output NCHW. */
export function oursCond(backend: AnyBackend, s: CondShape, K: number, d: CondData): () => Float32Array {
  const [B, C] = s.x;
  const cg = s.depthwise ? 1 : C;
  const opts = { padding: 'same' as const, groups: s.depthwise ? C : 1 };
  const x = tensor(d.x, s.x, { backend });
  const ex =
    K > 0
      ? tensor(d.experts, [K, s.outC, cg, s.k, s.k], { backend })
      : tensor(d.experts.subarray(0, s.outC * cg * s.k * s.k), [s.outC, cg, s.k, s.k], { backend });
  const r = K > 0 ? tensor(d.routing, [B, K], { backend }) : null;
  // tidy frees the mixed kernels too: left to the GC they come back as fresh heap whose first touch is timed.
  return () =>
    tidy(() =>
      noGrad(() => {
        const y = r !== null ? condConv2d(x, ex, r, null, { ...opts, path: 'fused' }) : conv2d(x, ex, null, opts);
        return y.dataSync() as Float32Array;
      }),
    );
}

/** An onnxruntime session of the fold or moe graph; run() feeds X and R and returns Y. */
export async function ortCond(
  kind: 'fold' | 'moe',
  threads: number,
  s: CondShape,
  K: number,
  d: CondData,
): Promise<{ run: () => Promise<Float32Array>; release: () => Promise<void> }> {
  const bytes = kind === 'fold' ? onnxCondFoldModel(onnxSpec(s, K, d)) : onnxCondMoeModel(onnxSpec(s, K, d));
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = { X: new ort.Tensor('float32', d.x, s.x), R: new ort.Tensor('float32', d.routing, [s.x[0], K]) };
  return {
    run: async () => (await session.run(feeds)).Y.data as Float32Array,
    release: () => session.release(),
  };
}

/**
 * The official TensorFlow CondConv2D forward (tensorflow/tpu condconv_layers.py) in tfjs: mix
 * every sample's kernel with one matMul, then split the batch and the kernels, convolve each
 * sample with its own kernel, and concatenate. NHWC; experts [K, k·k·C·O] (HWIO flattened), or
 * [K, k·k·C] for depthwise.
 */
export function tfCondLoop(tf: typeof tfc, x: tfc.Tensor4D, routing: tfc.Tensor2D, experts: tfc.Tensor2D, s: CondShape): tfc.Tensor4D {
  return tf.tidy(() => {
    const B = s.x[0];
    const C = s.x[1];
    const kernels = tf.split(tf.matMul(routing, experts), B, 0);
    const xs = tf.split<tfc.Tensor4D>(x, B, 0);
    const ys = xs.map((xb, b) =>
      s.depthwise
        ? tf.depthwiseConv2d(xb, tf.reshape<tfc.Rank.R4>(kernels[b], [s.k, s.k, C, 1]), 1, 'same')
        : tf.conv2d(xb, tf.reshape<tfc.Rank.R4>(kernels[b], [s.k, s.k, C, s.outC]), 1, 'same'),
    );
    return tf.concat<tfc.Tensor4D>(ys, 0);
  });
}

/** NCHW x → NHWC; experts [K, O, Cg, k, k] → [K, k·k·C·O] (HWIO) or [K, k·k·C] (depthwise). */
export function toTfLayout(s: CondShape, K: number, d: CondData): { x: Float32Array; experts: Float32Array } {
  const [B, C, H, W] = s.x;
  const x = new Float32Array(d.x.length);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) x[(b * H * W + i) * C + c] = d.x[(b * C + c) * H * W + i];
  const O = s.outC,
    kk = s.k * s.k;
  const experts = new Float32Array(d.experts.length);
  for (let e = 0; e < K; e++) {
    if (s.depthwise) {
      for (let c = 0; c < C; c++) for (let t = 0; t < kk; t++) experts[e * kk * C + t * C + c] = d.experts[(e * C + c) * kk + t];
    } else {
      for (let o = 0; o < O; o++)
        for (let c = 0; c < C; c++) for (let t = 0; t < kk; t++) experts[e * kk * C * O + (t * C + c) * O + o] = d.experts[((e * O + o) * C + c) * kk + t];
    }
  }
  return { x, experts };
}

/** A timed engine of the CondConv table: ms per forward call on one shape. */
export interface CondEngine {
  name: string;
  time: (s: CondShape, seed: number) => Promise<number>;
}

export function oursCondEngine(name: string, backend: AnyBackend, K: number, reps: number): CondEngine {
  return { name, time: async (s, seed) => medianMs(oursCond(backend, s, K, condData(s, Math.max(K, 1), seed)), reps) };
}

export function ortCondEngine(kind: 'fold' | 'moe', threads: number, K: number, reps: number): CondEngine {
  return {
    name: `ORT ${kind} ${threads} thr`,
    time: async (s, seed) => {
      const e = await ortCond(kind, threads, s, K, condData(s, K, seed));
      try {
        return await medianMs(e.run, reps);
      } finally {
        await e.release();
      }
    },
  };
}

/** tfjs on its active backend (the caller sets it), the per-sample loop. */
export function tfjsCondEngine(tf: typeof tfc, name: string, K: number, reps: number): CondEngine {
  return {
    name,
    time: async (s, seed) => {
      const d = condData(s, K, seed);
      const t = toTfLayout(s, K, d);
      const [B, C, H, W] = s.x;
      const x = tf.tensor4d(t.x, [B, H, W, C]);
      const r = tf.tensor2d(d.routing, [B, K]);
      const e = tf.tensor2d(t.experts, [K, t.experts.length / K]);
      try {
        return await medianMs(() => tfCondLoop(tf, x, r, e, s).dispose(), reps);
      } finally {
        tf.dispose([x, r, e]);
      }
    },
  };
}
