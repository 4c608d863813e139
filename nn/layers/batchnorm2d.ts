// BatchNorm2d: per-channel batch normalisation with learned scale/shift and running statistics as buffers.

import { checkFinite, checkInt, checkOptions } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { batchNorm2d } from '../../ops/norm.js';
import { constantParam, type InitOptions } from '../init.js';
import { Module } from '../module.js';

export interface BatchNorm2dLayerOptions extends Pick<InitOptions, 'dtype' | 'backend'> {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch statistic in the running update (default 0.1, PyTorch's convention). */
  momentum?: number;
  /** Learn weight (γ, init 1) and bias (β, init 0); default true. */
  affine?: boolean;
}

/**
 * Batch normalisation over (B, H, W). x: [B, numFeatures, H, W] → same shape. Training uses the
 * batch statistics and updates the buffers runningMean (init 0) and runningVar (init 1); eval
 * uses the buffers, so it works at batch 1.
 */
export class BatchNorm2d extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  weight!: Tensor | null;
  bias!: Tensor | null;
  runningMean!: Tensor;
  runningVar!: Tensor;

  constructor(numFeatures: number, opts: BatchNorm2dLayerOptions = {}) {
    super();
    opts = checkOptions('BatchNorm2d', opts);
    this.numFeatures = checkInt('BatchNorm2d', 'numFeatures', numFeatures, 1);
    this.eps = checkFinite('BatchNorm2d', 'eps', opts.eps ?? 1e-5);
    this.momentum = checkFinite('BatchNorm2d', 'momentum', opts.momentum ?? 0.1);
    const affine = opts.affine ?? true;
    this.registerParameter('weight', affine ? constantParam([numFeatures], 1, opts) : null);
    this.registerParameter('bias', affine ? constantParam([numFeatures], 0, opts) : null);
    this.registerBuffer('runningMean', constantParam([numFeatures], 0, opts, false));
    this.registerBuffer('runningVar', constantParam([numFeatures], 1, opts, false));
  }

  override forward(x: Tensor): Tensor {
    return batchNorm2d(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}`;
  }
}
