// Reductions over axes: mean (a reduce op of its own, so finite inputs give a finite mean), max and min, with keepDims (sum, the adjoint of expand, lives in ops/broadcast.ts).

import { runOp, type Op } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { div, eq, mul } from './arithmetic.js';
import { reduceKernel, spreadGrad, sum, type Axes, type ReduceAttrs, type ReducePlan } from './broadcast.js';
import { reshape } from './shape.js';

interface ExtremumAttrs extends ReduceAttrs {
  op: 'max' | 'min';
}

const extremumOp: Op<ExtremumAttrs, ReducePlan> = {
  name: 'reduce',
  ...reduceKernel,
  backward(dy, { inputs: [x], output, plan: { g } }) {
    // The gradient is shared equally among the tied extrema (as torch.amax does).
    const dyKept = reshape(dy, g.keptShape);
    const mask = eq(x, reshape(output, g.keptShape));
    const count = sum(mask, g.axes, true);
    return [mul(mask, div(dyKept, count))];
  },
};

const meanOp: Op<ReduceAttrs, ReducePlan> = {
  name: 'reduce',
  ...reduceKernel,
  savesData: () => false,
  backward: (dy, { plan: { g } }) => [spreadGrad(dy, g, g.reduceSize)],
};

/** Mean over `axes` (all by default), divided before rounding: finite inputs give a finite mean. */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return runOp(meanOp, [x], { op: 'mean', axes, keepDims }, ['x']);
}

/** Maximum over `axes` (all by default). Ties share the gradient. */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return runOp(extremumOp, [x], { op: 'max', axes, keepDims }, ['x']);
}

/** Minimum over `axes` (all by default). Ties share the gradient. */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return runOp(extremumOp, [x], { op: 'min', axes, keepDims }, ['x']);
}
