// Strided views: the one place where a multi-index becomes an element offset.

import { sizeOf } from '../../core/shape.js';

/**
 * A view of `dims` (row-major iteration order) onto a flat buffer: element i of the
 * iteration, with multi-index (i_0..i_{n-1}), lives at `offset + Σ i_d * strides[d]`.
 * Stride 0 repeats (broadcasts) along that dim.
 */
export interface StridedView {
  readonly dims: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * Merges adjacent dims that are contiguous with each other in every one of `strideSets`,
 * and drops size-1 dims. The result iterates the same elements in the same order with fewer dims.
 */
export function coalesce(dims: readonly number[], strideSets: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const outDims: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let d = 0; d < dims.length; d++) {
    if (dims[d] === 1) continue;
    const last = outDims.length - 1;
    const mergeable = last >= 0 && strideSets.every((s, j) => outStrides[j][last] === s[d] * dims[d]);
    if (mergeable) {
      outDims[last] *= dims[d];
      strideSets.forEach((s, j) => {
        outStrides[j][last] = s[d];
      });
    } else {
      outDims.push(dims[d]);
      strideSets.forEach((s, j) => outStrides[j].push(s[d]));
    }
  }
  return { dims: outDims, strides: outStrides };
}

/**
 * Offsets of every element of a view, in iteration order (an Int32Array of the view's size).
 * Kernels that are not on a hot path use this instead of re-deriving index math.
 */
export function viewOffsets(view: StridedView): Int32Array {
  const n = sizeOf(view.dims);
  const out = new Int32Array(n);
  const nd = view.dims.length;
  if (nd === 0) {
    if (n === 1) out[0] = view.offset;
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  let off = view.offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += view.strides[d];
      if (idx[d] < view.dims[d]) break;
      off -= view.strides[d] * view.dims[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** The offset of flat iteration index `i` in `view` (slow path; for single lookups). */
export function offsetAt(view: StridedView, i: number): number {
  let off = view.offset;
  for (let d = view.dims.length - 1; d >= 0; d--) {
    const n = view.dims[d];
    off += (i % n) * view.strides[d];
    i = Math.floor(i / n);
  }
  return off;
}

/** The offsets a view reads lie in [lo, hi); an empty view gives [0, 0). */
export function viewRange(view: StridedView): { lo: number; hi: number } {
  let lo = view.offset;
  let hi = view.offset;
  for (let d = 0; d < view.dims.length; d++) {
    if (view.dims[d] === 0) return { lo: 0, hi: 0 };
    const span = (view.dims[d] - 1) * view.strides[d];
    if (span > 0) hi += span;
    else lo += span;
  }
  return { lo, hi: hi + 1 };
}
