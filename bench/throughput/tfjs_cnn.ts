// The throughput bench's small CNN in tfjs-core (NHWC, tf.variable + optimizer.minimize), and the Conv2DBackpropFilter bridge for tfjs-wasm.

import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../../nn/data/loader.js';
import type { CnnWeights } from './ours_cnn.js';

/**
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so a conv's weight gradient fails on it.
 * This registers tfjs-cpu's kernel for 'wasm', as a user would, through a minimal adapter: the cpu
 * kernel reads its inputs as `backend.data.get(id).values` and returns `backend.makeTensorInfo(...)`,
 * which the wasm backend spells readSync(id) and makeOutput(...). Returns the text the bench prints and
 * a clock of the milliseconds spent in the borrowed kernel so far.
 */
export function registerWasmConvFilterGrad(): { note: string; borrowedMs: () => number } {
  const cpu = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu');
  if (cpu === undefined) throw new Error('tfjs-backend-cpu is not loaded');
  let ms = 0;
  const borrowedMs = (): number => ms;
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') !== undefined) return { note: 'tfjs-wasm has its own Conv2DBackpropFilter', borrowedMs };
  interface WasmLike {
    readSync(id: tf.DataId): tf.TypedArray;
    makeOutput(shape: number[], dtype: tf.DataType, offset?: number, values?: tf.TypedArray): tf.TensorInfo;
  }
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const w = backend as unknown as WasmLike;
      const bridge = {
        data: { get: (id: tf.DataId) => ({ values: w.readSync(id) }) },
        makeTensorInfo: (shape: number[], dtype: tf.DataType, values: tf.TypedArray) => w.makeOutput(shape, dtype, undefined, values),
      };
      const t0 = performance.now();
      const out = cpu.kernelFunc({ inputs, attrs, backend: bridge });
      ms += performance.now() - t0;
      return out;
    },
  });
  return {
    note: 'tfjs-wasm lacks Conv2DBackpropFilter: the tfjs-cpu kernel is registered for wasm (inputs read from, output written to the wasm heap)',
    borrowedMs,
  };
}

/** OIHW → HWIO (tfjs filter layout). */
function hwio(w: Float32Array, O: number, C: number, k: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let i = 0; i < k * k; i++) out[(i * C + c) * O + o] = w[(o * C + c) * k * k + i];
  return out;
}

/** Dense weight [10, C·H·W] over NCHW-flattened features → [H·W·C, 10] over NHWC-flattened ones. */
function denseNhwc(w: Float32Array, out: number, C: number, HW: number): Float32Array {
  const r = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) r[(p * C + c) * out + o] = w[o * C * HW + c * HW + p];
  return r;
}

/**
 * The same CNN on the active tfjs backend, from the same initial weights: conv 'same' (pad 1) + bias
 * + relu, maxPool 2, twice, then dense. Trained the standard tfjs-core way: tf.train.sgd(lr)
 * .minimize(loss) (variableGrads + applyGradients). Returns step(batch) → loss, and a dispose.
 */
export function tfjsTrainer(init: CnnWeights, lr: number): { step: (batch: Batch) => number; dispose: () => void } {
  const v = {
    w1: tf.variable(tf.tensor4d(hwio(init.conv1.w, 16, 1, 3), [3, 3, 1, 16])),
    b1: tf.variable(tf.tensor1d(init.conv1.b)),
    w2: tf.variable(tf.tensor4d(hwio(init.conv2.w, 32, 16, 3), [3, 3, 16, 32])),
    b2: tf.variable(tf.tensor1d(init.conv2.b)),
    w3: tf.variable(tf.tensor2d(denseNhwc(init.dense.w, 10, 32, 49), [32 * 49, 10])),
    b3: tf.variable(tf.tensor1d(init.dense.b)),
  };
  const opt = tf.train.sgd(lr);
  const step = (batch: Batch): number => {
    const [B, C, H, W] = batch.shape;
    // C = 1, so the NCHW batch is already NHWC in memory.
    const cost = tf.tidy(() => {
      const x = tf.tensor4d(batch.images, [B, H, W, C]);
      const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 10);
      return opt.minimize(() => {
        const block = (t: tf.Tensor4D, w: tf.Variable, b: tf.Variable): tf.Tensor4D =>
          tf.maxPool(tf.relu(tf.add(tf.conv2d(t, w as tf.Tensor4D, 1, 'same'), b)) as tf.Tensor4D, 2, 2, 'valid');
        const h = block(block(x, v.w1, v.b1), v.w2, v.b2);
        const logits = tf.add(tf.matMul(tf.reshape(h, [B, 32 * 49]), v.w3), v.b3);
        return tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, logits);
      }, true)!;
    });
    const l = cost.dataSync()[0];
    cost.dispose();
    return l;
  };
  return {
    step,
    dispose: () => {
      opt.dispose();
      Object.values(v).forEach((t) => t.dispose());
    },
  };
}
