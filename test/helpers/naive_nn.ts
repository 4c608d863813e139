// Naive float64 references for pooling, softmax, batch norm and cross-entropy, written from the definitions.

import { arr, ravel, sizeOf, unravel, type Arr } from './naive.js';

export interface NaivePool {
  k: [number, number];
  stride: [number, number];
  /** [top, bottom, left, right] */
  pad: [number, number, number, number];
  mode: 'max' | 'avg';
  countIncludePad: boolean;
}

/** Pooling over [B, C, H, W]; null when the configuration is invalid for x. */
export function naivePool(x: Arr, p: NaivePool): Arr | null {
  if (x.shape.length !== 4) return null;
  const [B, C, H, W] = x.shape;
  const ints = [...p.k, ...p.stride, ...p.pad];
  if (!ints.every(Number.isInteger) || p.k.some((v) => v < 1) || p.stride.some((v) => v < 1) || p.pad.some((v) => v < 0)) return null;
  const [kH, kW] = p.k;
  const [t, b, l, r] = p.pad;
  if (t >= kH || b >= kH || l >= kW || r >= kW) return null;
  if (H + t + b < kH || W + l + r < kW) return null;
  const oH = Math.floor((H + t + b - kH) / p.stride[0]) + 1;
  const oW = Math.floor((W + l + r - kW) / p.stride[1]) + 1;
  const out = arr([B, C, oH, oW]);
  for (let o = 0; o < out.data.length; o++) {
    const [bb, c, oh, ow] = unravel(o, out.shape);
    let m = -Infinity;
    let s = 0;
    let n = 0;
    for (let i = 0; i < kH; i++) {
      for (let j = 0; j < kW; j++) {
        const ih = oh * p.stride[0] - t + i;
        const iw = ow * p.stride[1] - l + j;
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        const v = x.data[ravel([bb, c, ih, iw], x.shape)];
        m = Math.max(m, v);
        s += v;
        n++;
      }
    }
    out.data[o] = p.mode === 'max' ? m : s / (p.countIncludePad ? kH * kW : n);
  }
  return out;
}

/** softmax (or log-softmax) of x / T along axis. */
export function naiveSoftmax(x: Arr, axis: number, T: number, log: boolean): Arr {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const out = arr(x.shape);
  const n = x.shape[a];
  const visited = new Uint8Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    if (visited[i]) continue;
    const idx = unravel(i, x.shape);
    const offs: number[] = [];
    for (let k = 0; k < n; k++) {
      idx[a] = k;
      offs.push(ravel(idx, x.shape));
    }
    const m = Math.max(...offs.map((o) => x.data[o]));
    const z = offs.map((o) => (x.data[o] - m) / T);
    const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
    offs.forEach((o, k) => {
      visited[o] = 1;
      out.data[o] = log ? z[k] - lse : Math.exp(z[k] - lse);
    });
  }
  return out;
}

/** Training-mode batch norm of [B, C, H, W] with batch statistics; also returns the batch mean and biased variance. */
export function naiveBatchNorm(
  x: Arr,
  weight: ArrayLike<number> | null,
  bias: ArrayLike<number> | null,
  eps: number,
): { y: Arr; mean: Float64Array; variance: Float64Array } {
  const [B, C, H, W] = x.shape;
  const n = B * H * W;
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let i = 0; i < x.data.length; i++) mean[unravel(i, x.shape)[1]] += x.data[i] / n;
  for (let i = 0; i < x.data.length; i++) {
    const c = unravel(i, x.shape)[1];
    variance[c] += (x.data[i] - mean[c]) ** 2 / n;
  }
  const y = naiveBatchNormEval(x, mean, variance, weight, bias, eps);
  return { y, mean, variance };
}

/** Batch norm of [B, C, H, W] with given per-channel statistics. */
export function naiveBatchNormEval(
  x: Arr,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  weight: ArrayLike<number> | null,
  bias: ArrayLike<number> | null,
  eps: number,
): Arr {
  const y = arr(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const c = unravel(i, x.shape)[1];
    y.data[i] = ((x.data[i] - mean[c]) / Math.sqrt(variance[c] + eps)) * (weight ? weight[c] : 1) + (bias ? bias[c] : 0);
  }
  return y;
}

/** Cross-entropy of [B, C] logits against labels with PyTorch's label smoothing. */
export function naiveCrossEntropy(logits: Arr, labels: ArrayLike<number>, smoothing: number, reduction: 'mean' | 'sum'): number {
  const [B, C] = logits.shape;
  const lsm = naiveSoftmax(logits, 1, 1, true);
  let total = 0;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const target = (c === labels[b] ? 1 - smoothing : 0) + smoothing / C;
      total -= target * lsm.data[b * C + c];
    }
  }
  return reduction === 'mean' ? total / B : total;
}

export { sizeOf };
