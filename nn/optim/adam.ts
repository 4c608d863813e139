// Adam with L2 weight decay and AdamW with decoupled weight decay (PyTorch's torch.optim.Adam / AdamW).

import { CondgradError, checkOptions } from '../../core/errors.js';
import { profiledKernel } from '../../core/op.js';
import { Tensor } from '../../core/tensor.js';
import { add, affine, div, sqrt, square } from '../../ops/arithmetic.js';
import { checkHyper, Optimizer, type Hyper } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay p ← p·(1 − lr·wd). */
  weightDecay?: number;
}

/**
 * Adam (decoupled = false) and AdamW (decoupled = true), PyTorch's update at step t:
 *   Adam: g ← g + wd·p;  AdamW: p ← p·(1 − lr·wd);
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps).
 */
class AdamBase extends Optimizer {
  readonly kind: 'adam' | 'adamw';
  beta1 = 0.9;
  beta2 = 0.999;
  eps = 1e-8;
  weightDecay = 0;

  constructor(name: 'Adam' | 'AdamW', params: Iterable<Tensor>, opts: AdamOptions, defaultWd: number) {
    super(name, params, checkOptions(name, opts).lr ?? 1e-3);
    this.kind = name === 'Adam' ? 'adam' : 'adamw';
    const betas = opts.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new CondgradError(name, `betas must be [beta1, beta2], got ${JSON.stringify(betas)}`);
    this.applyHyper({ betas, eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? defaultWd });
  }

  protected hyper(): Hyper {
    return { betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay };
  }

  protected applyHyper(h: Hyper): void {
    const op = this.kind === 'adam' ? 'Adam' : 'AdamW';
    const betas = h.betas as number[];
    this.beta1 = checkHyper(op, 'betas[0]', betas?.[0], 0, 1, true);
    this.beta2 = checkHyper(op, 'betas[1]', betas?.[1], 0, 1, true);
    this.eps = checkHyper(op, 'eps', h.eps, 0);
    this.weightDecay = checkHyper(op, 'weightDecay', h.weightDecay, 0);
  }

  protected update(p: Tensor, grad: Tensor, i: number, step: number): Tensor {
    const decoupled = this.kind === 'adamw';
    const be = p.backend;
    if (be.adamStep !== undefined && grad.dtype === p.dtype) {
      // One fused pass (cpu, wasm): the same update as the ops below, without their 12 temporaries.
      const h = { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decoupled, step };
      const m = this.buffer(i, 'exp_avg').storage;
      const v = this.buffer(i, 'exp_avg_sq').storage;
      const [np, nm, nv] = profiledKernel('adamStep', () => be.adamStep!(p.storage, grad.storage, m, v, h));
      this.setBuffer(i, 'exp_avg', new Tensor(nm, p.shape, be));
      this.setBuffer(i, 'exp_avg_sq', new Tensor(nv, p.shape, be));
      return new Tensor(np, p.shape, be);
    }
    let g = grad;
    let base = p;
    if (this.weightDecay !== 0) {
      if (decoupled) base = affine(p, 1 - this.lr * this.weightDecay);
      else g = add(grad, affine(p, this.weightDecay));
    }
    const m = this.buffer(i, 'exp_avg');
    const v = this.buffer(i, 'exp_avg_sq');
    this.setBuffer(i, 'exp_avg', add(affine(m, this.beta1), affine(g, 1 - this.beta1)));
    this.setBuffer(i, 'exp_avg_sq', add(affine(v, this.beta2), affine(square(g), 1 - this.beta2)));
    const bc1 = 1 - Math.pow(this.beta1, step);
    const bc2 = 1 - Math.pow(this.beta2, step);
    const denom = affine(sqrt(v), 1 / Math.sqrt(bc2), this.eps);
    return add(base, affine(div(m, denom), -this.lr / bc1));
  }
}

/** Adam with L2 weight decay folded into the gradient (default weightDecay 0). */
export class Adam extends AdamBase {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super('Adam', params, opts, 0);
  }
}

/** AdamW: Adam with decoupled weight decay (default weightDecay 0.01). */
export class AdamW extends AdamBase {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super('AdamW', params, opts, 0.01);
  }
}
