// Matmuls of thin shapes that the packed GEMM wastes work on: a short reduction over row-major B (CondConv's expert
// mixing and its experts' gradient) and a long reduction into a few columns (the routing gradient, narrow linear layers).

import { arg, at, nextItem, ptr } from './args';
import { MR, NR, micro, packA } from './gemm';
import { hsum, madd } from './madd';
import { M_A, M_ABATCH, M_ACS, M_ARS, M_B, M_BBATCH, M_BCS, M_BRS, M_C, M_K, M_M, M_N, M_NBLK, M_NC, M_SCRATCH } from './layout';

/**
 * C[b] = A[b]·B[b] for a short reduction K (the host sends K <= 64) with B's columns contiguous
 * (B(k, j) at k*BRS + j), for the items (batch entry, column block of NC) claimed with nextItem.
 * B is read in place, 16 columns at a time, by the same 2x16 micro-kernel and in the same
 * order as the packed GEMM, so the result is the one matmul gives: only B's packing is saved.
 * Scratch: 128-byte tile, a K x 16 panel for a ragged last strip, A packed into 2-row panels.
 */
export function matmulThin(g: usize): void {
  const M = arg(g, M_M), N = arg(g, M_N), K = arg(g, M_K);
  const ars = arg(g, M_ARS), acs = arg(g, M_ACS), brs = arg(g, M_BRS);
  const aBatch = arg(g, M_ABATCH), bBatch = arg(g, M_BBATCH);
  const a = ptr(g, M_A), b = ptr(g, M_B), c = ptr(g, M_C);
  const NC = arg(g, M_NC), nBlk = arg(g, M_NBLK);
  const tile = ptr(g, M_SCRATCH);
  const edge = tile + 128;
  const pa = edge + (<usize>(K * NR) << 2);
  const ldb = <usize>brs << 2, ldc = <usize>N << 2;
  const aPanel = <usize>(K * MR) << 2;
  let lastBatch = -1;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const bi = item / nBlk, blk = item - bi * nBlk;
    if (bi != lastBatch) {
      packA(at(a, bi * aBatch), ars, acs, M, K, pa);
      lastBatch = bi;
    }
    const bb = at(b, bi * bBatch), cb = at(c, bi * M * N);
    const j0 = blk * NC, j1 = min(N, j0 + NC);
    for (let j = j0; j < j1; j += NR) {
      const nr = min(NR, j1 - j);
      let bp = at(bb, j), lb = ldb;
      if (nr < NR) {
        // The micro-kernel reads 16 columns: copy the ragged strip into a zero-padded panel.
        for (let k = 0; k < K; k++) {
          const src = bp + <usize>k * ldb, dst = edge + (<usize>k << 6);
          for (let q = 0; q < NR; q++) store<f32>(dst + (<usize>q << 2), q < nr ? load<f32>(src + (<usize>q << 2)) : 0);
        }
        bp = edge;
        lb = 64;
      }
      let ap = pa, cp = at(cb, j);
      let i = 0;
      if (nr == NR) {
        for (; i + MR <= M; i += MR) {
          tile2x16(K, ap, bp, lb, cp, ldc);
          ap += aPanel;
          cp += ldc << 1;
        }
      }
      for (; i < M; i += MR) {
        micro(K, ap, bp, lb, cp, ldc, min(MR, M - i), nr, 0, tile);
        ap += aPanel;
        cp += ldc << 1;
      }
    }
  }
}

/** C[0..2, 0..16] = A·B over k steps: micro's full-tile case, inlined (the reduction is short, so the call and the tile checks weigh). */
@inline function tile2x16(k: i32, a: usize, b: usize, ldb: usize, c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  for (let s = 0; s < k; s++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    const a0 = v128.load32_splat(a);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c02 = madd(a0, b2, c02);
    c03 = madd(a0, b3, c03);
    const a1 = v128.load32_splat(a, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    c12 = madd(a1, b2, c12);
    c13 = madd(a1, b3, c13);
    a += 8;
    b += ldb;
  }
  const c1 = c + ldc;
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
}

/**
 * C[b] = A[b]·B[b] for a few columns (the host sends N <= 16) and a long reduction K, with A's
 * rows and B's columns contiguous (A(i, k) at i*ARS + k, B(k, j) at k + j*BCS): every C element
 * is a dot product of two contiguous runs, computed whole by the thread that claims its item
 * (batch entry, pair of rows), so the result does not depend on the thread count. Two rows of A
 * meet four columns of B per step (eight f32x4 accumulators), summed lane-wise, then across.
 */
export function matmulDots(g: usize): void {
  const M = arg(g, M_M), N = arg(g, M_N), K = arg(g, M_K);
  const ars = arg(g, M_ARS), bcs = arg(g, M_BCS);
  const aBatch = arg(g, M_ABATCH), bBatch = arg(g, M_BBATCH);
  const a = ptr(g, M_A), b = ptr(g, M_B), c = ptr(g, M_C);
  const pairs = (M + 1) >> 1;
  const k4 = <usize>(K & ~3) << 2, kEnd = <usize>K << 2;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const bi = item / pairs, i = (item - bi * pairs) << 1;
    const two = i + 1 < M;
    const a0 = at(a, bi * aBatch + i * ars), a1 = two ? at(a0, ars) : a0;
    const c0 = at(c, (bi * M + i) * N), c1 = at(c0, N);
    for (let j = 0; j < N; j += 4) {
      const nj = min(4, N - j);
      const b0 = at(b, bi * bBatch + j * bcs);
      const b1 = nj > 1 ? at(b0, bcs) : b0, b2 = nj > 2 ? at(b1, bcs) : b1, b3 = nj > 3 ? at(b2, bcs) : b2;
      let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (let o: usize = 0; o < k4; o += 16) {
        const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
        const y0 = v128.load(b0 + o), y1 = v128.load(b1 + o), y2 = v128.load(b2 + o), y3 = v128.load(b3 + o);
        s00 = madd(x0, y0, s00);
        s01 = madd(x0, y1, s01);
        s02 = madd(x0, y2, s02);
        s03 = madd(x0, y3, s03);
        s10 = madd(x1, y0, s10);
        s11 = madd(x1, y1, s11);
        s12 = madd(x1, y2, s12);
        s13 = madd(x1, y3, s13);
      }
      let r00 = hsum(s00), r01 = hsum(s01), r02 = hsum(s02), r03 = hsum(s03);
      let r10 = hsum(s10), r11 = hsum(s11), r12 = hsum(s12), r13 = hsum(s13);
      for (let o = k4; o < kEnd; o += 4) {
        const x0 = load<f32>(a0 + o), x1 = load<f32>(a1 + o);
        const y0 = load<f32>(b0 + o), y1 = load<f32>(b1 + o), y2 = load<f32>(b2 + o), y3 = load<f32>(b3 + o);
        r00 += x0 * y0; r01 += x0 * y1; r02 += x0 * y2; r03 += x0 * y3;
        r10 += x1 * y0; r11 += x1 * y1; r12 += x1 * y2; r13 += x1 * y3;
      }
      const d0 = at(c0, j), d1 = at(c1, j);
      store<f32>(d0, r00);
      if (nj > 1) store<f32>(d0, r01, 4);
      if (nj > 2) store<f32>(d0, r02, 8);
      if (nj > 3) store<f32>(d0, r03, 12);
      if (two) {
        store<f32>(d1, r10);
        if (nj > 1) store<f32>(d1, r11, 4);
        if (nj > 2) store<f32>(d1, r12, 8);
        if (nj > 3) store<f32>(d1, r13, 12);
      }
    }
  }
}
