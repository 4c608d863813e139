// MobileNetV2-style model: inverted residual blocks whose convs (expand, depthwise, project) share one router per block.

import type { Tensor } from '../../core/tensor.js';
import { add } from '../../ops/arithmetic.js';
import { ReLU6 } from '../layers/activations.js';
import { Sequential } from '../layers/sequential.js';
import { Module } from '../module.js';
import type { Router } from '../router.js';
import { blockRouter, ClassifierHead, conv, depthwise, resolveModelOptions, scaled, stageIsCond, type ModelConfig, type ModelOptions } from './common.js';
import { ConvBNAct } from './conv_bn.js';

/**
 * Inverted residual: 1×1 expand to cin·t (skipped when t = 1) → BN → ReLU6 → depthwise 3×3
 * (stride s) → BN → ReLU6 → 1×1 project to cout → BN, plus x when s = 1 and cin = cout.
 * x: [B, cin, H, W] → [B, cout, H/s, W/s]. As CondConv, one router computes α from the block
 * input and every conv of the block mixes its experts with it.
 */
export class InvertedResidualBlock extends Module {
  readonly residual: boolean;
  router!: Router | null;
  expand!: ConvBNAct | null;
  dw!: ConvBNAct;
  project!: ConvBNAct;

  constructor(cfg: ModelConfig, cin: number, cout: number, stride: number, expansion: number, cond: boolean) {
    super();
    this.residual = stride === 1 && cin === cout;
    const hidden = cin * expansion;
    const router = this.registerModule('router', cond ? blockRouter(cfg, cin) : null);
    this.registerModule('expand', expansion === 1 ? null : new ConvBNAct(conv(cfg, router, cin, hidden, 1), hidden, new ReLU6(), cfg.init));
    this.registerModule('dw', new ConvBNAct(depthwise(cfg, router, hidden, 3, stride), hidden, new ReLU6(), cfg.init));
    this.registerModule('project', new ConvBNAct(conv(cfg, router, hidden, cout, 1), cout, null, cfg.init));
  }

  override forward(x: Tensor): Tensor {
    const alpha = this.router?.route(x);
    const h = this.expand === null ? x : this.expand.forward(x, alpha);
    const y = this.project.forward(this.dw.forward(h, alpha), alpha);
    return this.residual ? add(x, y) : y;
  }
}

/** Stages of [expansion t, channels c at width 1, repeats n, first stride s] (28 → 28 → 14 → 7). */
const STAGES: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [4, 24, 2, 2],
  [4, 48, 2, 2],
];

/**
 * x: [B, inChannels, S, S] → logits [B, numClasses]. Stem 3×3 conv to 16w (plain) → BN → ReLU6,
 * three stages of inverted residual blocks, then GAP → FC.
 */
export class MobileNetV2 extends Module {
  readonly config: ModelConfig;
  readonly inputShape: number[];
  stem!: ConvBNAct;
  blocks!: Sequential;
  head!: ClassifierHead;

  constructor(opts: ModelOptions = {}) {
    super();
    const cfg = resolveModelOptions('mobilenet-v2', opts, 4);
    this.config = cfg;
    this.inputShape = [cfg.inChannels, cfg.inputSize, cfg.inputSize];
    const stemC = scaled(16, cfg);
    this.registerModule('stem', new ConvBNAct(conv(cfg, null, cfg.inChannels, stemC, 3), stemC, new ReLU6(), cfg.init));
    const blocks = new Sequential();
    let cin = stemC;
    STAGES.forEach(([t, c, n, s], i) => {
      const cond = stageIsCond(cfg, i, STAGES.length);
      const cout = scaled(c, cfg);
      for (let j = 0; j < n; j++) {
        blocks.append(new InvertedResidualBlock(cfg, cin, cout, j === 0 ? s : 1, t, cond));
        cin = cout;
      }
    });
    this.registerModule('blocks', blocks);
    this.registerModule('head', new ClassifierHead(cfg, cin, cfg.convert !== 'none'));
  }

  override forward(x: Tensor): Tensor {
    return this.head.forward(this.blocks.forward(this.stem.forward(x)));
  }
}
