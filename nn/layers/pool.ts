// Pooling layers: MaxPool2d, AvgPool2d and GlobalAvgPool2d.

import { checkOptions } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { Pair, Padding } from '../../kernels/geometry/conv.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../ops/pool.js';
import { Module } from '../module.js';
import { type Macs } from '../summary.js';
import { kernelPair } from './conv2d.js';

export interface PoolLayerOptions {
  /** Default: kernelSize. */
  stride?: Pair;
  padding?: Padding;
}

/** Max pooling. x: [B, C, H, W] → [B, C, oH, oW]. */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly opts: Readonly<PoolLayerOptions>;

  constructor(kernelSize: Pair, opts: PoolLayerOptions = {}) {
    super();
    opts = checkOptions('MaxPool2d', opts);
    this.kernelSize = kernelPair('MaxPool2d', kernelSize);
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding });
  }

  override forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, ...this.opts });
  }

  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}`;
  }
}

export interface AvgPoolLayerOptions extends PoolLayerOptions {
  /** Divide by the full window including padding (default true, as in PyTorch). */
  countIncludePad?: boolean;
}

/** Average pooling. x: [B, C, H, W] → [B, C, oH, oW]; one MAC per window cell read. */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly opts: Readonly<AvgPoolLayerOptions>;

  constructor(kernelSize: Pair, opts: AvgPoolLayerOptions = {}) {
    super();
    opts = checkOptions('AvgPool2d', opts);
    this.kernelSize = kernelPair('AvgPool2d', kernelSize);
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding, countIncludePad: opts.countIncludePad });
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(x, { kernelSize: this.kernelSize, ...this.opts });
  }

  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Macs {
    return { pool: outputShape.reduce((a, b) => a * b, 1) * this.kernelSize[0] * this.kernelSize[1] };
  }

  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}`;
  }
}

/** Mean over the spatial dims. x: [B, C, H, W] → [B, C]; one MAC per input element. */
export class GlobalAvgPool2d extends Module {
  override forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }

  override macs(inputShape: readonly number[]): Macs {
    return { pool: inputShape.reduce((a, b) => a * b, 1) };
  }
}
