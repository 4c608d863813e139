// Reference batched matmul: C[b] = op(A[b]) · op(B[b]) with transposes and a shared (stride-0) operand.

import type { FloatArray } from '../../core/dtype.js';
import type { MatmulGeometry } from '../geometry/matmul.js';
import { gemm } from './gemm.js';

/**
 * @param a [batchA, M, K] contiguous, or [batchA, K, M] when g.transA; batchA is 1 when g.aBatchStride is 0
 * @param b [batchB, K, N] contiguous, or [batchB, N, K] when g.transB; batchB is 1 when g.bBatchStride is 0
 * @param out [g.batch, M, N] written
 */
export function matmulForward(a: FloatArray, b: FloatArray, out: FloatArray, g: MatmulGeometry): void {
  const { M, N, K } = g;
  // Row/column strides of op(A) [M, K] and op(B) [K, N] inside one batch entry.
  const ars = g.transA ? 1 : K;
  const acs = g.transA ? M : 1;
  const brs = g.transB ? 1 : N;
  const bcs = g.transB ? K : 1;
  for (let bi = 0; bi < g.batch; bi++) {
    gemm(M, N, K, { data: a, off: bi * g.aBatchStride, rs: ars, cs: acs }, { data: b, off: bi * g.bBatchStride, rs: brs, cs: bcs }, out, bi * M * N, N, false);
  }
}
