// SmallCNN: three conv → BN → ReLU stages (max-pooled between) and a classifier, sized for 28×28 MNIST.

import type { Tensor } from '../../core/tensor.js';
import { ReLU } from '../layers/activations.js';
import { MaxPool2d } from '../layers/pool.js';
import { Sequential } from '../layers/sequential.js';
import { Module } from '../module.js';
import { blockRouter, ClassifierHead, conv, resolveModelOptions, scaled, stageIsCond, type ModelConfig, type ModelOptions } from './common.js';
import { ConvBNAct } from './conv_bn.js';

/** Output channels of the three stages at width 1. */
const STAGES = [16, 32, 64];

/**
 * x: [B, inChannels, S, S] → logits [B, numClasses]. Stages: 3×3 conv to 16w, 32w, 64w channels,
 * each followed by BN and ReLU, with 2×2 max pooling after the first two; then GAP → FC.
 * A CondConv stage's conv routes its own input.
 */
export class SmallCNN extends Module {
  readonly config: ModelConfig;
  /** Per-sample input shape [inChannels, S, S]. */
  readonly inputShape: number[];
  features!: Sequential;
  head!: ClassifierHead;

  constructor(opts: ModelOptions = {}) {
    super();
    const cfg = resolveModelOptions('cnn', opts, 4);
    this.config = cfg;
    this.inputShape = [cfg.inChannels, cfg.inputSize, cfg.inputSize];
    const features = new Sequential();
    let cin = cfg.inChannels;
    STAGES.forEach((c, i) => {
      const cout = scaled(c, cfg);
      const router = stageIsCond(cfg, i, STAGES.length) ? blockRouter(cfg, cin) : null;
      features.append(new ConvBNAct(conv(cfg, router, cin, cout, 3), cout, new ReLU(), cfg.init));
      if (i < STAGES.length - 1) features.append(new MaxPool2d(2));
      cin = cout;
    });
    this.registerModule('features', features);
    this.registerModule('head', new ClassifierHead(cfg, cin, cfg.convert !== 'none'));
  }

  override forward(x: Tensor): Tensor {
    return this.head.forward(this.features.forward(x));
  }
}
