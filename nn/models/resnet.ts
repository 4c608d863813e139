// ResNet-style model: basic residual blocks whose two 3×3 convs share one router per block.

import type { Tensor } from '../../core/tensor.js';
import { add } from '../../ops/arithmetic.js';
import { relu } from '../../ops/activations.js';
import { ReLU } from '../layers/activations.js';
import { Module } from '../module.js';
import type { Router } from '../router.js';
import { blockRouter, conv, scaled, stageIsCond, type ModelConfig, type ModelOptions } from './common.js';
import { ConvBNAct } from './conv_bn.js';
import { StemBlocksModel } from './stem_model.js';

/**
 * relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)); conv1 has stride s; the shortcut is a
 * plain 1×1 conv → BN when the shape changes, else identity. x: [B, cin, H, W] → [B, cout, H/s, W/s].
 * As CondConv, one router computes α from the block input for conv1 and conv2.
 */
export class BasicBlock extends Module {
  router!: Router | null;
  conv1!: ConvBNAct;
  conv2!: ConvBNAct;
  shortcut!: ConvBNAct | null;

  constructor(cfg: ModelConfig, cin: number, cout: number, stride: number, cond: boolean) {
    super();
    const router = this.registerModule('router', cond ? blockRouter(cfg, cin) : null);
    this.registerModule('conv1', new ConvBNAct(conv(cfg, router, cin, cout, 3, { stride }), cout, new ReLU(), cfg.init));
    this.registerModule('conv2', new ConvBNAct(conv(cfg, router, cout, cout, 3), cout, null, cfg.init));
    const project = stride !== 1 || cin !== cout;
    this.registerModule('shortcut', project ? new ConvBNAct(conv(cfg, null, cin, cout, 1, { stride, padding: 0 }), cout, null, cfg.init) : null);
  }

  override forward(x: Tensor): Tensor {
    const alpha = this.router?.route(x);
    const y = this.conv2.forward(this.conv1.forward(x, alpha), alpha);
    return relu(add(y, this.shortcut === null ? x : this.shortcut.forward(x)));
  }
}

/** Stages of [channels at width 1, blocks, first stride] (28 → 28 → 14 → 7). */
const STAGES: readonly (readonly [number, number, number])[] = [
  [16, 1, 1],
  [32, 1, 2],
  [64, 1, 2],
];

/**
 * x: [B, inChannels, S, S] → logits [B, numClasses]. Stem 3×3 conv to 16w (plain) → BN → ReLU,
 * three stages of basic blocks, then GAP → FC.
 */
export class ResNet extends StemBlocksModel {
  constructor(opts: ModelOptions = {}) {
    super('resnet', opts, new ReLU(), (cfg, blocks, cin) => {
      STAGES.forEach(([c, n, s], i) => {
        const cond = stageIsCond(cfg, i, STAGES.length);
        const cout = scaled(c, cfg);
        for (let j = 0; j < n; j++) {
          blocks.append(new BasicBlock(cfg, cin, cout, j === 0 ? s : 1, cond));
          cin = cout;
        }
      });
      return cin;
    });
  }
}
