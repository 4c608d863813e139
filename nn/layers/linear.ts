// Linear: the fully connected layer y = x Wᵀ + b, with PyTorch's default init.

import { CondgradError, checkInt, fmtShape, checkOptions, checkTensor } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { add } from '../../ops/arithmetic.js';
import { matmul } from '../../ops/matmul.js';
import { reshape } from '../../ops/shape.js';
import { biasParam, initRng, kaimingUniformParam, type InitOptions } from '../init.js';
import { Module } from '../module.js';
import { type Macs } from '../summary.js';

export interface LinearOptions extends InitOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** y = x Wᵀ + b. x: [..., inFeatures] → [..., outFeatures]; weight [out, in], bias [out]. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight!: Tensor;
  bias!: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    opts = checkOptions('Linear', opts);
    this.inFeatures = checkInt('Linear', 'inFeatures', inFeatures, 1);
    this.outFeatures = checkInt('Linear', 'outFeatures', outFeatures, 1);
    const rng = initRng(opts);
    this.registerParameter('weight', kaimingUniformParam([outFeatures, inFeatures], rng, opts));
    this.registerParameter('bias', (opts.bias ?? true) ? biasParam([outFeatures], inFeatures, rng, opts) : null);
  }

  override forward(x: Tensor): Tensor {
    checkTensor('Linear', 'x', x);
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new CondgradError('Linear', `x must be [..., ${this.inFeatures}], got ${fmtShape(x.shape)}`);
    }
    const x2 = x.rank === 1 ? reshape(x, [1, this.inFeatures]) : x;
    let y = matmul(x2, this.weight, { transB: true });
    if (this.bias !== null) y = add(y, this.bias);
    return x.rank === 1 ? reshape(y, [this.outFeatures]) : y;
  }

  override macs(inputShape: readonly number[]): Macs {
    return { linear: inputShape.reduce((a, b) => a * b, 1) * this.outFeatures };
  }

  override extraRepr(): string {
    return `${this.inFeatures}, ${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
