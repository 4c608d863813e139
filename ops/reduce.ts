// Reductions over axes: mean, max and min, with keepDims (sum, the adjoint of expand, lives in ops/broadcast.ts).

import { CondgradError, fmtShape } from '../core/errors.js';
import { runOp, type Op } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { reduceGeometry } from '../kernels/geometry/reduce.js';
import { div, eq, mul } from './arithmetic.js';
import { reduceKernel, sum, type Axes, type ReduceAttrs, type ReducePlan } from './broadcast.js';
import { reshape } from './shape.js';

interface ExtremumAttrs extends ReduceAttrs { op: 'max' | 'min' }

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

/** Mean over `axes` (all by default). */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const g = reduceGeometry('mean', x.shape, axes);
  if (g.reduceSize === 0) throw new CondgradError('mean', `cannot take the mean of an empty axis (x ${fmtShape(x.shape)})`);
  return mul(sum(x, axes, keepDims), 1 / g.reduceSize);
}

/** Maximum over `axes` (all by default). Ties share the gradient. */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return runOp(extremumOp, [x], { op: 'max', axes, keepDims }, ['x']);
}

/** Minimum over `axes` (all by default). Ties share the gradient. */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return runOp(extremumOp, [x], { op: 'min', axes, keepDims }, ['x']);
}
