// CondConv: conditionally parameterized convolution and linear layers (per-sample kernels W_b = Σ_k α_bk W_k), on three interchangeable paths.

import { CondgradError, fmtShape } from '../core/errors.js';
import { traceComposite } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';
import { add } from './arithmetic.js';
import { checkCondShapes, checkCondTensors } from './cond_checks.js';
import { mixChecked } from './cond_mix.js';
import { condConvPlan, planCondLinear, type CondConv2dOptions, type CondPathOptions } from './cond_plan.js';
import { conv2d, conv2dPerSampleChecked } from './conv.js';
import { perSampleGeometry } from '../kernels/geometry/conv.js';
import { matmul } from './matmul.js';
import { concat, reshape, slice } from './shape.js';

/**
 * Conditionally parameterized convolution (CondConv, timm layout):
 *   y[b] = conv2d(x[b], Σ_k α_bk W_k) + Σ_k α_bk bias_k
 * Depthwise is groups = C with experts [K, C·m, 1, kH, kW]. Paths (`opts.path`, all equal up to
 * rounding; 'auto' asks planCondConv's cost model):
 * - 'fused': one [B,K]×[K,|W|] matmul mixes every sample's kernel, then ONE per-sample conv pass
 *   over the whole batch; K copies of the activations are never made. The backward falls out of
 *   the tape in closed form: dx flows through the per-sample kernels
 *   (conv2dBackwardInput), dW_b [B, |W|] comes per sample from conv2dBackwardFilter, then the
 *   mixing matmul gives dExperts_k = Σ_b α_bk dW_b and dα_bk = ⟨dW_b, W_k⟩ (bias likewise with
 *   dBias_k = Σ_b α_bk Σ_hw dy_b and dα_bk += ⟨Σ_hw dy_b, bias_k⟩). Extra memory is O(B·|W|)
 *   (the mixed kernels forward, their gradient backward) plus the K·|W| experts' gradient;
 *   nothing else scales with K.
 * - 'moe': K ordinary conv2d passes y_k = conv2d(x, W_k) + bias_k, mixed as Σ_k α_bk y_k
 *   (K activation-sized buffers; cheaper only where outputs are 1×1 and |W| > K·O).
 * - 'batch1': B = 1 only: mix one kernel and run the plain conv kernel.
 * @param x [B, C, H, W]
 * @param experts [K, O, C/groups, kH, kW]
 * @param routing [B, K] (the α_bk, e.g. sigmoid of a router's logits)
 * @param bias [K, O] or null
 * @param opts conv options (stride, padding, dilation, groups) and `path`
 * @returns [B, O, outH, outW]
 */
export function condConv2d(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null = null, opts: CondConv2dOptions = {}): Tensor {
  // Traced (for export) as one op, computed on the fused path whatever path was asked for.
  return traceComposite('condConv2d', [x, experts, routing, bias], opts, (tracing) =>
    condConv2dOn(x, experts, routing, bias, tracing ? forceFused(opts) : opts),
  );
}

/** The options with path 'fused' (left alone when they are not an object, so the usual error names them). */
const forceFused = <T extends CondPathOptions>(opts: T): T => (opts !== null && typeof opts === 'object' ? { ...opts, path: 'fused' } : opts);

function condConv2dOn(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, opts: CondConv2dOptions): Tensor {
  const op = 'condConv2d';
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `opts must be an object, got ${String(opts)}`);
  // Validated once here: the tensors, the shapes, and (in the plan) the conv geometry, which the
  // fused path hands to the per-sample conv instead of deriving it again.
  checkCondTensors(op, x, experts, routing, bias);
  if (x.rank !== 4) throw new CondgradError(op, `x must be [B, C, H, W], got ${fmtShape(x.shape)}`);
  if (experts.rank !== 5) throw new CondgradError(op, `experts must be [K, O, C/groups, kH, kW], got ${fmtShape(experts.shape)} (x ${fmtShape(x.shape)})`);
  checkCondShapes(op, x, experts, routing, bias, 1);
  const { plan, g } = condConvPlan(x.shape, experts.shape, opts);
  const B = x.shape[0];
  const [K, O, Cg, kH, kW] = experts.shape;
  switch (plan.path) {
    case 'fused': {
      const kernels = mixChecked(routing, experts, [B, O, Cg, kH, kW]);
      const y = conv2dPerSampleChecked(x, kernels, perSampleGeometry(g));
      return bias ? add(y, mixChecked(routing, bias, [B, O, 1, 1])) : y;
    }
    case 'batch1': {
      const { path: _path, ...convOpts } = opts;
      const kernel = mixChecked(routing, experts, [O, Cg, kH, kW]);
      return conv2d(x, kernel, bias ? mixChecked(routing, bias, [O]) : null, convOpts);
    }
    case 'moe': {
      const { path: _path, ...convOpts } = opts;
      const ys: Tensor[] = [];
      for (let k = 0; k < K; k++) {
        const wk = reshape(slice(experts, [k, 0, 0, 0, 0], [1, O, Cg, kH, kW]), [O, Cg, kH, kW]);
        const bk = bias ? reshape(slice(bias, [k, 0], [1, O]), [O]) : null;
        ys.push(conv2d(x, wk, bk, convOpts));
      }
      const [, , oh, ow] = ys[0].shape;
      // [B, K·O, oh, ow] read as [B, K, O·oh·ow]; α_b [1, K] times it sums the experts per sample.
      const stacked = reshape(K === 1 ? ys[0] : concat(ys, 1), [B, K, O * oh * ow]);
      return reshape(matmul(reshape(routing, [B, 1, K]), stacked), [B, O, oh, ow]);
    }
  }
}

/**
 * Conditionally parameterized linear layer: y[b] = (Σ_k α_bk W_k) x[b] + Σ_k α_bk bias_k.
 * Paths as for condConv2d: 'fused' mixes [B, out, in] kernels and runs B matrix-vector
 * products; 'moe' runs one [B,in]×[in,K·out] matmul and mixes the K outputs; 'batch1' (B = 1)
 * mixes once and runs a plain matmul. 'auto' asks planCondLinear.
 * @param x [B, in]
 * @param experts [K, out, in]
 * @param routing [B, K]
 * @param bias [K, out] or null
 * @returns [B, out]
 */
export function condLinear(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null = null, opts: CondPathOptions = {}): Tensor {
  return traceComposite('condLinear', [x, experts, routing, bias], opts, (tracing) =>
    condLinearOn(x, experts, routing, bias, tracing ? forceFused(opts) : opts),
  );
}

function condLinearOn(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, opts: CondPathOptions): Tensor {
  const op = 'condLinear';
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `opts must be an object, got ${String(opts)}`);
  checkCondTensors(op, x, experts, routing, bias);
  if (x.rank !== 2) throw new CondgradError(op, `x must be [B, in], got ${fmtShape(x.shape)}`);
  if (experts.rank !== 3 || experts.shape[2] !== x.shape[1]) {
    throw new CondgradError(op, `experts must be [K, out, in] with in = ${x.shape[1]}, got ${fmtShape(experts.shape)} (x ${fmtShape(x.shape)})`);
  }
  checkCondShapes(op, x, experts, routing, bias, 1);
  const plan = planCondLinear(x.shape, experts.shape, opts);
  const [B, inF] = x.shape;
  const [K, out] = experts.shape;
  switch (plan.path) {
    case 'fused': {
      const kernels = mixChecked(routing, experts, [B, out, inF]);
      const y = reshape(matmul(kernels, reshape(x, [B, inF, 1])), [B, out]);
      return bias ? add(y, mixChecked(routing, bias, [B, out])) : y;
    }
    case 'batch1': {
      const y = matmul(x, mixChecked(routing, experts, [out, inF]), { transB: true });
      return bias ? add(y, mixChecked(routing, bias, [out])) : y;
    }
    case 'moe': {
      let z = matmul(x, reshape(experts, [K * out, inF]), { transB: true });
      if (bias) z = add(z, reshape(bias, [K * out]));
      return reshape(matmul(reshape(routing, [B, 1, K]), reshape(z, [B, K, out])), [B, out]);
    }
  }
}
