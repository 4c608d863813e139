// MobileNetV2-style model: inverted residual blocks whose convs (expand, depthwise, project) share one router per block.

import type { Tensor } from '../../core/tensor.js';
import { add } from '../../ops/arithmetic.js';
import { ReLU6 } from '../layers/activations.js';
import { Module } from '../module.js';
import type { Router } from '../router.js';
import { blockRouter, conv, depthwise, scaled, stageIsCond, type ModelConfig, type ModelOptions } from './common.js';
import { ConvBNAct } from './conv_bn.js';
import { StemBlocksModel } from './stem_model.js';

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
export class MobileNetV2 extends StemBlocksModel {
  constructor(opts: ModelOptions = {}) {
    super('mobilenet-v2', opts, new ReLU6(), (cfg, blocks, cin) => {
      STAGES.forEach(([t, c, n, s], i) => {
        const cond = stageIsCond(cfg, i, STAGES.length);
        const cout = scaled(c, cfg);
        for (let j = 0; j < n; j++) {
          blocks.append(new InvertedResidualBlock(cfg, cin, cout, j === 0 ? s : 1, t, cond));
          cin = cout;
        }
      });
      return cin;
    });
  }
}
