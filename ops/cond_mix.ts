// Expert mixing: per-sample parameters W_b = Σ_k α_bk W_k as one [B,K]×[K,|W|] matmul, with its closed-form backward.

import { CondgradError, fmtShape } from '../core/errors.js';
import { checkInputs, runCheckedOp, runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { matmulGeometry, type MatmulGeometry } from '../kernels/geometry/matmul.js';
import { sizeOf } from '../core/shape.js';

interface MixPlan {
  readonly shape: readonly number[];
  readonly B: number;
  readonly K: number;
  readonly S: number;
  /** Forward: [B, K] · [K, S] → [B, S]. */
  readonly g: MatmulGeometry;
}

/**
 * Mixing reads the experts [K, ...S] as a [K, S] matrix in place (no reshape copy) and writes
 * [B, S] laid out as `outShape`. Backward, with dW [B, S] the gradient of the mixed parameters:
 *   dExperts_k = Σ_b α_bk dW_b    (αᵀ·dW, K·S elements)
 *   dα_bk      = ⟨dW_b, W_k⟩      (dW·Eᵀ, B·K elements)
 */
const mixOp: Op<{ outShape: readonly number[] }, MixPlan> = {
  name: 'mixExperts',
  plan([r, e], { outShape }) {
    const [B, K] = r.shape;
    const S = e.size / K;
    if (r.rank !== 2 || e.rank < 1 || e.shape[0] !== K || sizeOf(outShape) !== B * S) {
      throw new CondgradError(
        this.name,
        `routing ${fmtShape(r.shape)} must be [B, K] and experts ${fmtShape(e.shape)} [K, ...], mixed into ${fmtShape(outShape)}`,
      );
    }
    return { shape: outShape, B, K, S, g: matmulGeometry(this.name, 1, 1, [B, K], [K, S], false, false) };
  },
  forward: (backend, [r, e], { g }) => backend.matmul(r, e, g),
  backward(dy, { inputs: [r, e], plan: { B, K, S } }) {
    const b = r.backend;
    // dα = dW · Eᵀ: [B, S] · [K, S]ᵀ → [B, K];  dE = αᵀ · dW: [B, K]ᵀ · [B, S] → [K, S].
    const dr = r.requiresGrad ? new Tensor(b.matmul(dy.storage, e.storage, matmulGeometry(this.name, 1, 1, [B, S], [K, S], false, true)), r.shape, b) : null;
    const de = e.requiresGrad ? new Tensor(b.matmul(r.storage, dy.storage, matmulGeometry(this.name, 1, 1, [B, K], [B, S], true, false)), e.shape, b) : null;
    return [dr, de];
  },
};

/**
 * Per-sample mixture of expert parameters: out[b] = Σ_k routing[b, k] · experts[k].
 * @param routing [B, K]
 * @param experts [K, ...S]
 * @param outShape the output's shape, B·|S| elements (default [B, ...S])
 * @returns [B, ...S] (or outShape)
 */
export function mixExperts(routing: Tensor, experts: Tensor, outShape?: readonly number[]): Tensor {
  const op = 'mixExperts';
  checkInputs(op, [routing, experts], ['routing', 'experts']);
  if (routing.rank !== 2) throw new CondgradError(op, `routing must be [B, K], got ${fmtShape(routing.shape)} (experts ${fmtShape(experts.shape)})`);
  if (experts.rank < 1 || experts.shape[0] !== routing.shape[1]) {
    throw new CondgradError(op, `experts must be [K, ...] with K = ${routing.shape[1]} (routing ${fmtShape(routing.shape)}), got ${fmtShape(experts.shape)}`);
  }
  const shape = outShape ?? [routing.shape[0], ...experts.shape.slice(1)];
  return runOp(mixOp, [routing, experts], { outShape: shape }, ['routing', 'experts']);
}

/** mixExperts on inputs condConv2d / condLinear have already checked (shapes and checkInputs). Internal. */
export function mixChecked(routing: Tensor, experts: Tensor, outShape: readonly number[]): Tensor {
  return runCheckedOp(mixOp, [routing, experts], { outShape }, ['routing', 'experts']);
}
