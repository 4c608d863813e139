// MobileNetV1-style model: depthwise-separable blocks whose depthwise and pointwise CondConvs share one router per block.

import type { Tensor } from '../../core/tensor.js';
import { ReLU } from '../layers/activations.js';
import { Module } from '../module.js';
import type { Router } from '../router.js';
import { blockRouter, conv, depthwise, scaled, stageIsCond, type ModelConfig, type ModelOptions } from './common.js';
import { ConvBNAct } from './conv_bn.js';
import { StemBlocksModel } from './stem_model.js';

/**
 * Depthwise 3×3 (stride s) → BN → ReLU → pointwise 1×1 → BN → ReLU. x: [B, cin, H, W] →
 * [B, cout, H/s, W/s]. As CondConv, one router computes α from the block input and both convs
 * mix their experts with it.
 */
export class DepthwiseSeparableBlock extends Module {
  router!: Router | null;
  dw!: ConvBNAct;
  pw!: ConvBNAct;

  constructor(cfg: ModelConfig, cin: number, cout: number, stride: number, cond: boolean) {
    super();
    const router = this.registerModule('router', cond ? blockRouter(cfg, cin) : null);
    this.registerModule('dw', new ConvBNAct(depthwise(cfg, router, cin, 3, stride), cin, new ReLU(), cfg.init));
    this.registerModule('pw', new ConvBNAct(conv(cfg, router, cin, cout, 1), cout, new ReLU(), cfg.init));
  }

  override forward(x: Tensor): Tensor {
    const alpha = this.router?.route(x);
    return this.pw.forward(this.dw.forward(x, alpha), alpha);
  }
}

/** Stages of [outChannels, stride] blocks at width 1 (28 → 28 → 14 → 7). */
const STAGES: readonly (readonly [number, number])[][] = [
  [[32, 1]],
  [
    [64, 2],
    [64, 1],
  ],
  [
    [128, 2],
    [128, 1],
  ],
];

/**
 * x: [B, inChannels, S, S] → logits [B, numClasses]. Stem 3×3 conv to 16w channels (plain),
 * three stages of depthwise-separable blocks, then GAP → FC.
 */
export class MobileNetV1 extends StemBlocksModel {
  constructor(opts: ModelOptions = {}) {
    super('mobilenet-v1', opts, new ReLU(), (cfg, blocks, cin) => {
      STAGES.forEach((stage, i) => {
        const cond = stageIsCond(cfg, i, STAGES.length);
        for (const [c, s] of stage) {
          const cout = scaled(c, cfg);
          blocks.append(new DepthwiseSeparableBlock(cfg, cin, cout, s, cond));
          cin = cout;
        }
      });
      return cin;
    });
  }
}
