// CondLinear: the conditionally parameterized fully connected layer (K expert matrices mixed per sample).

import { CondgradError, checkInt, fmtShape, checkOptions, checkTensor } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { condLinear } from '../ops/cond_conv.js';
import { checkPath, type CondPathOption } from '../ops/cond_plan.js';
import { biasParam, expertsParam, initRng } from './init.js';
import { condMacs, resolveRouter, type CondLayerOptions } from './cond_conv.js';
import { Module } from './module.js';
import type { Router } from './router.js';

export interface CondLinearOptions extends CondLayerOptions {
  /** Learn per-expert biases [K, out] (default true). */
  bias?: boolean;
}

/**
 * y[b] = (Σ_k α_bk W_k) x[b] + Σ_k α_bk b_k. x: [B, inFeatures] → [B, outFeatures]; experts
 * [K, out, in] (each at fan-in `in`), bias [K, out]. The owned router reads x directly (no pooling).
 */
export class CondLinear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly numExperts: number;
  readonly path: CondPathOption;
  experts!: Tensor;
  bias!: Tensor | null;
  router!: Router;

  constructor(inFeatures: number, outFeatures: number, opts: CondLinearOptions = {}) {
    super();
    const op = 'CondLinear';
    opts = checkOptions(op, opts);
    this.inFeatures = checkInt(op, 'inFeatures', inFeatures, 1);
    this.outFeatures = checkInt(op, 'outFeatures', outFeatures, 1);
    this.numExperts = checkInt(op, 'numExperts', opts.numExperts ?? 4, 1);
    this.path = checkPath(op, opts.path ?? 'auto');
    const rng = initRng(opts);
    const init = { dtype: opts.dtype, backend: opts.backend };
    this.registerParameter('experts', expertsParam(this.numExperts, [outFeatures, inFeatures], rng, init));
    this.registerParameter('bias', (opts.bias ?? true) ? biasParam([this.numExperts, outFeatures], inFeatures, rng, init) : null);
    this.registerModule('router', resolveRouter(op, inFeatures, this.numExperts, opts, { ...init, rng }));
  }

  /** x: [B, in] → [B, out]; `routing` [B, K] from a shared router, else this layer's router routes x. */
  override forward(x: Tensor, routing?: Tensor): Tensor {
    checkTensor('CondLinear', 'x', x);
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) throw new CondgradError('CondLinear', `x must be [B, ${this.inFeatures}], got ${fmtShape(x.shape)}`);
    const alpha = routing ?? this.router.forward(x);
    return condLinear(x, this.experts, alpha, this.bias, { path: this.path });
  }

  /** Kernel mixing B·K·(out·in + out) and the product B·out·in. */
  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Record<string, number> {
    return condMacs(this.experts, this.bias, [...outputShape, 1, 1], 'linear');
  }

  override extraRepr(): string {
    return `${this.inFeatures}, ${this.outFeatures}, numExperts=${this.numExperts}, bias=${this.bias !== null}`;
  }
}
