// Training-mode batch normalisation as one op: float64 per-channel statistics, one normalising pass and the closed-form backward.

import type { Storage } from '../core/backend.js';
import { runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { batchNormGeometry, type BatchNormGeometry } from '../kernels/geometry/norm.js';

type BnPlan = { shape: readonly number[]; g: BatchNormGeometry };

/** The batch statistics [3, C] (mean, biased variance, invstd): an op of its own (never recorded: no backward), so profiles and tracers see it. */
const statsOp: Op<{ g: BatchNormGeometry; eps: number }, BnPlan> = {
  name: 'batchNormStats',
  plan: (_, { g }) => ({ shape: [3, g.channels], g }),
  forward: (backend, [x], { g }, { eps }) => backend.batchNormStats!(x, g, eps),
};

interface FusedAttrs {
  readonly g: BatchNormGeometry;
  /** The batch statistics [3, C] the forward normalised with, saved for the backward (a tensor, so scopes free it). */
  readonly stats: Tensor;
  /** Which of the optional inputs follow x: [x, weight?, bias?]. */
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
}

const batchNormOp: Op<FusedAttrs, BnPlan> = {
  name: 'batchNorm2d',
  plan: ([x], { g }) => ({ shape: x.shape, g }),
  forward(backend, inputs, { g }, a) {
    const weight = a.hasWeight ? inputs[1] : null;
    const bias = a.hasBias ? inputs[a.hasWeight ? 2 : 1] : null;
    return backend.batchNormForward!(inputs[0], a.stats.storage, weight, bias, g);
  },
  backward(dy, { inputs, attrs: a, plan: { g } }) {
    const [x] = inputs;
    const be = x.backend;
    const weight = a.hasWeight ? inputs[1] : null;
    const bias = a.hasBias ? inputs[a.hasWeight ? 2 : 1] : null;
    const r = be.batchNormBackward!(x.storage, dy.storage, a.stats.storage, weight?.storage ?? null, g, x.requiresGrad);
    const perChannel = (t: Tensor | null, s: Storage): Tensor | null => {
      if (t !== null && t.requiresGrad) return new Tensor(s, t.shape, be);
      be.dispose(s);
      return null;
    };
    const grads: (Tensor | null)[] = [r.dx === null ? null : new Tensor(r.dx, x.shape, be)];
    const dWeight = perChannel(weight, r.dWeight);
    const dBias = perChannel(bias, r.dBias);
    if (weight !== null) grads.push(dWeight);
    if (bias !== null) grads.push(dBias);
    return grads;
  },
};

/**
 * The fused training pass where x's backend has the batch-norm kernels: y = (x − μ)·invstd·weight
 * + bias recorded as one op, and the batch statistics stats [3, C] (rows: mean, biased variance,
 * invstd) for the running update. Returns null (leaving the composite to run) where the backend
 * lacks the kernels or a variance is not finite (x holds inf or NaN, or values whose squares
 * overflow the dtype: the composite's scaled statistics handle those). x, weight, bias already
 * checked. The op saves stats when it is recorded (y.node set): dispose it only if not.
 */
export function fusedBatchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): { y: Tensor; stats: Tensor } | null {
  const be = x.backend;
  if (be.batchNormStats === undefined || be.batchNormForward === undefined || be.batchNormBackward === undefined) return null;
  const g = batchNormGeometry('batchNorm2d', x.shape);
  const stats = runOp(statsOp, [x], { g, eps }, ['x']);
  const s = stats.dataSync();
  for (let c = g.channels; c < 2 * g.channels; c++) {
    if (!Number.isFinite(s[c])) {
      stats.dispose();
      return null;
    }
  }
  const inputs = [x, ...(weight !== null ? [weight] : []), ...(bias !== null ? [bias] : [])];
  const names = ['x', ...(weight !== null ? ['weight'] : []), ...(bias !== null ? ['bias'] : [])];
  const y = runOp(batchNormOp, inputs, { g, stats, hasWeight: weight !== null, hasBias: bias !== null }, names);
  return { y, stats };
}
