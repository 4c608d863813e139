// Conv1d and DepthwiseConv1d: 1-D convolution layers over [B, C, L] sequences, PyTorch's arguments and default init.

import { CondgradError, checkInt } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import type { Padding1d } from '../../kernels/geometry/conv1d.js';
import { conv1d, depthwiseConv1d } from '../../ops/conv1d.js';
import { biasParam, fanIn, initRng, kaimingUniformParam, type InitOptions } from '../init.js';
import { Module } from '../module.js';
import { type Macs } from '../summary.js';
import { convMacs, convRepr } from './conv2d.js';

/** 1-D conv hyper-parameters shared by Conv1d, DepthwiseConv1d and the 1-D CondConv layers. */
export interface Conv1dLayerOptions extends InitOptions {
  stride?: number;
  /** A number, [left, right], 'same' or 'valid'. Default 0, as in PyTorch. */
  padding?: Padding1d;
  dilation?: number;
  /** Must divide inChannels and outChannels (Conv1d, CondConv1d). Default 1. */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** The 1-D conv geometry a layer keeps. */
export interface Conv1dGeometryOptions {
  stride?: number;
  padding?: Padding1d;
  dilation?: number;
  groups?: number;
}

/** Checks a 1-D kernel size (one integer >= 1) for layer `op`. */
export function kernelSize1d(op: string, kernelSize: number): number {
  if (kernelSize === undefined) throw new CondgradError(op, 'kernelSize is required');
  if (typeof kernelSize !== 'number') throw new CondgradError(op, `kernelSize must be one integer for a 1-D layer, got ${JSON.stringify(kernelSize)}`);
  return checkInt(op, 'kernelSize', kernelSize, 1);
}

/** Validates groups against both channel counts. */
export function groups1d(op: string, inChannels: number, outChannels: number, groups: number | undefined): number {
  const g = checkInt(op, 'groups', groups ?? 1, 1);
  if (inChannels % g !== 0 || outChannels % g !== 0) {
    throw new CondgradError(op, `groups ${g} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
  }
  return g;
}

/** 1-D convolution. x: [B, inChannels, L] → [B, outChannels, oL]; weight [out, in/groups, k], bias [out]. */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly opts: Readonly<Conv1dGeometryOptions>;
  weight!: Tensor;
  bias!: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, opts: Conv1dLayerOptions = {}) {
    super();
    const op = 'Conv1d';
    this.inChannels = checkInt(op, 'inChannels', inChannels, 1);
    this.outChannels = checkInt(op, 'outChannels', outChannels, 1);
    this.kernelSize = kernelSize1d(op, kernelSize);
    const groups = groups1d(op, inChannels, outChannels, opts.groups);
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups });
    const rng = initRng(opts);
    const shape = [outChannels, inChannels / groups, this.kernelSize];
    this.registerParameter('weight', kaimingUniformParam(shape, rng, opts));
    this.registerParameter('bias', (opts.bias ?? true) ? biasParam([outChannels], fanIn(shape), rng, opts) : null);
  }

  override forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.opts);
  }

  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Macs {
    return { conv: convMacs(outputShape, fanIn(this.weight.shape)) };
  }

  override extraRepr(): string {
    const extra = convRepr(this.opts);
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}

export interface DepthwiseConv1dOptions extends Omit<Conv1dLayerOptions, 'groups'> {
  /** Filters per input channel (default 1). */
  multiplier?: number;
}

/**
 * Depthwise 1-D convolution. x: [B, channels, L] → [B, channels·multiplier, oL]; weight
 * [channels·multiplier, 1, k] (fan-in k), bias [channels·multiplier].
 */
export class DepthwiseConv1d extends Module {
  readonly channels: number;
  readonly multiplier: number;
  readonly kernelSize: number;
  readonly opts: Readonly<Conv1dGeometryOptions>;
  weight!: Tensor;
  bias!: Tensor | null;

  constructor(channels: number, kernelSize: number, opts: DepthwiseConv1dOptions = {}) {
    super();
    const op = 'DepthwiseConv1d';
    this.channels = checkInt(op, 'channels', channels, 1);
    this.multiplier = checkInt(op, 'multiplier', opts.multiplier ?? 1, 1);
    this.kernelSize = kernelSize1d(op, kernelSize);
    this.opts = Object.freeze({ stride: opts.stride, padding: opts.padding, dilation: opts.dilation });
    const rng = initRng(opts);
    const shape = [channels * this.multiplier, 1, this.kernelSize];
    this.registerParameter('weight', kaimingUniformParam(shape, rng, opts));
    this.registerParameter('bias', (opts.bias ?? true) ? biasParam([shape[0]], fanIn(shape), rng, opts) : null);
  }

  override forward(x: Tensor): Tensor {
    return depthwiseConv1d(x, this.weight, this.bias, this.opts);
  }

  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Macs {
    return { conv: convMacs(outputShape, fanIn(this.weight.shape)) };
  }

  override extraRepr(): string {
    const extra = convRepr(this.opts);
    return `${this.channels}, kernelSize=${this.kernelSize}, multiplier=${this.multiplier}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}
