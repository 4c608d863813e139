// Shared pieces of the model zoo: the model options, layer builders that swap plain convs for CondConv, and the classifier head.

import { CondgradError, checkInt, checkFinite } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import type { CondPathOption } from '../../ops/cond_plan.js';
import { CondConv2d, DepthwiseCondConv2d } from '../cond_conv.js';
import { CondLinear } from '../cond_linear.js';
import { initRng, type InitOptions } from '../init.js';
import { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise_conv2d.js';
import { Dropout } from '../layers/dropout.js';
import { Linear } from '../layers/linear.js';
import { GlobalAvgPool2d } from '../layers/pool.js';
import { Module } from '../module.js';
import { createRouter, type Router, type RouterKind } from '../router.js';

/** Which stages use CondConv: none, only the last stage, or every stage; the final FC becomes CondLinear unless 'none'. */
export type ConvertMode = 'none' | 'last' | 'all';

export interface ModelOptions extends InitOptions {
  /** Channel multiplier (default 1). */
  width?: number;
  /** K, experts per CondConv layer (default 4). */
  experts?: number;
  /** Which stages use CondConv (default 'last'); the stem stays a plain conv. */
  convert?: ConvertMode;
  /** 'sigmoid' (CondConv, default) or 'softmax' (DynamicConv) routers. */
  routing?: RouterKind;
  inChannels?: number;
  numClasses?: number;
  /** Input height = width (default 28, MNIST). */
  inputSize?: number;
  /** Expert dropout probability of every router (default 0). */
  expertDropout?: number;
  /** CondConv path (default 'auto'). */
  path?: CondPathOption;
  /** Dropout before the classifier (default 0). */
  dropout?: number;
}

/** Options with defaults filled in and one generator for the whole model's init. */
export interface ModelConfig {
  readonly width: number;
  readonly experts: number;
  readonly convert: ConvertMode;
  readonly routing: RouterKind;
  readonly inChannels: number;
  readonly numClasses: number;
  readonly inputSize: number;
  readonly expertDropout: number;
  readonly path: CondPathOption;
  readonly dropout: number;
  readonly rng: Rng;
  readonly init: InitOptions;
}

/** Validates model options; `minInput` is the smallest input size the architecture's downsampling allows. */
export function resolveModelOptions(name: string, opts: ModelOptions, minInput: number): ModelConfig {
  if (opts === null || typeof opts !== 'object') throw new CondgradError(name, `options must be an object, got ${String(opts)}`);
  const width = checkFinite(name, 'width', opts.width ?? 1);
  if (width <= 0) throw new CondgradError(name, `width must be > 0, got ${width}`);
  const convert = opts.convert ?? 'last';
  if (!['none', 'last', 'all'].includes(convert)) throw new CondgradError(name, `convert must be 'none', 'last' or 'all', got ${String(convert)}`);
  const routing = opts.routing ?? 'sigmoid';
  if (routing !== 'sigmoid' && routing !== 'softmax') throw new CondgradError(name, `routing must be 'sigmoid' or 'softmax', got ${String(routing)}`);
  const inputSize = checkInt(name, 'inputSize', opts.inputSize ?? 28, 1);
  if (inputSize < minInput)
    throw new CondgradError(name, `inputSize ${inputSize} is too small: this architecture downsamples, so it needs at least ${minInput}`);
  const dropout = checkFinite(name, 'dropout', opts.dropout ?? 0);
  if (dropout < 0 || dropout >= 1) throw new CondgradError(name, `dropout must be in [0, 1), got ${dropout}`);
  const rng = initRng(opts);
  return Object.freeze({
    width,
    experts: checkInt(name, 'experts', opts.experts ?? 4, 1),
    convert,
    routing,
    inChannels: checkInt(name, 'inChannels', opts.inChannels ?? 1, 1),
    numClasses: checkInt(name, 'numClasses', opts.numClasses ?? 10, 1),
    inputSize,
    expertDropout: checkFinite(name, 'expertDropout', opts.expertDropout ?? 0),
    path: opts.path ?? 'auto',
    dropout,
    rng,
    init: { rng, dtype: opts.dtype, backend: opts.backend },
  });
}

/** Channels scaled by the width multiplier (at least 1). */
export function scaled(c: number, cfg: ModelConfig): number {
  return Math.max(1, Math.round(c * cfg.width));
}

/** Whether stage `i` of `n` uses CondConv. */
export function stageIsCond(cfg: ModelConfig, i: number, n: number): boolean {
  return cfg.convert === 'all' || (cfg.convert === 'last' && i === n - 1);
}

/** A layer that may take the α of a shared router (plain convs ignore it). */
export type RoutedLayer = Module & { forward(x: Tensor, routing?: Tensor): Tensor };

/** A router for a block whose input has `inChannels` channels. */
export function blockRouter(cfg: ModelConfig, inChannels: number): Router {
  return createRouter(inChannels, cfg.experts, { kind: cfg.routing, expertDropout: cfg.expertDropout, ...cfg.init });
}

export interface ConvSpec {
  stride?: number;
  padding?: number;
  groups?: number;
}

/** Conv2d (no bias, BatchNorm follows), or CondConv2d fed by `router` when the router is given. */
export function conv(cfg: ModelConfig, router: Router | null, cin: number, cout: number, k: number, spec: ConvSpec = {}): RoutedLayer {
  const o = { ...cfg.init, bias: false, stride: spec.stride, padding: spec.padding ?? Math.floor(k / 2), groups: spec.groups };
  if (router === null) return new Conv2d(cin, cout, k, o);
  return new CondConv2d(cin, cout, k, { ...o, numExperts: cfg.experts, router, path: cfg.path });
}

/** DepthwiseConv2d (no bias), or DepthwiseCondConv2d fed by `router` when given. */
export function depthwise(cfg: ModelConfig, router: Router | null, c: number, k: number, stride: number): RoutedLayer {
  const o = { ...cfg.init, bias: false, stride, padding: Math.floor(k / 2) };
  if (router === null) return new DepthwiseConv2d(c, k, o);
  return new DepthwiseCondConv2d(c, k, { ...o, numExperts: cfg.experts, router, path: cfg.path });
}

/**
 * GAP → dropout → Linear, or CondLinear with its own router on the pooled features.
 * x: [B, C, H, W] → [B, numClasses] (or [B, C, L] with `pool` a GlobalAvgPool1d).
 */
export class ClassifierHead extends Module {
  pool!: Module;
  drop!: Dropout | null;
  fc!: RoutedLayer;

  constructor(cfg: ModelConfig, inFeatures: number, cond: boolean, pool: Module = new GlobalAvgPool2d()) {
    super();
    this.registerModule('pool', pool);
    this.registerModule('drop', cfg.dropout > 0 ? new Dropout(cfg.dropout, { rng: cfg.rng.fork() }) : null);
    this.registerModule(
      'fc',
      cond
        ? new CondLinear(inFeatures, cfg.numClasses, {
            ...cfg.init,
            numExperts: cfg.experts,
            path: cfg.path,
            router: { kind: cfg.routing, expertDropout: cfg.expertDropout },
          })
        : new Linear(inFeatures, cfg.numClasses, cfg.init),
    );
  }

  override forward(x: Tensor): Tensor {
    let h = this.pool.forward(x);
    if (this.drop !== null) h = this.drop.forward(h);
    return this.fc.forward(h);
  }
}
