// Reference movement kernels: gather of a strided view, constant padding, concatenation.

import type { FloatArray } from '../../core/dtype.js';
import type { ConcatGeometry, PadGeometry } from '../geometry/movement.js';
import { type StridedView } from '../geometry/strided.js';
import { contiguousStrides, sizeOf } from '../../core/shape.js';

/**
 * Materialises a strided view: out[i] = x[offset of element i of view], in row-major order.
 * @param x the buffer the view reads
 * @param out [size of view.dims] written
 */
export function gatherView(x: FloatArray, out: FloatArray, view: StridedView): void {
  const dims = view.dims;
  const nd = dims.length;
  const n = sizeOf(dims);
  if (n === 0) return;
  if (nd === 0) {
    out[0] = x[view.offset];
    return;
  }
  const rowLen = dims[nd - 1];
  const s = view.strides[nd - 1];
  const rows = n / rowLen;
  const idx = new Array<number>(nd - 1).fill(0);
  let p = view.offset;
  for (let r = 0, po = 0; r < rows; r++, po += rowLen) {
    if (s === 1) {
      for (let i = 0; i < rowLen; i++) out[po + i] = x[p + i];
    } else {
      for (let i = 0, q = p; i < rowLen; i++, q += s) out[po + i] = x[q];
    }
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      p += view.strides[d];
      if (idx[d] < dims[d]) break;
      p -= view.strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/**
 * Constant padding: out[i] = x[i - before] where that index lies inside x, else g.value.
 * A negative `before` (or an outShape smaller than x) crops.
 * @param x [...g.inShape] contiguous @param out [...g.outShape] written
 */
export function padForward(x: FloatArray, out: FloatArray, g: PadGeometry): void {
  const nd = g.inShape.length;
  out.fill(g.value);
  if (nd === 0) {
    if (out.length > 0 && x.length > 0) out[0] = x[0];
    return;
  }
  // The x-index range [lo, hi) of each dim that lands inside out.
  const lo = new Array<number>(nd);
  const hi = new Array<number>(nd);
  for (let d = 0; d < nd; d++) {
    lo[d] = Math.max(0, -g.before[d]);
    hi[d] = Math.min(g.inShape[d], g.outShape[d] - g.before[d]);
    if (hi[d] <= lo[d]) return;
  }
  const xs = contiguousStrides(g.inShape);
  const os = contiguousStrides(g.outShape);
  const last = nd - 1;
  const rowLen = hi[last] - lo[last];
  const idx = lo.slice(0, last);
  let px = 0;
  let po = 0;
  for (let d = 0; d < nd; d++) {
    px += lo[d] * xs[d];
    po += (lo[d] + g.before[d]) * os[d];
  }
  for (;;) {
    for (let i = 0; i < rowLen; i++) out[po + i] = x[px + i];
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      px += xs[d];
      po += os[d];
      if (idx[d] < hi[d]) break;
      const back = idx[d] - lo[d];
      px -= back * xs[d];
      po -= back * os[d];
      idx[d] = lo[d];
    }
    if (d < 0) return;
  }
}

/**
 * Concatenation: row r of input i (widths[i] elements) lands at out[r * rowWidth + starts[i]].
 * @param xs inputs, each [g.outer * g.widths[i]] contiguous @param out [...g.outShape] written
 */
export function concatForward(xs: readonly FloatArray[], out: FloatArray, g: ConcatGeometry): void {
  const { outer, rowWidth } = g;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const w = g.widths[i];
    const start = g.starts[i];
    if (w === 0) continue;
    if (w >= 64 && x.constructor === out.constructor) {
      for (let r = 0; r < outer; r++) out.set(x.subarray(r * w, r * w + w), r * rowWidth + start);
    } else {
      for (let r = 0; r < outer; r++) {
        const px = r * w;
        const po = r * rowWidth + start;
        for (let j = 0; j < w; j++) out[po + j] = x[px + j];
      }
    }
  }
}
