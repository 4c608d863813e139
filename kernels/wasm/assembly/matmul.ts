// Batched matmul C[b] = A[b]·B[b] over arbitrary element strides, as a Goto-style blocked GEMM on packed panels.

import { arg, at, nextItem, ptr } from './args';
import { MR, NR, gemmBlock, packA, packB } from './gemm';
import {
  M_A, M_ABATCH, M_ACS, M_ARS, M_B, M_BBATCH, M_BCS, M_BRS, M_C, M_K, M_M, M_N,
  M_NBLK, M_NC, M_SCRATCH,
} from './layout';

/** Depth of one packed block. */
export const KC: i32 = 256;
/** Rows of A per packed block. */
export const MC: i32 = 64;

/**
 * For the work items (batch entry, column block of NC) claimed with nextItem: C = A·B, blocked over
 * K (KC) and M (MC). Scratch: 128-byte tile, packed A block [MC x KC], packed B block [KC x NC].
 */
export function matmul(g: usize): void {
  const M = arg(g, M_M), N = arg(g, M_N), K = arg(g, M_K);
  const ars = arg(g, M_ARS), acs = arg(g, M_ACS), brs = arg(g, M_BRS), bcs = arg(g, M_BCS);
  const aBatch = arg(g, M_ABATCH), bBatch = arg(g, M_BBATCH);
  const a = ptr(g, M_A), b = ptr(g, M_B), c = ptr(g, M_C);
  const NC = arg(g, M_NC), nBlk = arg(g, M_NBLK);
  const tile = ptr(g, M_SCRATCH);
  const pa = tile + 128;
  const pb = pa + (<usize>(MC * KC) << 2);
  const ldc = <usize>N << 2;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const bi = item / nBlk, blk = item - bi * nBlk;
    const j0 = blk * NC, nc = min(NC, N - j0);
    const ab = at(a, bi * aBatch), bb = at(b, bi * bBatch), cb = at(c, bi * M * N + j0);
    if (K == 0) {
      for (let i = 0; i < M; i++) for (let j = 0; j < nc; j++) store<f32>(at(cb, i * N + j), 0);
      continue;
    }
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      packB(at(bb, k0 * brs + j0 * bcs), brs, bcs, kc, nc, pb);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = min(MC, M - i0);
        packA(at(ab, i0 * ars + k0 * acs), ars, acs, mc, kc, pa);
        gemmBlock(mc, nc, kc, pa, pb, 64, <usize>(kc * NR) << 2, cb + <usize>i0 * ldc, ldc, k0 > 0 ? 1 : 0, tile);
      }
    }
  }
}

/** Bytes of matmul scratch for one thread with column blocks of nc. */
export function matmulScratchBytes(nc: i32): i32 {
  return 128 + MC * KC * 4 + KC * ((nc + NR - 1) / NR * NR) * 4 + MR * 0;
}
