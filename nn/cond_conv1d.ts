// 1-D CondConv layers: CondConv1d and DepthwiseCondConv1d over [B, C, L] sequences, with the same routers (owned or shared) as the 2-D layers.

import { checkInt } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { condConv1d } from '../ops/cond_conv1d.js';
import { CondConvBase, type CondLayerOptions } from './cond_conv.js';
import { convRepr } from './layers/conv2d.js';
import { groups1d, kernelSize1d, type Conv1dGeometryOptions, type Conv1dLayerOptions } from './layers/conv1d.js';

export interface CondConv1dLayerOptions extends Conv1dLayerOptions, CondLayerOptions {}

/**
 * Conditionally parameterized 1-D convolution: y[b] = conv1d(x[b], Σ_k α_bk W_k) + Σ_k α_bk b_k.
 * x: [B, inChannels, L] → [B, outChannels, oL]. experts [K, out, in/groups, k], each expert
 * initialised at its own fan-in (in/groups·k); bias [K, out]. The router averages x over its
 * length (or pass a shared router's α to forward).
 */
export class CondConv1d extends CondConvBase<number, Conv1dGeometryOptions> {
  readonly inChannels: number;
  readonly outChannels: number;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: CondConv1dLayerOptions = {}) {
    const op = 'CondConv1d';
    checkInt(op, 'inChannels', inChannels, 1);
    checkInt(op, 'outChannels', outChannels, 1);
    const groups = groups1d(op, inChannels, outChannels, opts.groups);
    const k = kernelSize1d(op, kernelSize);
    super(op, inChannels, [outChannels, inChannels / groups, k], k, { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups }, opts);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
  }

  protected override convolve(x: Tensor, alpha: Tensor): Tensor {
    return condConv1d(x, this.experts, alpha, this.bias, { ...this.opts, path: this.path });
  }

  override extraRepr(): string {
    const extra = convRepr(this.opts);
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, numExperts=${this.numExperts}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}

export interface DepthwiseCondConv1dOptions extends Omit<Conv1dLayerOptions, 'groups'>, CondLayerOptions {
  /** Filters per input channel (default 1). */
  multiplier?: number;
}

/**
 * Depthwise 1-D CondConv (groups = channels). x: [B, channels, L] → [B, channels·multiplier, oL];
 * experts [K, channels·multiplier, 1, k] (fan-in k each), bias [K, channels·multiplier].
 */
export class DepthwiseCondConv1d extends CondConvBase<number, Conv1dGeometryOptions> {
  readonly channels: number;
  readonly multiplier: number;

  constructor(channels: number, kernelSize: number, opts: DepthwiseCondConv1dOptions = {}) {
    const op = 'DepthwiseCondConv1d';
    checkInt(op, 'channels', channels, 1);
    const m = checkInt(op, 'multiplier', opts.multiplier ?? 1, 1);
    const k = kernelSize1d(op, kernelSize);
    super(op, channels, [channels * m, 1, k], k, { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups: channels }, opts);
    this.channels = channels;
    this.multiplier = m;
  }

  protected override convolve(x: Tensor, alpha: Tensor): Tensor {
    return condConv1d(x, this.experts, alpha, this.bias, { ...this.opts, path: this.path });
  }

  override extraRepr(): string {
    const extra = convRepr({ ...this.opts, groups: 1 });
    return `${this.channels}, kernelSize=${this.kernelSize}, multiplier=${this.multiplier}, numExperts=${this.numExperts}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}
