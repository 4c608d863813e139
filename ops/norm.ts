// Batch normalisation over NCHW tensors: the fused training op where the backend has it, else a composite of differentiable ops.

import { CondgradError, fmtShape } from '../core/errors.js';
import { noGrad } from '../core/engine.js';
import { Tensor } from '../core/tensor.js';
import { add, affine, div, maximum, mul, neg, sqrt, square, sub } from './arithmetic.js';
import { fusedBatchNorm } from './norm_fused.js';
import { max, mean, min } from './reduce.js';
import { reshape, slice } from './shape.js';

export interface BatchNorm2dOptions {
  /** Per-channel scale γ: [C]. */
  weight?: Tensor | null;
  /** Per-channel shift β: [C]. */
  bias?: Tensor | null;
  /** [C]; updated in place in training, read in eval. */
  runningMean?: Tensor | null;
  /** [C]; updated in place in training (unbiased variance, as PyTorch), read in eval. */
  runningVar?: Tensor | null;
  training: boolean;
  /** Weight of the new batch statistic in the running update (PyTorch convention). Default 0.1. */
  momentum?: number;
  eps?: number;
}

const OP = 'batchNorm2d';

function checkChannelTensor(x: Tensor, arg: string, t: Tensor | null | undefined): Tensor | null {
  if (t === undefined || t === null) return null;
  if (!(t instanceof Tensor)) throw new CondgradError(OP, `${arg} must be a Tensor, got ${typeof t}`);
  const C = x.shape[1];
  if (t.rank !== 1 || t.shape[0] !== C) {
    throw new CondgradError(OP, `${arg} must be [${C}] for x ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
  }
  if (t.dtype !== x.dtype)
    throw new CondgradError(OP, `${arg} ${fmtShape(t.shape)} is ${t.dtype} but x ${fmtShape(x.shape)} is ${x.dtype}; cast one explicitly`);
  if (t.backend !== x.backend)
    throw new CondgradError(OP, `${arg} ${fmtShape(t.shape)} is on '${t.backend.name}' but x ${fmtShape(x.shape)} is on '${x.backend.name}'`);
  if (t.isDisposed) throw new CondgradError(OP, `${arg} ${fmtShape(t.shape)} was disposed`);
  return t;
}

/** running ← (1 − m)·running + m·batchStat (not recorded; old storage released by assign). */
function updateRunning(running: Tensor, stat: Tensor, momentum: number, scale: number): void {
  noGrad(() => {
    const flat = reshape(stat, running.shape);
    const kept = affine(running, 1 - momentum);
    const fresh = affine(flat, momentum * scale);
    running.assign(add(kept, fresh));
    for (const t of [flat, kept, fresh]) t.dispose();
  });
}

const RED = [0, 2, 3];

/** Normalised x with the plain statistics: (x − μ) / √(σ² + eps). */
function plainStats(x: Tensor, eps: number): { xhat: Tensor; mu: Tensor; variance: Tensor } {
  const mu = mean(x, RED, true);
  const xc = sub(x, mu);
  const variance = mean(square(xc), RED, true);
  return { xhat: div(xc, sqrt(affine(variance, 1, eps))), mu, variance };
}

/**
 * The same, on x / s with s = max(1, max |x|) per channel (a constant the result does not depend
 * on): with xs = x/s, (xs − mean xs) / √(var xs + eps/s²) equals (x − μ) / √(σ² + eps), but
 * neither x − μ nor the squares can overflow for finite x near the dtype's limit. Exported for
 * its tests; batchNorm2d chooses it.
 */
export function scaledStats(x: Tensor, eps: number): { xhat: Tensor; mu: Tensor; variance: Tensor } {
  const s = noGrad(() => maximum(maximum(max(x, RED, true), neg(min(x, RED, true))), 1));
  const xs = div(x, s);
  const muScaled = mean(xs, RED, true);
  const xc = sub(xs, muScaled);
  const varScaled = mean(square(xc), RED, true);
  const xhat = div(xc, sqrt(add(varScaled, div(eps, square(s)))));
  return { xhat, mu: noGrad(() => mul(muScaled, s)), variance: noGrad(() => mul(varScaled, square(s))) };
}

/**
 * Training statistics that stay finite for finite x. On backends that read synchronously the
 * plain statistics run first and the C variances are checked on the host (a tiny read): only if
 * x − μ or its square overflowed (values near the dtype's limit) is the scaled form computed. The
 * gpu backend reads only asynchronously, so it always takes the scaled form.
 */
function batchStats(x: Tensor, eps: number): { xhat: Tensor; mu: Tensor; variance: Tensor } {
  if (x.backend.name !== 'gpu') {
    const plain = plainStats(x, eps);
    if (plain.variance.dataSync().every(Number.isFinite)) return plain;
  }
  return scaledStats(x, eps);
}

/**
 * Batch normalisation. x: [B, C, H, W]; weight, bias, runningMean, runningVar: [C].
 * Training normalises with the batch mean and biased variance over (B, H, W) and updates the
 * running statistics in place (variance unbiased); eval normalises with the running statistics.
 * y = (x − μ) / √(σ² + eps) · weight + bias, gradients flowing to x, weight and bias. Training
 * runs as one fused op (float64 statistics, closed-form backward) on backends with the batch-norm
 * kernels (cpu, wasm), else, and for values whose squares overflow, as the composite below.
 */
export function batchNorm2d(x: Tensor, opts: BatchNorm2dOptions): Tensor {
  if (!(x instanceof Tensor)) throw new CondgradError(OP, `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.rank !== 4) throw new CondgradError(OP, `x must be [B, C, H, W], got ${fmtShape(x.shape)}`);
  if (opts === null || typeof opts !== 'object' || typeof opts.training !== 'boolean') {
    throw new CondgradError(OP, `options must give training: boolean (x ${fmtShape(x.shape)})`);
  }
  const momentum = opts.momentum ?? 0.1;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
    throw new CondgradError(OP, `momentum must be a number in [0, 1], got ${String(momentum)} (x ${fmtShape(x.shape)})`);
  }
  const eps = opts.eps ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
    throw new CondgradError(OP, `eps must be a finite number > 0, got ${String(eps)} (x ${fmtShape(x.shape)})`);
  }
  const weight = checkChannelTensor(x, 'weight', opts.weight);
  const bias = checkChannelTensor(x, 'bias', opts.bias);
  const runningMean = checkChannelTensor(x, 'runningMean', opts.runningMean);
  const runningVar = checkChannelTensor(x, 'runningVar', opts.runningVar);
  const C = x.shape[1];
  const bc = [1, C, 1, 1];

  let xhat: Tensor;
  if (opts.training) {
    const n = x.shape[0] * x.shape[2] * x.shape[3];
    if (n <= 1) {
      throw new CondgradError(OP, `training needs more than one value per channel, got x ${fmtShape(x.shape)} (B·H·W = ${n})`);
    }
    const fused = fusedBatchNorm(x, weight, bias, eps);
    if (fused !== null) {
      const update = (running: Tensor, row: number, scale: number): void => {
        const stat = noGrad(() => slice(fused.stats, [row, 0], [1, C]));
        updateRunning(running, stat, momentum, scale);
        stat.dispose();
      };
      if (runningMean !== null) update(runningMean, 0, 1);
      if (runningVar !== null) update(runningVar, 1, n / (n - 1));
      if (fused.y.node === null) fused.stats.dispose(); // else the op saved it for the backward
      return fused.y;
    }
    const stats = batchStats(x, eps);
    xhat = stats.xhat;
    const { mu, variance } = stats;
    if (runningMean !== null) updateRunning(runningMean, mu, momentum, 1);
    if (runningVar !== null) updateRunning(runningVar, variance, momentum, n / (n - 1));
  } else {
    if (runningMean === null || runningVar === null) {
      throw new CondgradError(OP, `eval mode needs runningMean and runningVar [${C}] (x ${fmtShape(x.shape)})`);
    }
    xhat = div(sub(x, reshape(runningMean, bc)), sqrt(affine(reshape(runningVar, bc), 1, eps)));
  }
  let y = xhat;
  if (weight !== null) y = mul(y, reshape(weight, bc));
  if (bias !== null) y = add(y, reshape(bias, bc));
  return y;
}
