// Batched matrix multiply with broadcast batch dims and optional transposed operands.

import { CondgradError, checkBool, describeValue, fmtShape } from '../core/errors.js';
import { checkInputs, runOp, type Op } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { broadcastShapes } from '../kernels/geometry/broadcast.js';
import { matmulGeometry, type MatmulGeometry } from '../kernels/geometry/matmul.js';
import { sizeOf } from '../core/shape.js';
import { sumToShape } from './broadcast.js';
import { expand } from './broadcast.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
}

type Trans = Required<MatmulOptions>;

const matmulOp: Op<Trans, { shape: readonly number[]; g: MatmulGeometry }> = {
  name: 'matmul',
  plan([a, b], { transA, transB }) {
    if (a.rank < 2 || b.rank < 2) throw new CondgradError('matmul', `a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} must both have rank >= 2`);
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const batch = broadcastShapes('matmul', batchA, batchB);
    const g = matmulGeometry(
      'matmul',
      sizeOf(batchA),
      sizeOf(batchB),
      [a.shape[a.rank - 2], a.shape[a.rank - 1]],
      [b.shape[b.rank - 2], b.shape[b.rank - 1]],
      transA,
      transB,
    );
    return { shape: [...batch, g.M, g.N], g };
  },
  forward: (backend, [a, b], { g }) => backend.matmul(a, b, g),
  backward(dy, { inputs: [a, b], attrs: { transA, transB } }) {
    const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean): Tensor => matmulRaw(x, y, tx, ty);
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (a.requiresGrad) {
      da = !transA ? (transB ? mm(dy, b, false, false) : mm(dy, b, false, true)) : transB ? mm(b, dy, true, true) : mm(b, dy, false, true);
      da = sumToShape(da, a.shape);
    }
    if (b.requiresGrad) {
      db = !transB ? (transA ? mm(a, dy, false, false) : mm(a, dy, true, false)) : transA ? mm(dy, a, true, true) : mm(dy, a, true, false);
      db = sumToShape(db, b.shape);
    }
    return [da, db];
  },
};

function matmulRaw(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  // Batch dims that are neither equal nor all-ones are expanded first, so the kernel sees
  // either matching batches or one operand shared by every batch entry.
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (a.rank >= 2 && b.rank >= 2) {
    let batch: number[];
    try {
      batch = broadcastShapes('matmul', batchA, batchB);
    } catch {
      throw new CondgradError('matmul', `batch dims of a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)} cannot be broadcast`);
    }
    const full = sizeOf(batch);
    if (sizeOf(batchA) !== 1 && sizeOf(batchA) !== full) a = expand(a, [...batch, ...a.shape.slice(-2)]);
    if (sizeOf(batchB) !== 1 && sizeOf(batchB) !== full) b = expand(b, [...batch, ...b.shape.slice(-2)]);
  }
  return runOp(matmulOp, [a, b], { transA, transB }, ['a', 'b']);
}

/**
 * Batched matrix product. a: [...batchA, M, K] (or [..., K, M] with transA), b: [...batchB, K, N]
 * (or [..., N, K] with transB) → [...broadcast(batchA, batchB), M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (opts === null || typeof opts !== 'object') throw new CondgradError('matmul', `opts must be an object, got ${describeValue(opts)}`);
  checkInputs('matmul', [a, b], ['a', 'b']);
  const transA = checkBool('matmul', 'transA', opts.transA ?? false);
  const transB = checkBool('matmul', 'transB', opts.transB ?? false);
  return matmulRaw(a, b, transA, transB);
}
