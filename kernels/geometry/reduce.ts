// Reduction geometry: which input elements fold into each output element.

import { CondgradError, fmtShape } from '../../core/errors.js';
import { coalesce, type StridedView } from './strided.js';
import { contiguousStrides, sizeOf } from '../../core/shape.js';

/**
 * out[o] = fold over r of x[outer(o) + inner(r)], where `outer` iterates the kept dims
 * (in output order) and `inner` the reduced dims. Both are views onto x's contiguous buffer.
 */
export interface ReduceGeometry {
  readonly inShape: readonly number[];
  /** Output shape with reduced dims kept as 1. */
  readonly keptShape: readonly number[];
  readonly axes: readonly number[];
  readonly outSize: number;
  readonly reduceSize: number;
  readonly outer: StridedView;
  readonly inner: StridedView;
}

/** Normalises axes (negative allowed; undefined = all) and checks them against the rank. */
export function normalizeAxes(op: string, shape: readonly number[], axes?: number | readonly number[]): number[] {
  const rank = shape.length;
  if (axes === undefined) return shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const seen = new Set<number>();
  for (const a of list) {
    if (typeof a !== 'number' || !Number.isInteger(a) || a < -rank || a >= rank) {
      throw new CondgradError(op, `axis ${String(a)} is out of range for shape ${fmtShape(shape)}`);
    }
    const n = a < 0 ? a + rank : a;
    if (seen.has(n)) throw new CondgradError(op, `axis ${a} is repeated for shape ${fmtShape(shape)}`);
    seen.add(n);
  }
  return [...seen].sort((x, y) => x - y);
}

export function reduceGeometry(op: string, inShape: readonly number[], axesArg?: number | readonly number[]): ReduceGeometry {
  const axes = normalizeAxes(op, inShape, axesArg);
  const strides = contiguousStrides(inShape);
  const isReduced = inShape.map((_, i) => axes.includes(i));
  const keptDims = inShape.filter((_, i) => !isReduced[i]);
  const keptStrides = strides.filter((_, i) => !isReduced[i]);
  const redDims = inShape.filter((_, i) => isReduced[i]);
  const redStrides = strides.filter((_, i) => isReduced[i]);
  const o = coalesce(keptDims, [keptStrides]);
  const r = coalesce(redDims, [redStrides]);
  return Object.freeze({
    inShape,
    keptShape: inShape.map((d, i) => (isReduced[i] ? 1 : d)),
    axes,
    outSize: sizeOf(keptDims),
    reduceSize: sizeOf(redDims),
    outer: { dims: o.dims, strides: o.strides[0], offset: 0 },
    inner: { dims: r.dims, strides: r.strides[0], offset: 0 },
  });
}
