// Broadcasting and its adjoint: expand (broadcastTo) and the sum reduction are each other's backward; sumToShape undoes a broadcast.

import { CondgradError, checkBool, checkShape, fmtShape } from '../core/errors.js';
import { runOp, type Op } from '../core/op.js';
import { allocArray } from '../core/dtype.js';
import { broadcastGrad } from '../core/autograd.js';
import { Tensor } from '../core/tensor.js';
import { sizeOf, sameShape } from '../core/shape.js';
import type { ReduceOp } from '../kernels/elementwise.js';
import { binaryGeometry, broadcastShapes, broadcastView } from '../kernels/geometry/broadcast.js';
import { reduceGeometry, type ReduceGeometry } from '../kernels/geometry/reduce.js';
import type { StridedView } from '../kernels/geometry/strided.js';
import { reshape } from './shape.js';

/** The axes a reduction runs over: one, several, or (undefined) all. */
export type Axes = number | readonly number[] | undefined;
export interface ReduceAttrs {
  op: ReduceOp;
  axes: Axes;
  keepDims: boolean;
}
export interface ReducePlan {
  shape: readonly number[];
  g: ReduceGeometry;
}

/** Plan and forward of every reduction op (sum here; max and min in ops/reduce.ts add their own backward). */
export const reduceKernel: Pick<Op<ReduceAttrs, ReducePlan>, 'plan' | 'forward'> = {
  plan([x], { op, axes, keepDims }) {
    checkBool(op, 'keepDims', keepDims);
    const g = reduceGeometry(op, x.shape, axes);
    if (op !== 'sum' && g.reduceSize === 0) throw new CondgradError(op, `cannot take the ${op} of an empty axis (x ${fmtShape(x.shape)})`);
    const shape = keepDims ? g.keptShape : x.shape.filter((_, i) => !g.axes.includes(i));
    return { shape, g };
  },
  forward: (backend, [x], { g }, { op }) => backend.reduce(x, op, g),
};

const sumOp: Op<ReduceAttrs, ReducePlan> = {
  name: 'reduce',
  savesData: () => false,
  ...reduceKernel,
  backward: (dy, { plan: { g } }) => [spreadGrad(dy, g, null)],
};

/** Sum over `axes` (all by default). x: any shape; keepDims keeps the summed dims as size 1. */
export function sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
  return runOp(sumOp, [x], { op: 'sum', axes, keepDims }, ['x']);
}

const expandOp: Op<{ shape: readonly number[] }, { shape: readonly number[]; view: StridedView }> = {
  name: 'expand',
  savesData: () => false,
  plan([x], { shape }) {
    const out = broadcastShapes('expand', x.shape, shape);
    if (!sameShape(out, shape)) throw new CondgradError('expand', `x ${fmtShape(x.shape)} cannot be expanded to ${fmtShape(shape)}`);
    return { shape: out, view: broadcastView(x.shape, out) };
  },
  forward: (backend, [x], plan) => backend.gather(x, plan.view),
  backward: (dy, { inputs: [x] }) => [sumToShape(dy, x.shape)],
};

/**
 * The backward of a reduction with geometry g: dy (g.keptShape's elements, divided by `divisor`
 * unless it is null) broadcast over the reduced axes to g.inShape. The same kernels as
 * expand(div(reshape(dy, kept), divisor), inShape) (so the same values), without the reshape's
 * copy and the three ops' bookkeeping. With a divisor the broadcast is left to backprop
 * (broadcastGrad): where the input has other gradients it is added to them broadcasting, and
 * materialised only where it is the input's whole gradient.
 */
export function spreadGrad(dy: Tensor, g: ReduceGeometry, divisor: number | null): Tensor {
  const be = dy.backend;
  if (divisor !== null) {
    const a = allocArray(dy.dtype, 1);
    a[0] = divisor;
    const n = be.fromArray(a);
    const scaled = be.binary(dy.storage, n, 'div', binaryGeometry('div', g.keptShape, []));
    be.dispose(n);
    return broadcastGrad(new Tensor(scaled, g.keptShape, be));
  }
  return new Tensor(be.gather(dy.storage, broadcastView(g.keptShape, g.inShape)), g.inShape, be);
}

/** Broadcasts x to `shape` (NumPy rules), materialising the copy. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkShape('expand', 'shape', shape, false);
  return runOp(expandOp, [x], { shape }, ['x']);
}

/** Sums a broadcast gradient back to `shape` (the inverse of NumPy broadcasting). g: a shape `shape` broadcasts to. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const s = axes.length > 0 ? sum(g, axes, true) : g;
  if (sizeOf(s.shape) !== sizeOf(shape)) throw new CondgradError('sumToShape', `cannot reduce ${fmtShape(g.shape)} to ${fmtShape(shape)}`);
  return reshape(s, shape);
}
