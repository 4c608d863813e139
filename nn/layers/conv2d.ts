// Conv2d: the 2-D convolution layer (grouped and dilated), PyTorch's arguments and default init.

import { CondgradError, checkInt, checkOptions } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { pair, type Conv2dOptions, type Pair, type Padding } from '../../kernels/geometry/conv.js';
import { conv2d } from '../../ops/conv.js';
import { biasParam, fanIn, initRng, kaimingUniformParam, type InitOptions } from '../init.js';
import { Module } from '../module.js';
import { type Macs } from '../summary.js';

/** Conv hyper-parameters shared by Conv2d, DepthwiseConv2d and the CondConv layers. */
export interface ConvLayerOptions extends InitOptions {
  stride?: Pair;
  /** A number, [h, w], [top, bottom, left, right], 'same' or 'valid'. Default 0, as in PyTorch. */
  padding?: Padding;
  dilation?: Pair;
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** Resolves a kernel size (a number or [kH, kW]) for layer `op`. */
export function kernelPair(op: string, kernelSize: Pair): [number, number] {
  if (kernelSize === undefined) throw new CondgradError(op, 'kernelSize is required');
  return pair(op, 'kernelSize', kernelSize, 1, 1);
}

/** Multiply-accumulates of a conv producing `outputShape` [B, O, oH, oW] with kernels of `perOutput` = C/g·kH·kW elements. */
export function convMacs(outputShape: readonly number[], perOutput: number): number {
  return outputShape.reduce((a, b) => a * b, 1) * perOutput;
}

/** A short description of stride/padding/dilation/groups for extraRepr. */
export function convRepr(o: Conv2dOptions): string {
  const parts: string[] = [];
  if (o.stride !== undefined) parts.push(`stride=${JSON.stringify(o.stride)}`);
  if (o.padding !== undefined) parts.push(`padding=${JSON.stringify(o.padding)}`);
  if (o.dilation !== undefined) parts.push(`dilation=${JSON.stringify(o.dilation)}`);
  if (o.groups !== undefined && o.groups !== 1) parts.push(`groups=${o.groups}`);
  return parts.join(', ');
}

export interface Conv2dLayerOptions extends ConvLayerOptions {
  /** Must divide inChannels and outChannels. Default 1. */
  groups?: number;
}

/** 2-D convolution. x: [B, inChannels, H, W] → [B, outChannels, oH, oW]; weight [out, in/groups, kH, kW], bias [out]. */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly opts: Readonly<Conv2dOptions>;
  weight!: Tensor;
  bias!: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    const op = 'Conv2d';
    opts = checkOptions(op, opts);
    this.inChannels = checkInt(op, 'inChannels', inChannels, 1);
    this.outChannels = checkInt(op, 'outChannels', outChannels, 1);
    this.kernelSize = kernelPair(op, kernelSize);
    const groups = checkInt(op, 'groups', opts.groups ?? 1, 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new CondgradError(op, `groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups });
    const rng = initRng(opts);
    const shape = [outChannels, inChannels / groups, ...this.kernelSize];
    this.registerParameter('weight', kaimingUniformParam(shape, rng, opts));
    this.registerParameter('bias', (opts.bias ?? true) ? biasParam([outChannels], fanIn(shape), rng, opts) : null);
  }

  override forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.opts;
    return conv2d(x, this.weight, this.bias, { stride, padding, dilation, groups });
  }

  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Macs {
    return { conv: convMacs(outputShape, fanIn(this.weight.shape)) };
  }

  override extraRepr(): string {
    const extra = convRepr(this.opts);
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${JSON.stringify(this.kernelSize)}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}
