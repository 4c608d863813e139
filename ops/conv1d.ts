// 1-D convolution ops (NCL): conv1d, depthwiseConv1d and conv1dPerSample, run on the backends' conv2d kernels as 1×L images.

import { CondgradError, fmtShape } from '../core/errors.js';
import { checkInputs, runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import type { Conv2dGeometry } from '../kernels/geometry/conv.js';
import { conv1dGeometry, type Conv1dOptions } from '../kernels/geometry/conv1d.js';
import { add } from './arithmetic.js';
import { reshape } from './shape.js';

export type { Conv1dOptions, Padding1d } from '../kernels/geometry/conv1d.js';

interface Conv1dAttrs {
  readonly opts: Conv1dOptions;
  readonly perSample: boolean;
}

interface Conv1dPlan {
  readonly shape: readonly number[];
  readonly g: Conv2dGeometry;
}

/**
 * The 1-D conv op. The geometry is that of a 1×L image, and [B, C, L] storage is [B, C, 1, L]
 * storage, so forward is backend.conv2d and backward is backend.conv2dBackwardInput (dx) and
 * backend.conv2dBackwardFilter (dw, per sample with `perSample`): the same kernels, no copies.
 */
const conv1dOp: Op<Conv1dAttrs, Conv1dPlan> = {
  name: 'conv1d',
  plan([x, w], { opts, perSample }) {
    const g = conv1dGeometry(this.name, x.shape, w.shape, opts, perSample);
    return { shape: [g.batch, g.outC, g.outW], g };
  },
  forward: (backend, [x, w], { g }) => backend.conv2d(x, w, g),
  backward(dy, { inputs: [x, w], plan: { g } }) {
    const b = x.backend;
    const dx = x.requiresGrad ? new Tensor(b.conv2dBackwardInput(dy.storage, w.storage, g), x.shape, b) : null;
    const dw = w.requiresGrad ? new Tensor(b.conv2dBackwardFilter(x.storage, dy.storage, g), w.shape, b) : null;
    return [dx, dw];
  },
};

function runConv1d(name: string, x: Tensor, w: Tensor, opts: Conv1dOptions, perSample: boolean): Tensor {
  if (opts === null || typeof opts !== 'object') throw new CondgradError(name, `opts must be an object, got ${String(opts)}`);
  return runOp({ ...conv1dOp, name }, [x, w], { opts, perSample }, ['x', 'weight']);
}

/** Checks bias [O] (live, same backend and dtype as x) before anything runs. */
function checkBias1d(name: string, x: Tensor, w: Tensor, bias: Tensor | null | undefined): void {
  if (bias === null || bias === undefined) return;
  checkInputs(name, [x, w, bias], ['x', 'weight', 'bias']);
  const O = w.shape[0];
  if (bias.rank !== 1 || bias.shape[0] !== O) {
    throw new CondgradError(name, `bias must be [O] = [${O}], got ${fmtShape(bias.shape)} (x ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)})`);
  }
}

/** y [B, O, L'] + bias [O] per channel. */
function addBias1d(y: Tensor, bias: Tensor): Tensor {
  return add(y, reshape(bias, [1, y.shape[1], 1]));
}

/**
 * 1-D convolution (cross-correlation, as PyTorch defines it), NCL.
 * @param x [B, C, L]
 * @param weight [O, C/groups, k]
 * @param bias [O] or null
 * @param opts stride, padding (number, [left, right], 'same' or 'valid'; 'same' as in conv2d:
 *   out = ceil(L / stride), an odd cell of padding on the right), dilation, groups (dividing C and O)
 * @returns [B, O, outL] with outL = floor((L + left + right - dilation·(k-1) - 1) / stride) + 1
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  checkInputs('conv1d', [x, weight], ['x', 'weight']);
  if (weight.rank === 3) checkBias1d('conv1d', x, weight, bias);
  const y = runConv1d('conv1d', x, weight, opts, false);
  return bias ? addBias1d(y, bias) : y;
}

/**
 * Depthwise 1-D convolution: every input channel convolved with its own `multiplier` filters
 * (groups = C). Output channel c·multiplier + j reads input channel c.
 * @param x [B, C, L]
 * @param weight [C·multiplier, 1, k]
 * @param bias [C·multiplier] or null
 * @param opts stride, padding, dilation; `groups`, if given, must equal C
 * @returns [B, C·multiplier, outL]
 */
export function depthwiseConv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv1dOptions = {}): Tensor {
  const name = 'depthwiseConv1d';
  checkInputs(name, [x, weight], ['x', 'weight']);
  if (opts === null || typeof opts !== 'object') throw new CondgradError(name, `opts must be an object, got ${String(opts)}`);
  if (x.rank !== 3) throw new CondgradError(name, `x must be [B, C, L], got ${fmtShape(x.shape)}`);
  if (weight.rank !== 3) throw new CondgradError(name, `weight must be [C*multiplier, 1, k], got ${fmtShape(weight.shape)} (x ${fmtShape(x.shape)})`);
  const C = x.shape[1];
  if (weight.shape[1] !== 1 || weight.shape[0] % C !== 0 || weight.shape[0] === 0) {
    throw new CondgradError(
      name,
      `weight must be [C*multiplier, 1, k] with C = ${C}: its first dim must be a positive multiple of ${C} and its second 1, got ${fmtShape(weight.shape)} (x ${fmtShape(x.shape)})`,
    );
  }
  if (opts.groups !== undefined && opts.groups !== C) {
    throw new CondgradError(name, `groups is fixed to the input channels ${C}, got groups ${String(opts.groups)} (x ${fmtShape(x.shape)})`);
  }
  checkBias1d(name, x, weight, bias);
  const y = runConv1d(name, x, weight, { ...opts, groups: C }, false);
  return bias ? addBias1d(y, bias) : y;
}

/**
 * 1-D convolution with one kernel per sample: y[b] = conv1d(x[b], w[b]). The backward pass gives
 * dx through each sample's kernel and a per-sample filter gradient dw [B, O, C/groups, k] (not
 * summed over the batch). condConv1d's fused path runs on it.
 * @param x [B, C, L]
 * @param w [B, O, C/groups, k]
 * @param opts as for conv1d
 * @returns [B, O, outL]
 */
export function conv1dPerSample(x: Tensor, w: Tensor, opts: Conv1dOptions = {}): Tensor {
  return runConv1d('conv1dPerSample', x, w, opts, true);
}
