// Dropout: zeroes activations with probability p in training (scaling the rest by 1/(1−p)); identity in eval.

import { CondgradError, checkOptions } from '../../core/errors.js';
import { Rng, defaultRng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { dropout } from '../../ops/dropout.js';
import { Module } from '../module.js';

export interface DropoutLayerOptions {
  /** Generator for the masks; default a generator seeded with `seed`, else the global one. */
  rng?: Rng;
  seed?: number;
}

/** Inverted dropout. x: any shape → same shape. `rng` is public, so a mask sequence can be replayed. */
export class Dropout extends Module {
  readonly p: number;
  rng: Rng;

  constructor(p = 0.5, opts: DropoutLayerOptions = {}) {
    super();
    opts = checkOptions('Dropout', opts);
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new CondgradError('Dropout', `p must be in [0, 1), got ${String(p)}`);
    this.p = p;
    this.rng = opts.rng ?? (opts.seed !== undefined ? new Rng(opts.seed) : defaultRng());
  }

  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, rng: this.rng });
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }

  /** A fresh mask generator (stream 5). */
  override reseed(seedOf: (stream: number) => number): void {
    this.rng = new Rng(seedOf(5));
  }
}
