// Host side of the float32 batched matmul kernels: which kernel a shape takes (packed GEMM, thin, dots), argument
// block, column blocking and the split over threads.

import type { MatmulGeometry } from '../geometry/matmul.js';
import { M_A, M_ABATCH, M_ACS, M_ARS, M_B, M_BBATCH, M_BCS, M_BRS, M_C, M_K, M_M, M_N, M_NBLK, M_NC, M_SCRATCH, M_SLOTS } from './assembly/layout.js';
import type { KernelName, WasmRuntime } from './runtime.js';

/** Flops below which a matmul runs on one thread. */
const MIN_FLOPS_PER_THREAD = 1.5e6;
/** Longest reduction the thin kernel takes (its B strip, K x 64 bytes, stays in L1 across the rows of A). */
export const THIN_MAX_K = 64;
/** Widest C the dots kernel takes, and the shortest reduction worth its horizontal sums. */
export const DOTS_MAX_N = 16;
export const DOTS_MIN_K = 32;

/**
 * The kernel for a shape: 'matmulThin' for a short reduction over B with contiguous columns
 * (mixing [B, K]·[K, |W|] and the experts' gradient αᵀ·dW: no B packing), 'matmulDots' for a
 * few columns from a long reduction over contiguous rows (the routing gradient dW·Eᵀ, narrow
 * linear layers: no 16-wide tiles mostly of zeros), else the packed GEMM 'matmul'.
 */
export function matmulKernel(g: MatmulGeometry): 'matmul' | 'matmulThin' | 'matmulDots' {
  const aRowsContiguous = !g.transA;
  const bColsContiguous = !g.transB;
  if (g.K >= 1 && g.K <= THIN_MAX_K && bColsContiguous && g.N >= 2 * 16) return 'matmulThin';
  if (g.K >= DOTS_MIN_K && g.N <= DOTS_MAX_N && aRowsContiguous && g.transB) return 'matmulDots';
  return 'matmul';
}

/** C[b] = op(A[b]) · op(B[b]) (float32, byte addresses); C [batch, M, N]. */
export function matmul(rt: WasmRuntime, a: number, b: number, c: number, g: MatmulGeometry): void {
  const s = new Int32Array(M_SLOTS);
  s[M_M] = g.M;
  s[M_N] = g.N;
  s[M_K] = g.K;
  s[M_ARS] = g.transA ? 1 : g.K;
  s[M_ACS] = g.transA ? g.M : 1;
  s[M_BRS] = g.transB ? 1 : g.N;
  s[M_BCS] = g.transB ? g.K : 1;
  s[M_ABATCH] = g.aBatchStride;
  s[M_BBATCH] = g.bBatchStride;
  s[M_A] = a;
  s[M_B] = b;
  s[M_C] = c;
  if (g.batch === 0 || g.M === 0 || g.N === 0) return;
  const kernel: KernelName = matmulKernel(g);
  let items: number, scratch: number;
  if (kernel === 'matmulDots') {
    items = g.batch * Math.ceil(g.M / 2);
    scratch = 64;
  } else {
    const nc = Math.min(256, Math.max(16, Math.ceil(g.N / 16) * 16));
    const nBlk = Math.ceil(g.N / nc);
    s[M_NC] = nc;
    s[M_NBLK] = nBlk;
    items = g.batch * nBlk;
    // Thin: tile, a K x 16 edge panel and A packed whole; packed GEMM: tile, A block [64 x 256], B block [256 x nc].
    scratch = kernel === 'matmulThin' ? 128 + 64 * g.K + 4 * 2 * Math.ceil(g.M / 2) * g.K + 64 : 128 + 64 * 256 * 4 + 256 * nc * 4 + 64;
  }
  const slices = rt.slicesFor(items, 2 * g.batch * g.M * g.N * g.K, MIN_FLOPS_PER_THREAD);
  const sc = rt.scratch(scratch, slices);
  for (let t = 0; t < slices; t++) {
    s[M_SCRATCH] = sc.base + t * sc.stride;
    rt.setArgs(t, s);
  }
  rt.runClaimed(kernel, slices, items);
}
