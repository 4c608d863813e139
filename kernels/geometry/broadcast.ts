// NumPy broadcasting: the output shape of two operands and the strided views that read them.

import { CondgradError, fmtShape } from '../../core/errors.js';
import { coalesce, type StridedView } from './strided.js';
import { contiguousStrides, sizeOf } from '../../core/shape.js';

/** NumPy's broadcast of two shapes, or an Error naming the op and both shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new CondgradError(op, `shapes ${fmtShape(a)} and ${fmtShape(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `shape` (contiguous) as if it had `outShape`, with 0 on broadcast dims. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const cs = contiguousStrides(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_d, i) => (i < lead || shape[i - lead] === 1 ? 0 : cs[i - lead]));
}

/**
 * The gather view that reads a contiguous tensor of shape `from` as its broadcast to `to` (dims
 * coalesced, 0 strides on the broadcast dims): expand's forward and every broadcast gradient
 * materialised (a sum's backward, backprop's expandTo). `from` must broadcast to `to`.
 */
export function broadcastView(from: readonly number[], to: readonly number[]): StridedView {
  const c = coalesce(to, [broadcastStrides(from, to)]);
  return { dims: c.dims, strides: c.strides[0], offset: 0 };
}

/**
 * Geometry of an elementwise op over two broadcast operands. `a` and `b` are views onto
 * the operands' contiguous buffers iterated in the output's row-major order (dims coalesced).
 * `sameShape` flags the fast path where both operands already have the output's shape.
 */
export interface BinaryGeometry {
  readonly outShape: readonly number[];
  readonly size: number;
  readonly a: StridedView;
  readonly b: StridedView;
  readonly sameShape: boolean;
}

export function binaryGeometry(op: string, aShape: readonly number[], bShape: readonly number[]): BinaryGeometry {
  const outShape = broadcastShapes(op, aShape, bShape);
  const c = coalesce(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  const size = sizeOf(outShape);
  const sameShape = sizeOf(aShape) === size && sizeOf(bShape) === size;
  return Object.freeze({
    outShape,
    size,
    a: { dims: c.dims, strides: c.strides[0], offset: 0 },
    b: { dims: c.dims, strides: c.strides[1], offset: 0 },
    sameShape,
  });
}
