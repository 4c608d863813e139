// Reference batch-norm kernels: per-channel float64 sums, the statistics and gradient sums made from them, and the per-channel affine pass.

import type { FloatArray } from '../../core/dtype.js';
import type { BatchNormGeometry } from '../geometry/norm.js';

/**
 * Two float64 numbers per channel c, over its batch·plane values. Without dy: sums[2c] = the mean
 * of x, sums[2c+1] = Σ (x − mean)² (two passes, so no cancellation). With dy and m (one value per
 * channel): sums[2c] = Σ dy, sums[2c+1] = Σ dy·(x − m[c]).
 */
export function channelSums(x: FloatArray, dy: FloatArray | null, m: FloatArray | null, g: BatchNormGeometry): Float64Array {
  const { batch, channels, plane, count } = g;
  const sums = new Float64Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    let s0 = 0;
    let s1 = 0;
    if (dy === null) {
      for (let b = 0; b < batch; b++) {
        const o = (b * channels + c) * plane;
        for (let i = 0; i < plane; i++) s0 += x[o + i];
      }
      s0 /= count;
      for (let b = 0; b < batch; b++) {
        const o = (b * channels + c) * plane;
        for (let i = 0; i < plane; i++) {
          const d = x[o + i] - s0;
          s1 += d * d;
        }
      }
    } else {
      const mc = m![c];
      for (let b = 0; b < batch; b++) {
        const o = (b * channels + c) * plane;
        for (let i = 0; i < plane; i++) {
          s0 += dy[o + i];
          s1 += dy[o + i] * (x[o + i] - mc);
        }
      }
    }
    sums[2 * c] = s0;
    sums[2 * c + 1] = s1;
  }
  return sums;
}

/**
 * stats [3, C] from channelSums without dy: row 0 the mean, row 1 the biased variance
 * Σ (x − mean)² / n, row 2 invstd = 1/√(variance + eps).
 */
export function statsFromSums(sums: Float64Array, eps: number, g: BatchNormGeometry, stats: FloatArray): void {
  const C = g.channels;
  for (let c = 0; c < C; c++) {
    const v = sums[2 * c + 1] / g.count;
    stats[c] = sums[2 * c];
    stats[C + c] = v;
    stats[2 * C + c] = 1 / Math.sqrt(v + eps);
  }
}

/**
 * The per-channel coefficients (m, a, b, k) of applyChannels: out = a·dy + b·(x − m) + k. For the
 * forward pass y = (x − mean)·invstd·weight + bias: (mean, 0, invstd·weight, bias), mean and
 * invstd from stats [3, C] (statsFromSums).
 */
export function forwardParams(stats: FloatArray, weight: FloatArray | null, bias: FloatArray | null, g: BatchNormGeometry): Float64Array {
  const C = g.channels;
  const p = new Float64Array(4 * C);
  for (let c = 0; c < C; c++) {
    p[4 * c] = stats[c];
    p[4 * c + 2] = stats[2 * C + c] * (weight === null ? 1 : weight[c]);
    p[4 * c + 3] = bias === null ? 0 : bias[c];
  }
  return p;
}

/**
 * From channelSums with dy (m = the mean, stats row 0): dBias = Σ dy, dWeight = Σ dy·x̂ = invstd·Σ dy·(x − mean),
 * and the coefficients of dx = γ·invstd·(dy − dBias/n − x̂·dWeight/n), γ = weight (1 without):
 * a = γ·invstd, b = −a·invstd·dWeight/n, k = −a·dBias/n.
 */
export function backwardParams(
  sums: Float64Array,
  stats: FloatArray,
  weight: FloatArray | null,
  g: BatchNormGeometry,
  dWeight: FloatArray,
  dBias: FloatArray,
): Float64Array {
  const C = g.channels;
  const p = new Float64Array(4 * C);
  for (let c = 0; c < C; c++) {
    const invstd = stats[2 * C + c];
    const dB = sums[2 * c];
    const dW = invstd * sums[2 * c + 1];
    dBias[c] = dB;
    dWeight[c] = dW;
    const a = (weight === null ? 1 : weight[c]) * invstd;
    p[4 * c] = stats[c];
    p[4 * c + 1] = a;
    p[4 * c + 2] = (-a * invstd * dW) / g.count;
    p[4 * c + 3] = (-a * dB) / g.count;
  }
  return p;
}

/** out = a·dy + b·(x − m) + k with channel c's (m, a, b, k) = params[4c..4c+3]; without dy, out = b·(x − m) + k. */
export function applyChannels(x: FloatArray, dy: FloatArray | null, params: ArrayLike<number>, out: FloatArray, g: BatchNormGeometry): void {
  const { batch, channels, plane } = g;
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const o = (b * channels + c) * plane;
      const m = params[4 * c];
      const a = params[4 * c + 1];
      const s = params[4 * c + 2];
      const k = params[4 * c + 3];
      if (dy === null) for (let i = 0; i < plane; i++) out[o + i] = s * (x[o + i] - m) + k;
      else for (let i = 0; i < plane; i++) out[o + i] = a * dy[o + i] + s * (x[o + i] - m) + k;
    }
  }
}
