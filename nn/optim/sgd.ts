// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's torch.optim.SGD).

import { CondgradError, checkOptions } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { add, affine } from '../../ops/arithmetic.js';
import { checkHyper, Optimizer, type Hyper } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g ← g + weightDecay·p. */
  weightDecay?: number;
}

/**
 * SGD with PyTorch's update, per parameter p with gradient g (any shape):
 *   g ← g + wd·p;  b ← g on the first step, else b ← μ·b + (1−dampening)·g;
 *   g ← g + μ·b (Nesterov) or g ← b;  p ← p − lr·g.
 */
export class SGD extends Optimizer {
  readonly kind = 'sgd';
  momentum = 0;
  dampening = 0;
  nesterov = false;
  weightDecay = 0;

  constructor(params: Iterable<Tensor>, opts: SGDOptions = {}) {
    super('SGD', params, checkOptions('SGD', opts).lr ?? 0.01);
    this.applyHyper({ momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, nesterov: opts.nesterov ?? false, weightDecay: opts.weightDecay ?? 0 });
  }

  protected hyper(): Hyper {
    return { momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  protected applyHyper(h: Hyper): void {
    const momentum = checkHyper('SGD', 'momentum', h.momentum, 0);
    const dampening = checkHyper('SGD', 'dampening', h.dampening, 0, 1);
    const weightDecay = checkHyper('SGD', 'weightDecay', h.weightDecay, 0);
    const nesterov = h.nesterov === true;
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new CondgradError('SGD', `nesterov needs momentum > 0 and dampening 0, got momentum=${momentum} dampening=${dampening}`);
    }
    Object.assign(this, { momentum, dampening, nesterov, weightDecay });
  }

  protected update(p: Tensor, grad: Tensor, i: number): Tensor {
    let g = this.weightDecay !== 0 ? add(grad, affine(p, this.weightDecay)) : grad;
    if (this.momentum !== 0) {
      if (!this.hasBuffer(i, 'momentum_buffer')) {
        this.setBuffer(i, 'momentum_buffer', g.detach());
      } else {
        const b = this.buffer(i, 'momentum_buffer');
        this.setBuffer(i, 'momentum_buffer', add(affine(b, this.momentum), affine(g, 1 - this.dampening)));
      }
      const b = this.buffer(i, 'momentum_buffer');
      g = this.nesterov ? add(g, affine(b, this.momentum)) : b;
    }
    return add(p, affine(g, -this.lr));
  }
}
