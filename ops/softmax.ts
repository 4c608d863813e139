// Softmax, log-softmax (with temperature) and the classification losses built on them: crossEntropy and nllLoss.

import { CondgradError, checkOptions, fmtShape, isList } from '../core/errors.js';
import { allocArray } from '../core/dtype.js';
import { noGrad } from '../core/engine.js';
import { Tensor } from '../core/tensor.js';
import { add, div, exp, log, mul, neg, sub } from './arithmetic.js';
import { max } from './reduce.js';
import { sum } from './broadcast.js';
import { concat, reshape, slice } from './shape.js';

function checkSoftmaxArgs(op: string, x: Tensor, axis: number, temperature: number): number {
  if (!(x instanceof Tensor)) throw new CondgradError(op, `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.rank === 0) throw new CondgradError(op, `x must have at least one dim, got ${fmtShape(x.shape)}`);
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -x.rank || axis >= x.rank) {
    throw new CondgradError(op, `axis ${String(axis)} is out of range for x ${fmtShape(x.shape)}`);
  }
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
    throw new CondgradError(op, `temperature must be a finite number > 0, got ${String(temperature)} (x ${fmtShape(x.shape)})`);
  }
  return axis < 0 ? axis + x.rank : axis;
}

/**
 * (x − max(x)) / T along `axis`: every entry ≤ 0 and the maximum 0, so exp never overflows.
 * The max is a constant for the gradient (softmax is shift invariant).
 */
function shifted(x: Tensor, axis: number, temperature: number): Tensor {
  const m = noGrad(() => max(x, axis, true));
  const xc = sub(x, m);
  return temperature === 1 ? xc : div(xc, temperature);
}

/** softmax(x / T) along `axis` (default the last). x: any rank ≥ 1 → same shape. */
export function softmax(x: Tensor, axis = -1, temperature = 1): Tensor {
  const a = checkSoftmaxArgs('softmax', x, axis, temperature);
  if (x.shape[a] === 0) return mul(x, 1);
  const e = exp(shifted(x, a, temperature));
  return div(e, sum(e, a, true));
}

/** log softmax(x / T) along `axis` (default the last), computed as z − log Σ exp z with z = (x − max) / T. */
export function logSoftmax(x: Tensor, axis = -1, temperature = 1): Tensor {
  const a = checkSoftmaxArgs('logSoftmax', x, axis, temperature);
  if (x.shape[a] === 0) return mul(x, 1);
  const z = shifted(x, a, temperature);
  return sub(z, log(sum(exp(z), a, true)));
}

export type Reduction = 'mean' | 'sum';

export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** ε in [0, 1]: the target is (1 − ε)·onehot + ε / C, as in PyTorch. */
  labelSmoothing?: number;
}

/** Validates [B, C] scores and B integer labels in [0, C); returns the labels as numbers. */
function checkLabels(op: string, arg: string, x: Tensor, labels: Int32Array | readonly number[]): ArrayLike<number> {
  if (!(x instanceof Tensor)) throw new CondgradError(op, `${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.rank !== 2) throw new CondgradError(op, `${arg} must be [B, C], got ${fmtShape(x.shape)}`);
  if (!(labels instanceof Int32Array) && !isList(labels)) {
    throw new CondgradError(
      op,
      `labels must be an Int32Array or a number array, got ${labels === null ? 'null' : typeof labels} (${arg} ${fmtShape(x.shape)})`,
    );
  }
  const [B, C] = x.shape;
  if (labels.length !== B) {
    throw new CondgradError(op, `labels has length ${labels.length} but ${arg} ${fmtShape(x.shape)} has batch ${B}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l >= C) {
      throw new CondgradError(op, `labels[${i}] = ${String(l)} must be an integer class index in [0, ${C}) for ${arg} ${fmtShape(x.shape)}`);
    }
  }
  return labels;
}

function checkReduction(op: string, reduction: unknown): Reduction {
  if (reduction !== 'mean' && reduction !== 'sum') throw new CondgradError(op, `reduction must be 'mean' or 'sum', got ${String(reduction)}`);
  return reduction;
}

/** The target distribution [B, C]: (1 − ε)·onehot(labels) + ε / C, on logp's backend. */
function targetOf(like: Tensor, labels: ArrayLike<number>, smoothing: number): Tensor {
  const [B, C] = like.shape;
  const t = allocArray(like.dtype, B * C);
  if (smoothing > 0) t.fill(smoothing / C);
  for (let b = 0; b < B; b++) t[b * C + labels[b]] += 1 - smoothing;
  return new Tensor(like.backend.fromArray(t), [B, C], like.backend);
}

function reduceLoss(perRow: Tensor, B: number, reduction: Reduction): Tensor {
  const total = sum(perRow);
  return reduction === 'mean' ? div(total, B) : total;
}

function checkBatch(op: string, x: Tensor, reduction: Reduction): void {
  if (reduction === 'mean' && x.shape[0] === 0)
    throw new CondgradError(op, `the mean over an empty batch is undefined (${fmtShape(x.shape)}); use reduction 'sum'`);
}

/**
 * Cross-entropy of class scores against integer labels. logits: [B, C]; labels: B integers in
 * [0, C). Returns a scalar: the mean (default) or sum over the batch of −Σ_c target_c · log softmax(logits)_c.
 */
export function crossEntropy(logits: Tensor, labels: Int32Array | readonly number[], opts: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  checkOptions(op, opts);
  const ls = checkLabels(op, 'logits', logits, labels);
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new CondgradError(op, `labelSmoothing must be a number in [0, 1], got ${String(eps)} (logits ${fmtShape(logits.shape)})`);
  }
  if (logits.shape[1] === 0) throw new CondgradError(op, `logits ${fmtShape(logits.shape)} has no classes`);
  checkBatch(op, logits, reduction);
  // −Σ_c t_c·log softmax(x)_c = m + log Σ_c exp(x_c − m) − Σ_c t_c·x_c (Σ t = 1, m = max x). The
  // last term is a convex combination of finite logits, so it never overflows, and no −∞
  // log-probability is ever multiplied by a zero target (which made extreme logits NaN).
  const m = noGrad(() => max(logits, 1, true));
  const lse = log(sum(exp(sub(logits, m)), 1, true));
  const target = targetOf(logits, ls, eps);
  const tx = sum(mul(logits, target), 1, true);
  return reduceLoss(add(lse, sub(m, tx)), logits.shape[0], reduction);
}

/**
 * Negative log-likelihood of log-probabilities. logProbs: [B, C]; labels: B integers in [0, C) →
 * scalar: −Σ_b logProbs[b, labels[b]] (divided by B for 'mean'). A −∞ at another class is ignored.
 */
export function nllLoss(logProbs: Tensor, labels: Int32Array | readonly number[], opts: { reduction?: Reduction } = {}): Tensor {
  const op = 'nllLoss';
  checkOptions(op, opts);
  const ls = checkLabels(op, 'logProbs', logProbs, labels);
  const reduction = checkReduction(op, opts.reduction ?? 'mean');
  checkBatch(op, logProbs, reduction);
  const B = logProbs.shape[0];
  if (logProbs.backend.name !== 'gpu') {
    // One pass with a one-hot target; −∞ at a class that is not the label (the log-probability
    // of an extreme logit) times its 0 is NaN, so then pick the label entries one by one.
    const fast = reduceLoss(neg(sum(mul(logProbs, targetOf(logProbs, ls, 0)), 1, true)), B, reduction);
    if (!Number.isNaN(fast.dataSync()[0])) return fast;
  }
  const picked =
    B === 0
      ? sum(logProbs, 1)
      : concat(
          Array.from({ length: B }, (_, b) => reshape(slice(logProbs, [b, ls[b]], [1, 1]), [1])),
          0,
        );
  return reduceLoss(neg(picked), B, reduction);
}
