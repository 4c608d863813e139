// The wasm backend's gather of a strided view: whole-row fills for broadcast rows (stride 0) and block copies for contiguous ones.

import type { FloatArray } from '../../core/dtype.js';
import { sizeOf } from '../../core/shape.js';
import { gatherView } from '../cpu/movement.js';
import { viewOffsets, type StridedView } from '../geometry/strided.js';

/** Rows shorter than this go through the reference loop (a typed-array call per row costs more than it saves). */
export const MIN_RUN = 16;

/**
 * out = the view of x, as the reference gatherView computes it. A view whose innermost dim
 * repeats one element (stride 0: expand, a broadcast mean's backward) fills each output row
 * with TypedArray.fill; a view whose innermost dim is contiguous copies each row with set; other
 * views, short rows and 0-d views take the reference loop.
 * @param x the buffer the view reads
 * @param out [size of view.dims] written
 */
export function gatherRows(x: FloatArray, out: FloatArray, view: StridedView): void {
  const nd = view.dims.length;
  const run = nd > 0 ? view.dims[nd - 1] : 0;
  const stride = nd > 0 ? view.strides[nd - 1] : -1;
  if (run < MIN_RUN || (stride !== 0 && stride !== 1) || sizeOf(view.dims) === 0) {
    gatherView(x, out, view);
    return;
  }
  const rows = viewOffsets({ dims: view.dims.slice(0, -1), strides: view.strides.slice(0, -1), offset: view.offset });
  if (stride === 0) for (let r = 0, o = 0; r < rows.length; r++, o += run) out.fill(x[rows[r]], o, o + run);
  else for (let r = 0, o = 0; r < rows.length; r++, o += run) out.set(x.subarray(rows[r], rows[r] + run), o);
}
