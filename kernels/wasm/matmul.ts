// Host side of the float32 batched matmul kernel: argument block, column blocking and the split over threads.

import type { MatmulGeometry } from '../geometry/matmul.js';
import { M_A, M_ABATCH, M_ACS, M_ARS, M_B, M_BBATCH, M_BCS, M_BRS, M_C, M_K, M_M, M_N, M_NBLK, M_NC, M_SCRATCH, M_SLOTS } from './assembly/layout.js';
import type { WasmRuntime } from './runtime.js';

/** Flops below which a matmul runs on one thread. */
const MIN_FLOPS_PER_THREAD = 1.5e6;

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
  const nc = Math.min(256, Math.max(16, Math.ceil(g.N / 16) * 16));
  const nBlk = Math.ceil(g.N / nc);
  s[M_NC] = nc;
  s[M_NBLK] = nBlk;
  const items = g.batch * nBlk;
  if (items === 0 || g.M === 0) return;
  const slices = rt.slicesFor(items, 2 * g.batch * g.M * g.N * g.K, MIN_FLOPS_PER_THREAD);
  const sc = rt.scratch(128 + 64 * 256 * 4 + 256 * nc * 4 + 64, slices);
  for (let t = 0; t < slices; t++) {
    s[M_SCRATCH] = sc.base + t * sc.stride;
    rt.setArgs(t, s);
  }
  rt.runClaimed('matmul', slices, items);
}
