// Batched matmul geometry: C[b] = op(A[b]) · op(B[b]), with one operand optionally shared across the batch.

import { CondgradError, fmtShape } from '../../core/errors.js';

/**
 * C: [batch, M, N] contiguous. A[b] is [M, K] (or [K, M] stored when transA), B[b] is [K, N]
 * (or [N, K] when transB). aBatchStride / bBatchStride are M*K / K*N, or 0 when that operand
 * is shared by every batch entry.
 */
export interface MatmulGeometry {
  readonly batch: number;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly aBatchStride: number;
  readonly bBatchStride: number;
}

export function matmulGeometry(
  op: string,
  batchA: number,
  batchB: number,
  a: readonly [number, number],
  b: readonly [number, number],
  transA: boolean,
  transB: boolean,
): MatmulGeometry {
  const [M, Ka] = transA ? [a[1], a[0]] : a;
  const [Kb, N] = transB ? [b[1], b[0]] : b;
  if (Ka !== Kb) {
    throw new CondgradError(op, `inner dimensions differ: a ${fmtShape(a)}${transA ? 'ᵀ' : ''} has K=${Ka}, b ${fmtShape(b)}${transB ? 'ᵀ' : ''} has K=${Kb}`);
  }
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
    throw new CondgradError(op, `batch sizes ${batchA} and ${batchB} cannot be broadcast`);
  }
  const batch = batchA === 0 || batchB === 0 ? 0 : Math.max(batchA, batchB);
  return Object.freeze({
    batch,
    M,
    N,
    K: Ka,
    transA,
    transB,
    aBatchStride: batchA === 1 && batch !== 1 ? 0 : M * Ka,
    bBatchStride: batchB === 1 && batch !== 1 ? 0 : Ka * N,
  });
}
