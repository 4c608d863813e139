// CondConv layers: CondConv2d and DepthwiseCondConv2d — K expert kernels mixed per sample by a (possibly shared) router.

import { CondgradError, checkInt, checkOptions, checkTensor } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import type { Conv2dOptions, Pair } from '../kernels/geometry/conv.js';
import { condConv2d } from '../ops/cond_conv.js';
import { checkPath, type CondPathOption } from '../ops/cond_plan.js';
import { biasParam, expertsParam, fanIn, initRng, type InitOptions } from './init.js';
import { convMacs, convRepr, kernelPair, type ConvLayerOptions } from './layers/conv2d.js';
import { Module } from './module.js';
import { createRouter, Router, type RouterOptions } from './router.js';

/** What every CondConv layer accepts besides its conv hyper-parameters. */
export interface CondLayerOptions extends InitOptions {
  /** K, the number of expert kernels (default 4). */
  numExperts?: number;
  /**
   * A Router instance to share (its α is computed once per block; pass it to forward as
   * `routing`), or options for a router this layer owns and runs on its own input (default:
   * a sigmoid router, as CondConv).
   */
  router?: Router | RouterOptions;
  /** How to compute the op: 'fused', 'moe', 'batch1' or 'auto' (default; see planCondConv). */
  path?: CondPathOption;
}

/** Validates K and resolves the layer's router (shared or owned). */
export function resolveRouter(op: string, inChannels: number, numExperts: number, opts: CondLayerOptions, rngOpts: InitOptions): Router {
  const r = opts.router;
  if (r instanceof Router) {
    if (r.numExperts !== numExperts) throw new CondgradError(op, `shared router has ${r.numExperts} experts but the layer has numExperts ${numExperts}`);
    return r;
  }
  if (r !== undefined && (r === null || typeof r !== 'object')) throw new CondgradError(op, `router must be a Router or router options, got ${String(r)}`);
  // The router's own seed/rng, if given, wins over the layer's generator.
  const own = r !== undefined && (r.rng !== undefined || r.seed !== undefined);
  return createRouter(inChannels, numExperts, { ...rngOpts, ...(own ? { rng: undefined } : {}), ...(r ?? {}) });
}

/** MACs of a CondConv call per the fused formulation: kernel mixing B·K·(|W| + O) and the conv B·O·oH·oW·|W|/O. */
export function condMacs(experts: Tensor, bias: Tensor | null, outputShape: readonly number[], mainKey: 'conv' | 'linear'): Record<string, number> {
  const B = outputShape[0];
  const [K, O] = experts.shape;
  const perExpert = experts.size / K;
  const mixing = B * K * (perExpert + (bias === null ? 0 : O));
  return { mixing, [mainKey]: convMacs(outputShape, fanIn(experts.shape.slice(1))) };
}

/**
 * What every CondConv layer shares: K experts, a bias [K, O], a (possibly shared) router and the
 * path; the subclasses (2-D and 1-D) say how to convolve with the routing weights.
 */
export abstract class CondConvBase<KS extends number | readonly number[] = [number, number], G extends object = Conv2dOptions> extends Module {
  readonly numExperts: number;
  readonly kernelSize: KS;
  readonly path: CondPathOption;
  readonly opts: Readonly<G>;
  experts!: Tensor;
  bias!: Tensor | null;
  router!: Router;

  protected constructor(
    op: string,
    inChannels: number,
    expertShape: readonly number[],
    kernelSize: KS,
    geometry: G,
    opts: CondLayerOptions & { bias?: boolean },
  ) {
    super();
    this.numExperts = checkInt(op, 'numExperts', opts.numExperts ?? 4, 1);
    this.kernelSize = kernelSize;
    this.path = checkPath(op, opts.path ?? 'auto');
    this.opts = Object.freeze(geometry);
    const rng = initRng(opts);
    const init = { dtype: opts.dtype, backend: opts.backend };
    this.registerParameter('experts', expertsParam(this.numExperts, expertShape, rng, init));
    this.registerParameter('bias', (opts.bias ?? true) ? biasParam([this.numExperts, expertShape[0]], fanIn(expertShape), rng, init) : null);
    this.registerModule('router', resolveRouter(op, inChannels, this.numExperts, opts, { ...init, rng }));
  }

  /** The CondConv op of this layer's dimensionality, with α [B, K]. */
  protected abstract convolve(x: Tensor, alpha: Tensor): Tensor;

  /**
   * x: [B, C, H, W] → [B, O, oH, oW] (1-D layers: [B, C, L] → [B, O, oL]). `routing` [B, K] is
   * the α of a shared router computed on the block input; without it this layer's router routes x.
   */
  override forward(x: Tensor, routing?: Tensor): Tensor {
    checkTensor(this.typeName, 'x', x);
    return this.convolve(x, routing ?? this.router.forward(x));
  }

  /** Kernel mixing and conv counted apart; the router's MACs are its own row. */
  override macs(_inputShape: readonly number[], outputShape: readonly number[]): Record<string, number> {
    return condMacs(this.experts, this.bias, outputShape, 'conv');
  }
}

export interface CondConv2dLayerOptions extends ConvLayerOptions, CondLayerOptions {
  /** Must divide inChannels and outChannels (default 1). */
  groups?: number;
}

/**
 * Conditionally parameterized convolution: y[b] = conv2d(x[b], Σ_k α_bk W_k) + Σ_k α_bk b_k.
 * x: [B, inChannels, H, W] → [B, outChannels, oH, oW]. experts [K, out, in/groups, kH, kW], each
 * expert initialised at its own fan-in (in/groups·kH·kW); bias [K, out].
 */
export class CondConv2d extends CondConvBase {
  readonly inChannels: number;
  readonly outChannels: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: CondConv2dLayerOptions = {}) {
    const op = 'CondConv2d';
    opts = checkOptions(op, opts);
    checkInt(op, 'inChannels', inChannels, 1);
    checkInt(op, 'outChannels', outChannels, 1);
    const groups = checkInt(op, 'groups', opts.groups ?? 1, 1);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new CondgradError(op, `groups ${groups} must divide inChannels ${inChannels} and outChannels ${outChannels}`);
    }
    const k = kernelPair(op, kernelSize);
    super(op, inChannels, [outChannels, inChannels / groups, ...k], k, { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups }, opts);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
  }

  protected override convolve(x: Tensor, alpha: Tensor): Tensor {
    return condConv2d(x, this.experts, alpha, this.bias, { ...this.opts, path: this.path });
  }

  override extraRepr(): string {
    const extra = convRepr(this.opts);
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${JSON.stringify(this.kernelSize)}, numExperts=${this.numExperts}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}

export interface DepthwiseCondConv2dOptions extends ConvLayerOptions, CondLayerOptions {
  /** Filters per input channel (default 1). */
  multiplier?: number;
}

/**
 * Depthwise CondConv (groups = channels). x: [B, channels, H, W] → [B, channels·multiplier, oH, oW];
 * experts [K, channels·multiplier, 1, kH, kW] (fan-in kH·kW each), bias [K, channels·multiplier].
 */
export class DepthwiseCondConv2d extends CondConvBase {
  readonly channels: number;
  readonly multiplier: number;

  constructor(channels: number, kernelSize: Pair, opts: DepthwiseCondConv2dOptions = {}) {
    const op = 'DepthwiseCondConv2d';
    opts = checkOptions(op, opts);
    checkInt(op, 'channels', channels, 1);
    const m = checkInt(op, 'multiplier', opts.multiplier ?? 1, 1);
    const k = kernelPair(op, kernelSize);
    super(op, channels, [channels * m, 1, ...k], k, { stride: opts.stride, padding: opts.padding, dilation: opts.dilation, groups: channels }, opts);
    this.channels = channels;
    this.multiplier = m;
  }

  protected override convolve(x: Tensor, alpha: Tensor): Tensor {
    return condConv2d(x, this.experts, alpha, this.bias, { ...this.opts, path: this.path });
  }

  override extraRepr(): string {
    const extra = convRepr({ ...this.opts, groups: 1 });
    return `${this.channels}, kernelSize=${JSON.stringify(this.kernelSize)}, multiplier=${this.multiplier}, numExperts=${this.numExperts}${extra ? `, ${extra}` : ''}, bias=${this.bias !== null}`;
  }
}
