// 2-D convolution ops: conv2d (plain, grouped, dilated, strided), depthwiseConv2d, and conv2dPerSample (one kernel per sample).

import { CondgradError, describeValue, fmtShape } from '../core/errors.js';
import { checkInputs, runCheckedOp, runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../kernels/geometry/conv.js';
import { add } from './arithmetic.js';
import { reshape } from './shape.js';

export type { Conv2dOptions, Padding, Pair } from '../kernels/geometry/conv.js';

interface ConvAttrs {
  readonly opts: Conv2dOptions;
  readonly perSample: boolean;
  /** A geometry the caller already validated and computed for these shapes (CondConv's plan). */
  readonly geometry?: Conv2dGeometry;
}

interface ConvPlan {
  readonly shape: readonly number[];
  readonly g: Conv2dGeometry;
}

/**
 * The one conv op: forward is backend.conv2d; backward is backend.conv2dBackwardInput (dx) and
 * backend.conv2dBackwardFilter (dw). With `perSample` the weight is [B, O, C/g, kH, kW] and dw
 * comes back per sample, [B, O, C/g, kH, kW]; without it dw is summed over the batch.
 */
const convOp: Op<ConvAttrs, ConvPlan> = {
  name: 'conv2d',
  plan([x, w], { opts, perSample, geometry }) {
    const g = geometry ?? conv2dGeometry(this.name, x.shape, w.shape, opts, perSample);
    return { shape: [g.batch, g.outC, g.outH, g.outW], g };
  },
  forward: (backend, [x, w], { g }) => backend.conv2d(x, w, g),
  backward(dy, { inputs: [x, w], plan: { g } }) {
    const b = x.backend;
    const dx = x.requiresGrad ? new Tensor(b.conv2dBackwardInput(dy.storage, w.storage, g), x.shape, b) : null;
    const dw = w.requiresGrad ? new Tensor(b.conv2dBackwardFilter(x.storage, dy.storage, g), w.shape, b) : null;
    return [dx, dw];
  },
};

/** The conv op under each public name (so errors and the tape name the op the user called). */
const NAMED = new Map(['conv2d', 'depthwiseConv2d', 'conv2dPerSample'].map((name) => [name, { ...convOp, name }]));

/** Runs the conv op under `name`. */
function runConv(name: string, x: Tensor, w: Tensor, opts: Conv2dOptions, perSample: boolean): Tensor {
  if (opts === null || typeof opts !== 'object') throw new CondgradError(name, `opts must be an object, got ${describeValue(opts)}`);
  return runOp(NAMED.get(name)!, [x, w], { opts, perSample }, ['x', 'weight']);
}

/** Adds bias [O] to y [B, O, H, W] with broadcasting, after checking bias's shape, dtype and backend. */
function addBias(name: string, x: Tensor, w: Tensor, y: Tensor, bias: Tensor): Tensor {
  const O = y.shape[1];
  if (bias.rank !== 1 || bias.shape[0] !== O) {
    throw new CondgradError(name, `bias must be [O] = [${O}], got ${fmtShape(bias.shape)} (x ${fmtShape(x.shape)}, weight ${fmtShape(w.shape)})`);
  }
  return add(y, reshape(bias, [1, O, 1, 1]));
}

function checkOptionalBias(name: string, x: Tensor, w: Tensor, bias: Tensor | null | undefined): void {
  if (bias === null || bias === undefined) return;
  checkInputs(name, [x, w, bias], ['x', 'weight', 'bias']);
}

/**
 * 2-D convolution (cross-correlation, as PyTorch and TF define it), NCHW.
 * @param x [B, C, H, W]
 * @param weight [O, C/groups, kH, kW]
 * @param bias [O] or null
 * @param opts stride, padding (number, [h, w], [top, bottom, left, right], 'same' or 'valid'),
 *   dilation, groups (must divide C and O)
 * @returns [B, O, outH, outW]
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  checkOptionalBias('conv2d', x, weight, bias);
  const y = runConv('conv2d', x, weight, opts, false);
  return bias ? addBias('conv2d', x, weight, y, bias) : y;
}

/**
 * Depthwise convolution: every input channel convolved with its own `multiplier` filters
 * (groups = C). Output channel c*multiplier + j reads input channel c.
 * @param x [B, C, H, W]
 * @param weight [C * multiplier, 1, kH, kW]
 * @param bias [C * multiplier] or null
 * @param opts stride, padding, dilation; `groups`, if given, must equal C
 * @returns [B, C * multiplier, outH, outW]
 */
export function depthwiseConv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const name = 'depthwiseConv2d';
  checkInputs(name, [x, weight], ['x', 'weight']);
  if (opts === null || typeof opts !== 'object') throw new CondgradError(name, `opts must be an object, got ${describeValue(opts)} (x ${fmtShape(x.shape)})`);
  if (x.rank !== 4) throw new CondgradError(name, `x must be [B, C, H, W], got ${fmtShape(x.shape)}`);
  if (weight.rank !== 4) throw new CondgradError(name, `weight must be [C*multiplier, 1, kH, kW], got ${fmtShape(weight.shape)} (x ${fmtShape(x.shape)})`);
  const C = x.shape[1];
  if (weight.shape[1] !== 1 || weight.shape[0] % C !== 0 || weight.shape[0] === 0) {
    throw new CondgradError(
      name,
      `weight must be [C*multiplier, 1, kH, kW] with C = ${C}: its first dim must be a positive multiple of ${C} and its second 1, got ${fmtShape(weight.shape)} (x ${fmtShape(x.shape)})`,
    );
  }
  if (opts.groups !== undefined && opts.groups !== C) {
    throw new CondgradError(name, `groups is fixed to the input channels ${C}, got groups ${String(opts.groups)} (x ${fmtShape(x.shape)})`);
  }
  checkOptionalBias(name, x, weight, bias);
  const y = runConv(name, x, weight, { ...opts, groups: C }, false);
  return bias ? addBias(name, x, weight, y, bias) : y;
}

/**
 * Convolution with one kernel per sample: y[b] = conv2d(x[b], w[b]). The backward pass gives
 * dx through each sample's kernel and a per-sample filter gradient dw [B, O, C/groups, kH, kW]
 * (not summed over the batch). This is the kernel CondConv's fused path runs on.
 * @param x [B, C, H, W]
 * @param w [B, O, C/groups, kH, kW]
 * @param opts as for conv2d
 * @returns [B, O, outH, outW]
 */
export function conv2dPerSample(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  return runConv('conv2dPerSample', x, w, opts, true);
}

/**
 * conv2dPerSample on inputs already checked (checkInputs) with their per-sample geometry already
 * computed, e.g. by CondConv's plan: nothing is validated or derived twice. Internal.
 * @param x [B, C, H, W] @param w [B, O, C/groups, kH, kW] @param g perSampleGeometry of those shapes
 */
export function conv2dPerSampleChecked(x: Tensor, w: Tensor, g: Conv2dGeometry): Tensor {
  return runCheckedOp(NAMED.get('conv2dPerSample')!, [x, w], { opts: {}, perSample: true, geometry: g }, ['x', 'weight']);
}
