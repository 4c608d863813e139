// Routing functions for CondConv layers: CondConv's sigmoid router and DynamicConv's temperature softmax router, with expert dropout.

import { CondgradError, checkFinite, checkInt, fmtShape } from '../core/errors.js';
import { isGradEnabled } from '../core/engine.js';
import { defaultRng, Rng } from '../core/random.js';
import type { Tensor } from '../core/tensor.js';
import { relu, sigmoid } from '../ops/activations.js';
import { dropout } from '../ops/dropout.js';
import { globalAvgPool2d } from '../ops/pool.js';
import { globalAvgPool1d } from '../ops/pool1d.js';
import { sigmoidGate } from '../ops/route.js';
import { softmax } from '../ops/softmax.js';
import { initRng, type InitOptions } from './init.js';
import { Linear } from './layers/linear.js';
import { Module } from './module.js';

export type RouterKind = 'sigmoid' | 'softmax';

export interface RouterOptions extends InitOptions {
  /** 'sigmoid' (CondConv, the default) or 'softmax' (DynamicConv). */
  kind?: RouterKind;
  /**
   * Width of the hidden FC layer. Sigmoid: none unless given (CondConv routes with one FC).
   * Softmax: default ⌊C·ratio⌋ + 1, or K when C ≤ 3 (DynamicConv's rule).
   */
  hidden?: number;
  /** Softmax only: hidden width as a fraction of the input channels (default 0.25). */
  ratio?: number;
  /** Softmax only: the initial temperature T of softmax(z / T) (default 1; see TemperatureSchedule). */
  temperature?: number;
  /** Probability of dropping each expert's routing weight in training (default 0). */
  expertDropout?: number;
  /** Generator for the expert-dropout masks; default a generator seeded with `dropoutSeed`, else the global one. */
  dropoutRng?: Rng;
  dropoutSeed?: number;
}

/**
 * A routing function: x [B, C, H, W] or [B, C, L] (or pooled [B, C]) → routing weights α [B, K],
 * computed from the global average pool of x (over H×W, or over the length) by FC layers (no
 * BatchNorm, so batch 1 works in training and eval). One router may feed several CondConv layers of a block: call `route(x)` once on
 * the block input and pass α to each layer; every layer's gradient then reaches the router.
 * In training, each α_bk is dropped with probability `expertDropout` (inverted dropout, a
 * seeded mask from `dropoutRng`); never in eval.
 */
export abstract class Router extends Module {
  readonly inChannels: number;
  readonly numExperts: number;
  readonly expertDropout: number;
  /** Generator of the expert-dropout masks (public, so a mask sequence can be replayed). */
  dropoutRng: Rng;

  constructor(inChannels: number, numExperts: number, opts: RouterOptions) {
    super();
    this.inChannels = checkInt(this.typeName, 'inChannels', inChannels, 1);
    this.numExperts = checkInt(this.typeName, 'numExperts', numExperts, 1);
    const p = opts.expertDropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new CondgradError(this.typeName, `expertDropout must be in [0, 1), got ${String(p)}`);
    this.expertDropout = p;
    this.dropoutRng = opts.dropoutRng ?? (opts.dropoutSeed !== undefined ? new Rng(opts.dropoutSeed) : defaultRng());
  }

  /** Routing logits z [B, K] from pooled features [B, C]. */
  protected abstract logits(pooled: Tensor): Tensor;
  /** α from the logits. */
  protected abstract gate(z: Tensor): Tensor;

  /** α from pooled features [B, C]: gate(logits(pooled)), or a fused equivalent. */
  protected alphaOf(pooled: Tensor): Tensor {
    return this.gate(this.logits(pooled));
  }

  /** α [B, K] for x [B, C, H, W], a sequence [B, C, L] (averaged over its length) or pooled [B, C]. */
  override forward(x: Tensor): Tensor {
    if ((x.rank !== 4 && x.rank !== 3 && x.rank !== 2) || x.shape[1] !== this.inChannels) {
      throw new CondgradError(
        this.typeName,
        `x must be [B, ${this.inChannels}, H, W], [B, ${this.inChannels}, L] or [B, ${this.inChannels}], got ${fmtShape(x.shape)}`,
      );
    }
    const pooled = x.rank === 4 ? globalAvgPool2d(x) : x.rank === 3 ? globalAvgPool1d(x) : x;
    const alpha = this.alphaOf(pooled);
    return dropout(alpha, this.expertDropout, { training: this.training, rng: this.dropoutRng });
  }

  /** A fresh expert-dropout generator (stream 4). */
  override reseed(seedOf: (stream: number) => number): void {
    this.dropoutRng = new Rng(seedOf(4));
  }

  /** Same as forward: α [B, K] for the block input x. */
  route(x: Tensor): Tensor {
    return this.forward(x);
  }

  override get macsGroup(): string | null {
    return 'routing';
  }

  /** The global average pool (over H×W or L): one MAC per input element (the FC layers count themselves). */
  override macs(inputShape: readonly number[]): number {
    return inputShape.length >= 3 ? inputShape.reduce((a, b) => a * b, 1) : 0;
  }

  override extraRepr(): string {
    return `${this.inChannels}, numExperts=${this.numExperts}${this.expertDropout > 0 ? `, expertDropout=${this.expertDropout}` : ''}`;
  }
}

/** CondConv's routing: α = sigmoid(FC(GAP(x))), or sigmoid(FC(ReLU(FC(GAP(x))))) with `hidden`. */
export class SigmoidRouter extends Router {
  fc1!: Linear;
  fc2!: Linear | null;

  constructor(inChannels: number, numExperts: number, opts: RouterOptions = {}) {
    super(inChannels, numExperts, opts);
    const rng = initRng(opts);
    const init = { ...opts, rng };
    if (opts.hidden !== undefined && opts.hidden !== 0) {
      const h = checkInt('SigmoidRouter', 'hidden', opts.hidden, 1);
      this.registerModule('fc1', new Linear(inChannels, h, init));
      this.registerModule('fc2', new Linear(h, numExperts, init));
    } else {
      this.registerModule('fc1', new Linear(inChannels, numExperts, init));
      this.registerModule('fc2', null);
    }
  }

  protected override logits(pooled: Tensor): Tensor {
    return this.fc2 === null ? this.fc1.forward(pooled) : this.fc2.forward(relu(this.fc1.forward(pooled)));
  }

  protected override gate(z: Tensor): Tensor {
    return sigmoid(z);
  }

  /**
   * While gradients are recorded, the last FC and the sigmoid run as one op (sigmoidGate,
   * bit-identical, one tape node instead of nine), but only where that is what gate(logits(p))
   * computes: this class's own logits and gate, and a stock Linear as the last FC (its forward
   * neither overridden nor replaced). A subclass's gate (a temperature, say), a hooked or
   * replaced layer, and every call without gradients (so module hooks, e.g. summary's, see fc1
   * and fc2) run the layers one by one, so training and evaluation run the same code.
   */
  protected override alphaOf(pooled: Tensor): Tensor {
    const last = this.fc2 ?? this.fc1;
    const stock =
      this.logits === SigmoidRouter.prototype.logits &&
      this.gate === SigmoidRouter.prototype.gate &&
      last instanceof Linear &&
      last.forward === Linear.prototype.forward;
    if (!stock || !isGradEnabled()) return super.alphaOf(pooled);
    const h = this.fc2 === null ? pooled : relu(this.fc1.forward(pooled));
    return sigmoidGate(h, last.weight, last.bias);
  }
}

/**
 * DynamicConv's attention: α = softmax(FC2(ReLU(FC1(GAP(x)))) / T). A large T (e.g. 30) keeps
 * α near uniform so every expert trains early on; T → 1 sharpens it. Anneal with
 * TemperatureSchedule, or call setTemperature.
 */
export class SoftmaxRouter extends Router {
  fc1!: Linear;
  fc2!: Linear;
  private _temperature = 1;

  constructor(inChannels: number, numExperts: number, opts: RouterOptions = {}) {
    super(inChannels, numExperts, opts);
    const ratio = checkFinite('SoftmaxRouter', 'ratio', opts.ratio ?? 0.25);
    if (ratio <= 0) throw new CondgradError('SoftmaxRouter', `ratio must be > 0, got ${ratio}`);
    const hidden = opts.hidden ?? (inChannels <= 3 ? numExperts : Math.floor(inChannels * ratio) + 1);
    checkInt('SoftmaxRouter', 'hidden', hidden, 1);
    const rng = initRng(opts);
    const init = { ...opts, rng };
    // DynamicConv's first FC has no bias; the second has one.
    this.registerModule('fc1', new Linear(inChannels, hidden, { ...init, bias: false }));
    this.registerModule('fc2', new Linear(hidden, numExperts, init));
    this.setTemperature(opts.temperature ?? 1);
  }

  /** The current softmax temperature T. */
  get temperature(): number {
    return this._temperature;
  }

  /** Sets T (finite, > 0). */
  setTemperature(t: number): void {
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)
      throw new CondgradError('SoftmaxRouter', `temperature must be a finite number > 0, got ${String(t)}`);
    this._temperature = t;
  }

  protected override logits(pooled: Tensor): Tensor {
    return this.fc2.forward(relu(this.fc1.forward(pooled)));
  }

  protected override gate(z: Tensor): Tensor {
    return softmax(z, -1, this._temperature);
  }

  override extraRepr(): string {
    return `${super.extraRepr()}, temperature=${this._temperature}`;
  }
}

/** Builds a router of `opts.kind` ('sigmoid' by default). */
export function createRouter(inChannels: number, numExperts: number, opts: RouterOptions = {}): Router {
  const kind = opts.kind ?? 'sigmoid';
  if (kind === 'sigmoid') return new SigmoidRouter(inChannels, numExperts, opts);
  if (kind === 'softmax') return new SoftmaxRouter(inChannels, numExperts, opts);
  throw new CondgradError('createRouter', `kind must be 'sigmoid' or 'softmax', got ${String(kind)}`);
}
