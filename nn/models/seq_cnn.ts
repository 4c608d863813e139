// SeqCNN: a 1-D convolutional net over an image read row by row (sequential MNIST), with CondConv1d stages.

import type { Tensor } from '../../core/tensor.js';
import { CondConv1d } from '../cond_conv1d.js';
import { ReLU } from '../layers/activations.js';
import { Conv1d } from '../layers/conv1d.js';
import { GlobalAvgPool1d, MaxPool1d } from '../layers/pool1d.js';
import { ImageToSequence } from '../layers/sequence.js';
import { Sequential } from '../layers/sequential.js';
import { Module } from '../module.js';
import { ClassifierHead, resolveModelOptions, scaled, stageIsCond, type ModelConfig, type ModelOptions } from './common.js';

/** Output channels of the stem and the two stages at width 1. */
const STEM = 32;
const STAGES = [64, 64];

/**
 * x: [B, inChannels, S, S] read as S steps of inChannels·S features (ImageToSequence) → logits
 * [B, numClasses]. A plain Conv1d stem (k 3) → ReLU, two stages of (Cond)Conv1d(k 3) → ReLU →
 * MaxPool1d(2) ('same' padding; a CondConv stage's conv routes its own input), then the mean over
 * the length → FC (CondLinear unless convert is 'none').
 */
export class SeqCNN extends Module {
  readonly config: ModelConfig;
  /** Per-sample input shape [inChannels, S, S]. */
  readonly inputShape: number[];
  toSequence!: ImageToSequence;
  stem!: Sequential;
  features!: Sequential;
  head!: ClassifierHead;

  constructor(opts: ModelOptions = {}) {
    super();
    const cfg = resolveModelOptions('seq-cnn', opts, 4);
    this.config = cfg;
    this.inputShape = [cfg.inChannels, cfg.inputSize, cfg.inputSize];
    this.registerModule('toSequence', new ImageToSequence());
    let cin = scaled(STEM, cfg);
    this.registerModule('stem', new Sequential(new Conv1d(cfg.inChannels * cfg.inputSize, cin, 3, { ...cfg.init, padding: 'same' }), new ReLU()));
    const features = new Sequential();
    STAGES.forEach((c, i) => {
      const cout = scaled(c, cfg);
      const o = { ...cfg.init, padding: 'same' as const };
      features.append(
        stageIsCond(cfg, i, STAGES.length)
          ? new CondConv1d(cin, cout, 3, { ...o, numExperts: cfg.experts, path: cfg.path, router: { kind: cfg.routing, expertDropout: cfg.expertDropout } })
          : new Conv1d(cin, cout, 3, o),
      );
      features.append(new ReLU());
      features.append(new MaxPool1d(2));
      cin = cout;
    });
    this.registerModule('features', features);
    this.registerModule('head', new ClassifierHead(cfg, cin, cfg.convert !== 'none', new GlobalAvgPool1d()));
  }

  override forward(x: Tensor): Tensor {
    return this.head.forward(this.features.forward(this.stem.forward(this.toSequence.forward(x))));
  }
}
