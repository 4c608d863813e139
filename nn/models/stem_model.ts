// The skeleton shared by the stem → blocks → head models (MobileNetV1/V2, ResNet): config, plain stem, block stack, classifier.

import type { Tensor } from '../../core/tensor.js';
import { Sequential } from '../layers/sequential.js';
import { Module } from '../module.js';
import { ClassifierHead, conv, resolveModelOptions, scaled, type ModelConfig, type ModelOptions } from './common.js';
import { ConvBNAct } from './conv_bn.js';

/**
 * x: [B, inChannels, S, S] → logits [B, numClasses]: a plain 3×3 stem conv to 16·width channels
 * → BN → `stemAct`, the model's blocks, then GAP → FC (CondLinear unless convert is 'none').
 */
export abstract class StemBlocksModel extends Module {
  readonly config: ModelConfig;
  /** Per-sample input shape [inChannels, S, S]. */
  readonly inputShape: number[];
  stem!: ConvBNAct;
  blocks!: Sequential;
  head!: ClassifierHead;

  /** `makeBlocks` appends the blocks to `blocks`, starting from `cin` channels, and returns the channels they end with. */
  protected constructor(name: string, opts: ModelOptions, stemAct: Module, makeBlocks: (cfg: ModelConfig, blocks: Sequential, cin: number) => number) {
    super();
    const cfg = resolveModelOptions(name, opts, 4);
    this.config = cfg;
    this.inputShape = [cfg.inChannels, cfg.inputSize, cfg.inputSize];
    const stemC = scaled(16, cfg);
    this.registerModule('stem', new ConvBNAct(conv(cfg, null, cfg.inChannels, stemC, 3), stemC, stemAct, cfg.init));
    const blocks = new Sequential();
    const cout = makeBlocks(cfg, blocks, stemC);
    this.registerModule('blocks', blocks);
    this.registerModule('head', new ClassifierHead(cfg, cout, cfg.convert !== 'none'));
  }

  override forward(x: Tensor): Tensor {
    return this.head.forward(this.blocks.forward(this.stem.forward(x)));
  }
}
