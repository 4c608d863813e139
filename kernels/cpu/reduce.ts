// Reference reductions (sum, max, min) over the kept/reduced views of a ReduceGeometry.

import type { FloatArray } from '../../core/dtype.js';
import type { ReduceGeometry } from '../geometry/reduce.js';
import { viewOffsets } from '../geometry/strided.js';
import type { ReduceOp } from '../elementwise.js';

/** The fold's identity: what an empty reduction returns. */
function identity(op: ReduceOp): number {
  return op === 'sum' || op === 'mean' ? 0 : op === 'max' ? -Infinity : Infinity;
}

/**
 * out[o] = fold over r of x[outer(o) + inner(r)]. Sums accumulate in float64 (a mean divides the
 * float64 sum by the count before rounding, so finite inputs give a finite mean); max/min
 * propagate NaN (a NaN in the window makes the result NaN).
 * @param x [...g.inShape] contiguous
 * @param out [g.outSize] written, kept dims in order
 */
export function reduceForward(x: FloatArray, out: FloatArray, op: ReduceOp, g: ReduceGeometry): void {
  const outer = viewOffsets(g.outer);
  const inner = viewOffsets(g.inner);
  const nOut = g.outSize;
  const nRed = g.reduceSize;
  const innerLast = g.inner.dims.length > 0 ? g.inner.strides[g.inner.dims.length - 1] : 0;
  const outerLast = g.outer.dims.length > 0 ? g.outer.strides[g.outer.dims.length - 1] : 0;
  if (innerLast === 1 || nOut === 1 || outerLast !== 1) {
    // Reduced elements are (closest to) contiguous: fold each output in one pass.
    for (let o = 0; o < nOut; o++) out[o] = foldAt(x, outer[o], inner, nRed, op);
    return;
  }
  const acc = new Float64Array(nOut).fill(identity(op));
  sweep(x, acc, outer, inner, nRed, op);
  if (op === 'mean') {
    for (let o = 0; o < nOut; o++) acc[o] = Number.isFinite(acc[o]) ? acc[o] / nRed : foldAt(x, outer[o], inner, nRed, op);
  }
  out.set(acc);
}

/** Kept elements contiguous: the reduced index outside, outputs inside, folding into acc. */
function sweep(x: FloatArray, acc: Float64Array, outer: Int32Array, inner: Int32Array, nRed: number, op: ReduceOp): void {
  const nOut = acc.length;
  // Once an accumulator holds NaN every later comparison is false, so the NaN survives.
  for (let r = 0; r < nRed; r++) {
    const base = inner[r];
    if (op === 'sum' || op === 'mean') {
      for (let o = 0; o < nOut; o++) acc[o] += x[base + outer[o]];
    } else if (op === 'max') {
      for (let o = 0; o < nOut; o++) {
        const v = x[base + outer[o]];
        if (v > acc[o] || v !== v) acc[o] = v;
      }
    } else {
      for (let o = 0; o < nOut; o++) {
        const v = x[base + outer[o]];
        if (v < acc[o] || v !== v) acc[o] = v;
      }
    }
  }
}

function foldAt(x: FloatArray, base: number, inner: Int32Array, n: number, op: ReduceOp): number {
  if (op === 'sum' || op === 'mean') {
    let s = 0;
    for (let r = 0; r < n; r++) s += x[base + inner[r]];
    if (op === 'sum') return s;
    if (Number.isFinite(s)) return s / n;
    // Only float64 sums overflow: add the scaled terms instead (still Inf/NaN if an input is).
    s = 0;
    for (let r = 0; r < n; r++) s += x[base + inner[r]] / n;
    return s;
  }
  let m = identity(op);
  if (op === 'max') {
    for (let r = 0; r < n; r++) {
      const v = x[base + inner[r]];
      if (v > m) m = v;
      else if (v !== v) return v;
    }
  } else {
    for (let r = 0; r < n; r++) {
      const v = x[base + inner[r]];
      if (v < m) m = v;
      else if (v !== v) return v;
    }
  }
  return m;
}
