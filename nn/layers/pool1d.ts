// 1-D pooling layers over length: MaxPool1d, AvgPool1d, AdaptiveAvgPool1d and GlobalAvgPool1d (PyTorch's names and defaults).

import { checkInt } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { Padding1d } from '../../kernels/geometry/conv1d.js';
import { adaptiveAvgPool1d, avgPool1d, globalAvgPool1d, maxPool1d } from '../../ops/pool1d.js';
import { Module } from '../module.js';
import { type Macs } from '../summary.js';
import { kernelSize1d } from './conv1d.js';

export interface Pool1dLayerOptions {
  /** Default: kernelSize, as in PyTorch. */
  stride?: number;
  /** Default 0; a number, [left, right], 'same' or 'valid', each side smaller than the kernel. */
  padding?: Padding1d;
}

/** Max pooling over length. x: [B, C, L] → [B, C, oL]. */
export class MaxPool1d extends Module {
  readonly kernelSize: number;
  readonly opts: Readonly<Pool1dLayerOptions>;

  constructor(kernelSize: number, opts: Pool1dLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize1d('MaxPool1d', kernelSize);
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding });
  }

  override forward(x: Tensor): Tensor {
    return maxPool1d(x, { kernelSize: this.kernelSize, ...this.opts });
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}${this.opts.stride !== undefined ? `, stride=${this.opts.stride}` : ''}`;
  }
}

export interface AvgPool1dLayerOptions extends Pool1dLayerOptions {
  /** Divide by the full window including padding (default true, as in PyTorch). */
  countIncludePad?: boolean;
}

/** Average pooling over length. x: [B, C, L] → [B, C, oL]; one MAC per window cell read. */
export class AvgPool1d extends Module {
  readonly kernelSize: number;
  readonly opts: Readonly<AvgPool1dLayerOptions>;

  constructor(kernelSize: number, opts: AvgPool1dLayerOptions = {}) {
    super();
    this.kernelSize = kernelSize1d('AvgPool1d', kernelSize);
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding, countIncludePad: opts.countIncludePad });
  }

  override forward(x: Tensor): Tensor {
    return avgPool1d(x, { kernelSize: this.kernelSize, ...this.opts });
  }

  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Macs {
    return { pool: outputShape.reduce((a, b) => a * b, 1) * this.kernelSize };
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}${this.opts.stride !== undefined ? `, stride=${this.opts.stride}` : ''}`;
  }
}

/** Adaptive average pooling to `outputSize` cells (PyTorch's windows). x: [B, C, L] → [B, C, outputSize]. */
export class AdaptiveAvgPool1d extends Module {
  readonly outputSize: number;

  constructor(outputSize: number) {
    super();
    this.outputSize = checkInt('AdaptiveAvgPool1d', 'outputSize', outputSize, 1);
  }

  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }

  override macs(inputShape: readonly number[]): Macs {
    return { pool: inputShape.reduce((a, b) => a * b, 1) };
  }

  override extraRepr(): string {
    return `outputSize=${this.outputSize}`;
  }
}

/** Mean over the length. x: [B, C, L] → [B, C] (AdaptiveAvgPool1d(1) followed by a flatten); one MAC per input element. */
export class GlobalAvgPool1d extends Module {
  override forward(x: Tensor): Tensor {
    return globalAvgPool1d(x);
  }

  override macs(inputShape: readonly number[]): Macs {
    return { pool: inputShape.reduce((a, b) => a * b, 1) };
  }
}
