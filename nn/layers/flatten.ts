// Flatten: merges every dim from startDim on into one (default keeps the batch dim).

import type { Tensor } from '../../core/tensor.js';
import { flatten } from '../../ops/shape.js';
import { Module } from '../module.js';

/** x: [B, d1, d2, ...] → [B, d1·d2·...] (for startDim 1). */
export class Flatten extends Module {
  readonly startDim: number;

  constructor(startDim = 1) {
    super();
    this.startDim = startDim;
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}`;
  }
}
