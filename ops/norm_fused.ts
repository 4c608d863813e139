// Training-mode batch normalisation as one op: float64 per-channel statistics, one normalising pass and the closed-form backward.

import type { Storage } from '../core/backend.js';
import { runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { batchNormGeometry, type BatchNormGeometry } from '../kernels/geometry/norm.js';

interface FusedAttrs {
  readonly g: BatchNormGeometry;
  /** The batch statistics the forward normalised with ([C], saved for the backward; tensors, so scopes free them). */
  readonly mean: Tensor;
  readonly invstd: Tensor;
  /** Which of the optional inputs follow x: [x, weight?, bias?]. */
  readonly hasWeight: boolean;
  readonly hasBias: boolean;
}

type FusedPlan = { shape: readonly number[]; g: BatchNormGeometry };

const batchNormOp: Op<FusedAttrs, FusedPlan> = {
  name: 'batchNorm2d',
  plan: ([x], { g }) => ({ shape: x.shape, g }),
  forward(backend, inputs, { g }, a) {
    const weight = a.hasWeight ? inputs[1] : null;
    const bias = a.hasBias ? inputs[a.hasWeight ? 2 : 1] : null;
    return backend.batchNormForward!(inputs[0], a.mean.storage, a.invstd.storage, weight, bias, g);
  },
  backward(dy, { inputs, attrs: a, plan: { g } }) {
    const [x] = inputs;
    const be = x.backend;
    const weight = a.hasWeight ? inputs[1] : null;
    const bias = a.hasBias ? inputs[a.hasWeight ? 2 : 1] : null;
    const r = be.batchNormBackward!(x.storage, dy.storage, a.mean.storage, a.invstd.storage, weight?.storage ?? null, g, x.requiresGrad);
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
 * The fused training pass where x's backend has the batch-norm kernels: the batch statistics
 * (mean and biased variance [C], for the running update) and y = (x − μ)·invstd·weight + bias,
 * recorded as one op. Returns null (leaving the composite to run) where the backend lacks the
 * kernels or a variance is not finite (x holds inf or NaN, or values whose squares overflow the
 * dtype: the composite's scaled statistics handle those). x, weight, bias already checked. The
 * returned mean is saved by the op when it is recorded (y.node set): dispose it only if not.
 */
export function fusedBatchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): { y: Tensor; mean: Tensor; variance: Tensor } | null {
  const be = x.backend;
  if (be.batchNormStats === undefined || be.batchNormForward === undefined || be.batchNormBackward === undefined) return null;
  const g = batchNormGeometry('batchNorm2d', x.shape);
  const s = be.batchNormStats(x.storage, g, eps);
  const C = [g.channels];
  const mean = new Tensor(s.mean, C, be);
  const variance = new Tensor(s.variance, C, be);
  const invstd = new Tensor(s.invstd, C, be);
  if (!variance.dataSync().every(Number.isFinite)) {
    for (const t of [mean, variance, invstd]) t.dispose();
    return null;
  }
  const inputs = [x, ...(weight !== null ? [weight] : []), ...(bias !== null ? [bias] : [])];
  const names = ['x', ...(weight !== null ? ['weight'] : []), ...(bias !== null ? ['bias'] : [])];
  const y = runOp(batchNormOp, inputs, { g, mean, invstd, hasWeight: weight !== null, hasBias: bias !== null }, names);
  if (y.node === null) invstd.dispose(); // not recorded: nothing will read it
  return { y, mean, variance };
}
