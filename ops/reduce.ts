// Reductions over axes: sum, mean, max and min, with keepDims; and the broadcast-undo helper sumToShape.

import { CondgradError, fmtShape } from '../core/errors.js';
import { runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import type { ReduceOp } from '../kernels/elementwise.js';
import { reduceGeometry, type ReduceGeometry } from '../kernels/geometry/reduce.js';
import { sizeOf } from '../core/shape.js';
import { div, eq, mul } from './arithmetic.js';
import { expand, reshape } from './shape.js';

type Axes = number | readonly number[] | undefined;
interface ReduceAttrs { op: ReduceOp; axes: Axes; keepDims: boolean }

const reduceOp: Op<ReduceAttrs, { shape: readonly number[]; g: ReduceGeometry }> = {
  name: 'reduce',
  plan([x], { op, axes, keepDims }) {
    const g = reduceGeometry(op, x.shape, axes);
    if (op !== 'sum' && g.reduceSize === 0) throw new CondgradError(op, `cannot take the ${op} of an empty axis (x ${fmtShape(x.shape)})`);
    const shape = keepDims ? g.keptShape : x.shape.filter((_, i) => !g.axes.includes(i));
    return { shape, g };
  },
  forward: (backend, [x], { g }, { op }) => backend.reduce(x, op, g),
  backward(dy, { inputs: [x], output, plan: { g }, attrs: { op } }) {
    const dyKept = reshape(dy, g.keptShape);
    if (op === 'sum') return [expand(dyKept, x.shape)];
    // max/min: the gradient is shared equally among the tied extrema (as torch.amax does).
    const mask = eq(x, reshape(output, g.keptShape));
    const count = reduce(mask, 'sum', g.axes, true);
    return [mul(mask, div(dyKept, count))];
  },
};

function reduce(x: Tensor, op: ReduceOp, axes: Axes, keepDims: boolean): Tensor {
  return runOp(reduceOp, [x], { op, axes, keepDims }, ['x']);
}

/** Sum over `axes` (all by default). */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduce(x, 'sum', axes, keepDims);
}

/** Mean over `axes` (all by default). */
export function mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  const g = reduceGeometry('mean', x.shape, axes);
  if (g.reduceSize === 0) throw new CondgradError('mean', `cannot take the mean of an empty axis (x ${fmtShape(x.shape)})`);
  return mul(reduce(x, 'sum', axes, keepDims), 1 / g.reduceSize);
}

/** Maximum over `axes` (all by default). Ties share the gradient. */
export function max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduce(x, 'max', axes, keepDims);
}

/** Minimum over `axes` (all by default). Ties share the gradient. */
export function min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return reduce(x, 'min', axes, keepDims);
}

/** Sums a broadcast gradient back to `shape` (the inverse of NumPy broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (fmtShape(g.shape) === fmtShape(shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  if (sizeOf(s.shape) !== sizeOf(shape)) throw new CondgradError('sumToShape', `cannot reduce ${fmtShape(g.shape)} to ${fmtShape(shape)}`);
  return reshape(s, shape);
}
