// Packed, 4x4 register-tiled GEMM over strided operands: the inner engine of matmul and conv.

import type { FloatArray } from '../../core/dtype.js';

/**
 * An operand read as a matrix: element (r, c) lives at data[off + r * rs + c * cs].
 * Any transpose is just a swap of rs and cs.
 */
export interface MatRef {
  data: FloatArray;
  off: number;
  rs: number;
  cs: number;
}

let packA: Float64Array = new Float64Array(0);
let packB: Float64Array = new Float64Array(0);

function grow(buf: Float64Array, n: number): Float64Array {
  return buf.length >= n ? buf : new Float64Array(Math.max(n, buf.length * 2));
}

/**
 * C = A · B (or C += A · B when `accumulate`), A: [M, K], B: [K, N] as strided views, C written
 * row-major at c[cOff + i * ldc + j]. Products accumulate in float64 and C is rounded once per
 * call. Operands are packed into 4-row / 4-column float64 panels, zero-padded at the edges.
 */
export function gemm(M: number, N: number, K: number, a: MatRef, b: MatRef, c: FloatArray, cOff: number, ldc: number, accumulate: boolean): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
    return;
  }
  const mt = (M + 3) >> 2;
  packA = grow(packA, mt * K * 4);
  packB = grow(packB, K * 4);
  const ap = packA;
  const bp = packB;
  // Pack A as [tile][k][4 rows].
  const ad = a.data,
    ars = a.rs,
    acs = a.cs;
  for (let t = 0; t < mt; t++) {
    const base = t * K * 4;
    for (let r = 0; r < 4; r++) {
      const i = t * 4 + r;
      if (i < M) {
        let q = a.off + i * ars;
        for (let k = 0, p = base + r; k < K; k++, p += 4, q += acs) ap[p] = ad[q];
      } else {
        for (let k = 0, p = base + r; k < K; k++, p += 4) ap[p] = 0;
      }
    }
  }
  const bd = b.data,
    brs = b.rs,
    bcs = b.cs;
  for (let j0 = 0; j0 < N; j0 += 4) {
    // Pack the 4-column panel of B as [k][4 cols].
    for (let cc = 0; cc < 4; cc++) {
      const j = j0 + cc;
      if (j < N) {
        let q = b.off + j * bcs;
        for (let k = 0, p = cc; k < K; k++, p += 4, q += brs) bp[p] = bd[q];
      } else {
        for (let k = 0, p = cc; k < K; k++, p += 4) bp[p] = 0;
      }
    }
    const nc = Math.min(4, N - j0);
    for (let t = 0; t < mt; t++) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      let pa = t * K * 4;
      let pb = 0;
      for (let k = 0; k < K; k++, pa += 4, pb += 4) {
        const a0 = ap[pa],
          a1 = ap[pa + 1],
          a2 = ap[pa + 2],
          a3 = ap[pa + 3];
        const b0 = bp[pb],
          b1 = bp[pb + 1],
          b2 = bp[pb + 2],
          b3 = bp[pb + 3];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
      }
      const mr = Math.min(4, M - t * 4);
      const row0 = cOff + t * 4 * ldc + j0;
      if (mr === 4 && nc === 4) {
        if (accumulate) {
          let p = row0;
          c[p] += c00;
          c[p + 1] += c01;
          c[p + 2] += c02;
          c[p + 3] += c03;
          p += ldc;
          c[p] += c10;
          c[p + 1] += c11;
          c[p + 2] += c12;
          c[p + 3] += c13;
          p += ldc;
          c[p] += c20;
          c[p + 1] += c21;
          c[p + 2] += c22;
          c[p + 3] += c23;
          p += ldc;
          c[p] += c30;
          c[p + 1] += c31;
          c[p + 2] += c32;
          c[p + 3] += c33;
        } else {
          let p = row0;
          c[p] = c00;
          c[p + 1] = c01;
          c[p + 2] = c02;
          c[p + 3] = c03;
          p += ldc;
          c[p] = c10;
          c[p + 1] = c11;
          c[p + 2] = c12;
          c[p + 3] = c13;
          p += ldc;
          c[p] = c20;
          c[p + 1] = c21;
          c[p + 2] = c22;
          c[p + 3] = c23;
          p += ldc;
          c[p] = c30;
          c[p + 1] = c31;
          c[p + 2] = c32;
          c[p + 3] = c33;
        }
      } else {
        const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let r = 0; r < mr; r++) {
          const p = row0 + r * ldc;
          for (let cc = 0; cc < nc; cc++) {
            if (accumulate) c[p + cc] += tile[r * 4 + cc];
            else c[p + cc] = tile[r * 4 + cc];
          }
        }
      }
    }
  }
}
