// Reference elementwise kernels over typed arrays: unary, unary backward, broadcast binary and cast.

import type { FloatArray } from '../../core/dtype.js';
import type { BinaryGeometry } from '../geometry/broadcast.js';
import { binaryScalar, unaryDerivative, unaryScalar, type BinaryOp, type UnaryOp } from '../elementwise.js';

/**
 * out[i] = f(x[i]) with f = unaryScalar(op).
 * @param x [n] any layout, read flat
 * @param out [n] written
 */
export function unaryForward(x: FloatArray, out: FloatArray, op: UnaryOp): void {
  const n = x.length;
  switch (op.name) {
    case 'relu':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = v <= 0 ? 0 : v;
      }
      return;
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'square':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = v * v;
      }
      return;
    case 'affine': {
      const { scale, shift } = op;
      for (let i = 0; i < n; i++) out[i] = scale * x[i] + shift;
      return;
    }
    default: {
      const f = unaryScalar(op);
      for (let i = 0; i < n; i++) out[i] = f(x[i]);
    }
  }
}

/**
 * out[i] = dy[i] * f'(x[i], y[i]) with f' = unaryDerivative(op), y = f(x).
 * @param x [n] @param y [n] @param dy [n] @param out [n] written
 */
export function unaryBackward(x: FloatArray, y: FloatArray, dy: FloatArray, out: FloatArray, op: UnaryOp): void {
  const n = x.length;
  // The ops of BatchNorm, activations and the optimizers get their own loops: through the shared
  // call site below, d is megamorphic in a training step and costs several times the arithmetic.
  // Each loop computes exactly dy[i] * d(x[i], y[i]).
  switch (op.name) {
    case 'square':
      for (let i = 0; i < n; i++) out[i] = dy[i] * (2 * x[i]);
      return;
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = dy[i] * -1;
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = dy[i] * (0.5 / y[i]);
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = dy[i] * y[i];
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        out[i] = dy[i] * (v * (1 - v));
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const v = y[i];
        out[i] = dy[i] * (1 - v * v);
      }
      return;
    case 'relu6':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = dy[i] * (v > 0 && v < 6 ? 1 : 0);
      }
      return;
    case 'affine': {
      const s = op.scale;
      for (let i = 0; i < n; i++) out[i] = dy[i] * s;
      return;
    }
    default: {
      const d = unaryDerivative(op);
      for (let i = 0; i < n; i++) out[i] = dy[i] * d(x[i], y[i]);
    }
  }
}

/** Same-shape fast path: out[i] = a[i] op b[i]. */
function binarySame(a: FloatArray, b: FloatArray, out: FloatArray, op: BinaryOp, n: number): void {
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
      return;
    case 'sub':
      for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
      return;
    case 'mul':
      for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
      return;
    case 'div':
      for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
      return;
    default: {
      const f = binaryScalar(op);
      for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    }
  }
}

/** One contiguous output row of length n, reading a and b with strides sa and sb. */
function binaryRow(
  a: FloatArray,
  pa: number,
  sa: number,
  b: FloatArray,
  pb: number,
  sb: number,
  out: FloatArray,
  po: number,
  n: number,
  op: BinaryOp,
  f: (x: number, y: number) => number,
): void {
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++, pa += sa, pb += sb) out[po + i] = a[pa] + b[pb];
      return;
    case 'sub':
      for (let i = 0; i < n; i++, pa += sa, pb += sb) out[po + i] = a[pa] - b[pb];
      return;
    case 'mul':
      for (let i = 0; i < n; i++, pa += sa, pb += sb) out[po + i] = a[pa] * b[pb];
      return;
    case 'div':
      for (let i = 0; i < n; i++, pa += sa, pb += sb) out[po + i] = a[pa] / b[pb];
      return;
    default:
      for (let i = 0; i < n; i++, pa += sa, pb += sb) out[po + i] = f(a[pa], b[pb]);
  }
}

/**
 * out = a op b with NumPy broadcasting, out contiguous of g.outShape.
 * @param a buffer that g.a views @param b buffer that g.b views @param out [g.size] written
 */
export function binaryForward(a: FloatArray, b: FloatArray, out: FloatArray, op: BinaryOp, g: BinaryGeometry): void {
  if (g.sameShape) {
    binarySame(a, b, out, op, g.size);
    return;
  }
  const f = binaryScalar(op);
  const dims = g.a.dims;
  const nd = dims.length;
  if (nd === 0) {
    if (g.size === 1) out[0] = f(a[g.a.offset], b[g.b.offset]);
    return;
  }
  // Odometer over every dim but the last; the last dim is one strided row.
  const rowLen = dims[nd - 1];
  const sa = g.a.strides[nd - 1];
  const sb = g.b.strides[nd - 1];
  const rows = g.size / rowLen;
  const idx = new Array<number>(nd - 1).fill(0);
  let pa = g.a.offset;
  let pb = g.b.offset;
  for (let r = 0, po = 0; r < rows; r++, po += rowLen) {
    binaryRow(a, pa, sa, b, pb, sb, out, po, rowLen, op, f);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]++;
      pa += g.a.strides[d];
      pb += g.b.strides[d];
      if (idx[d] < dims[d]) break;
      pa -= g.a.strides[d] * dims[d];
      pb -= g.b.strides[d] * dims[d];
      idx[d] = 0;
    }
  }
}

/**
 * Copies x into out, converting between float32 and float64 (round-to-nearest on narrowing).
 * @param x [n] @param out [n] written
 */
export function castInto(x: FloatArray, out: FloatArray): void {
  out.set(x);
}
