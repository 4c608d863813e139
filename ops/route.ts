// The sigmoid router's gate as one op: α = sigmoid(p·Wᵀ + b) on pooled features, forward and closed-form backward on the backend's kernels.

import { CondgradError, fmtShape } from '../core/errors.js';
import { checkInputs, isTracing, runCheckedOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import type { UnaryOp } from '../kernels/elementwise.js';
import { binaryGeometry, type BinaryGeometry } from '../kernels/geometry/broadcast.js';
import { matmulGeometry, type MatmulGeometry } from '../kernels/geometry/matmul.js';
import { reduceGeometry } from '../kernels/geometry/reduce.js';
import { sigmoid } from './activations.js';
import { add } from './arithmetic.js';
import { matmul } from './matmul.js';

const SIGMOID: UnaryOp = { name: 'sigmoid' };

interface GatePlan {
  readonly shape: readonly number[];
  /** [B, C] · [K, C]ᵀ. */
  readonly logits: MatmulGeometry;
  /** [B, K] + [K], or null without a bias. */
  readonly addBias: BinaryGeometry | null;
}

/**
 * Each step runs the kernel the unfused ops (matmul with transB, add, sigmoid, and their
 * backwards) run, with the same geometry, so α and every gradient are bit-identical to theirs;
 * what goes is the per-op bookkeeping (3 taped ops forward and 6 backward become one node). The
 * sigmoid's derivative y(1 − y) needs only the output, so the logits are not kept.
 */
const gateOp: Op<Record<string, never>, GatePlan> = {
  name: 'sigmoidGate',
  // Backward reads pooled (dW), weight (dpooled) and α (the sigmoid's derivative), never the
  // bias, so an in-place write to the bias before backward is as allowed as with the unfused add.
  savesData: () => ({ inputs: [0, 1], output: true }),
  plan([p, w, b]) {
    const [B, C] = p.shape;
    const K = w.shape[0];
    if (p.rank !== 2 || w.rank !== 2 || w.shape[1] !== C || (b !== undefined && (b.rank !== 1 || b.shape[0] !== K))) {
      throw new CondgradError(
        this.name,
        `pooled ${fmtShape(p.shape)} must be [B, C], weight ${fmtShape(w.shape)} [K, C] and bias ${b === undefined ? 'none' : fmtShape(b.shape)} [K]`,
      );
    }
    return {
      shape: [B, K],
      logits: matmulGeometry('matmul', 1, 1, [B, C], [K, C], false, true),
      addBias: b === undefined ? null : binaryGeometry('add', [B, K], [K]),
    };
  },
  forward(backend, [p, w, b], { logits, addBias }) {
    const y = backend.matmul(p, w, logits);
    if (addBias === null) {
      const alpha = backend.unary(y, SIGMOID);
      backend.dispose(y);
      return alpha;
    }
    const z = backend.binary(y, b, 'add', addBias);
    backend.dispose(y);
    const alpha = backend.unary(z, SIGMOID);
    backend.dispose(z);
    return alpha;
  },
  backward(dy, { inputs: [p, w, b], output }) {
    const be = p.backend;
    const [B, C] = p.shape;
    const K = w.shape[0];
    // sigmoid's backward reads only y (its x argument is not used): dz = dy · α(1 − α).
    const dz = be.unaryBackward(output.storage, output.storage, dy.storage, SIGMOID);
    const db = b !== undefined && b.requiresGrad ? new Tensor(be.reduce(dz, 'sum', reduceGeometry('sum', [B, K], [0])), [K], be) : null;
    const dw = w.requiresGrad ? new Tensor(be.matmul(dz, p.storage, matmulGeometry('matmul', 1, 1, [B, K], [B, C], true, false)), w.shape, be) : null;
    const dp = p.requiresGrad ? new Tensor(be.matmul(dz, w.storage, matmulGeometry('matmul', 1, 1, [B, K], [K, C], false, false)), p.shape, be) : null;
    be.dispose(dz);
    return b === undefined ? [dp, dw] : [dp, dw, db];
  },
};

/**
 * The sigmoid router's gate: α = sigmoid(pooled · weightᵀ + bias), one op (bit-identical to
 * sigmoid(add(matmul(pooled, weight, { transB: true }), bias))). While an op tracer records
 * (ONNX export) it runs as those three ops, which the exporter knows.
 * @param pooled [B, C]
 * @param weight [K, C]
 * @param bias [K] or null
 * @returns α [B, K]
 */
export function sigmoidGate(pooled: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  if (isTracing()) {
    const y = matmul(pooled, weight, { transB: true });
    return sigmoid(bias === null ? y : add(y, bias));
  }
  const inputs = bias === null ? [pooled, weight] : [pooled, weight, bias];
  checkInputs('sigmoidGate', inputs, ['pooled', 'weight', 'bias']);
  return runCheckedOp(gateOp, inputs, {}, ['pooled', 'weight', 'bias']);
}
