// 1-D CondConv (NCL): per-sample kernels W_b = Σ_k α_bk W_k over length-L signals, on the fused, moe and batch1 paths.

import { CondgradError, fmtShape } from '../core/errors.js';
import { checkInputs, traceComposite } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { add } from './arithmetic.js';
import { checkCondCommon } from './cond_checks.js';
import { mixExperts } from './cond_mix.js';
import { planCondConv1d, type CondConv1dOptions } from './cond_plan.js';
import { conv1d, conv1dPerSample } from './conv1d.js';
import { matmul } from './matmul.js';
import { concat, reshape, slice } from './shape.js';

/**
 * Conditionally parameterized 1-D convolution:
 *   y[b] = conv1d(x[b], Σ_k α_bk W_k) + Σ_k α_bk bias_k
 * Depthwise is groups = C with experts [K, C·m, 1, k]. The paths are those of condConv2d, and
 * all give the same numbers up to rounding ('auto' asks planCondConv1d's cost model):
 * - 'fused': one [B,K]×[K,|W|] matmul mixes every sample's kernel, then ONE per-sample conv
 *   pass (conv1dPerSample) over the batch. Backward in closed form: dx through the per-sample
 *   kernels, per-sample dW_b from the filter gradient, then dExperts_k = Σ_b α_bk dW_b and
 *   dα_bk = ⟨dW_b, W_k⟩ (+ ⟨Σ_l dy_b, bias_k⟩ with a bias). Extra memory O(B·|W|).
 * - 'moe': K ordinary conv1d passes, outputs mixed by α (K activation-sized buffers).
 * - 'batch1': B = 1 only: mix one kernel and run the plain conv1d.
 * @param x [B, C, L]
 * @param experts [K, O, C/groups, k]
 * @param routing [B, K]
 * @param bias [K, O] or null
 * @param opts stride, padding (number, [left, right], 'same', 'valid'), dilation, groups, path
 * @returns [B, O, outL]
 */
export function condConv1d(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null = null, opts: CondConv1dOptions = {}): Tensor {
  // Traced (for export) as one op, computed on the fused path whatever path was asked for.
  const fused = (o: CondConv1dOptions): CondConv1dOptions => (o !== null && typeof o === 'object' ? { ...o, path: 'fused' } : o);
  return traceComposite('condConv1d', [x, experts, routing, bias], opts, (tracing) => condConv1dOn(x, experts, routing, bias, tracing ? fused(opts) : opts));
}

function condConv1dOn(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, opts: CondConv1dOptions): Tensor {
  const op = 'condConv1d';
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `opts must be an object, got ${String(opts)}`);
  checkInputs(op, [x, experts, routing], ['x', 'experts', 'routing']);
  if (x.rank !== 3) throw new CondgradError(op, `x must be [B, C, L], got ${fmtShape(x.shape)}`);
  if (experts.rank !== 4) throw new CondgradError(op, `experts must be [K, O, C/groups, k], got ${fmtShape(experts.shape)} (x ${fmtShape(x.shape)})`);
  checkCondCommon(op, x, experts, routing, bias, 1);
  const plan = planCondConv1d(x.shape, experts.shape, opts);
  const { path: _path, ...convOpts } = opts;
  const B = x.shape[0];
  const [K, O, Cg, k] = experts.shape;
  switch (plan.path) {
    case 'fused': {
      const kernels = mixExperts(routing, experts, [B, O, Cg, k]);
      const y = conv1dPerSample(x, kernels, convOpts);
      return bias ? add(y, mixExperts(routing, bias, [B, O, 1])) : y;
    }
    case 'batch1': {
      const kernel = mixExperts(routing, experts, [O, Cg, k]);
      return conv1d(x, kernel, bias ? mixExperts(routing, bias, [O]) : null, convOpts);
    }
    case 'moe': {
      const ys: Tensor[] = [];
      for (let e = 0; e < K; e++) {
        const wk = reshape(slice(experts, [e, 0, 0, 0], [1, O, Cg, k]), [O, Cg, k]);
        const bk = bias ? reshape(slice(bias, [e, 0], [1, O]), [O]) : null;
        ys.push(conv1d(x, wk, bk, convOpts));
      }
      const outL = ys[0].shape[2];
      // [B, K·O, outL] read as [B, K, O·outL]; α_b [1, K] times it sums the experts per sample.
      const stacked = reshape(K === 1 ? ys[0] : concat(ys, 1), [B, K, O * outL]);
      return reshape(matmul(reshape(routing, [B, 1, K]), stacked), [B, O, outL]);
    }
  }
}
