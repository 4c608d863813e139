// DepthwiseConv2d: one (or `multiplier`) filter per input channel, groups = channels.

import { checkInt, checkOptions } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { Conv2dOptions, Pair } from '../../kernels/geometry/conv.js';
import { depthwiseConv2d } from '../../ops/conv.js';
import { biasParam, fanIn, initRng, kaimingUniformParam } from '../init.js';
import { Module } from '../module.js';
import { type Macs } from '../summary.js';
import { convMacs, convRepr, kernelPair, type ConvLayerOptions } from './conv2d.js';

export interface DepthwiseConv2dOptions extends ConvLayerOptions {
  /** Filters per input channel (default 1). */
  multiplier?: number;
}

/**
 * Depthwise convolution. x: [B, channels, H, W] → [B, channels·multiplier, oH, oW]; weight
 * [channels·multiplier, 1, kH, kW] (fan-in kH·kW), bias [channels·multiplier].
 */
export class DepthwiseConv2d extends Module {
  readonly channels: number;
  readonly multiplier: number;
  readonly kernelSize: [number, number];
  readonly opts: Readonly<Conv2dOptions>;
  weight!: Tensor;
  bias!: Tensor | null;

  constructor(channels: number, kernelSize: Pair, opts: DepthwiseConv2dOptions = {}) {
    super();
    const op = 'DepthwiseConv2d';
    opts = checkOptions(op, opts);
    this.channels = checkInt(op, 'channels', channels, 1);
    this.multiplier = checkInt(op, 'multiplier', opts.multiplier ?? 1, 1);
    this.kernelSize = kernelPair(op, kernelSize);
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding, dilation: opts.dilation });
    const rng = initRng(opts);
    const shape = [channels * this.multiplier, 1, ...this.kernelSize];
    this.registerParameter('weight', kaimingUniformParam(shape, rng, opts));
    this.registerParameter('bias', (opts.bias ?? true) ? biasParam([shape[0]], fanIn(shape), rng, opts) : null);
  }

  override forward(x: Tensor): Tensor {
    const { stride, padding, dilation } = this.opts;
    return depthwiseConv2d(x, this.weight, this.bias, { stride, padding, dilation });
  }

  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Macs {
    return { conv: convMacs(outputShape, fanIn(this.weight.shape)) };
  }

  override extraRepr(): string {
    const extra = convRepr(this.opts);
    return `${this.channels}, kernelSize=${JSON.stringify(this.kernelSize)}, multiplier=${this.multiplier}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}
