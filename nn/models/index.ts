// The model zoo and its factory: createModel('cnn' | 'mobilenet-v1' | 'mobilenet-v2' | 'resnet' | 'seq-cnn', options).

import { CondgradError } from '../../core/errors.js';
import type { Module } from '../module.js';
import { SmallCNN } from './cnn.js';
import type { ModelConfig, ModelOptions } from './common.js';
import { MobileNetV1 } from './mobilenet_v1.js';
import { MobileNetV2 } from './mobilenet_v2.js';
import { ResNet } from './resnet.js';
import { SeqCNN } from './seq_cnn.js';

export { SmallCNN } from './cnn.js';
export { MobileNetV1, DepthwiseSeparableBlock } from './mobilenet_v1.js';
export { MobileNetV2, InvertedResidualBlock } from './mobilenet_v2.js';
export { ResNet, BasicBlock } from './resnet.js';
export { SeqCNN } from './seq_cnn.js';
export { ConvBNAct } from './conv_bn.js';
export { ClassifierHead, type ModelOptions, type ModelConfig, type ConvertMode } from './common.js';

export type ModelName = 'cnn' | 'mobilenet-v1' | 'mobilenet-v2' | 'resnet' | 'seq-cnn';
export const MODEL_NAMES: readonly ModelName[] = ['cnn', 'mobilenet-v1', 'mobilenet-v2', 'resnet', 'seq-cnn'];

/** A model of the zoo, with its per-sample input shape and resolved options. */
export type ZooModel = Module & { readonly inputShape: number[]; readonly config: ModelConfig };

/**
 * Builds a model by name. Options: { width, experts (K), convert: 'none' | 'last' | 'all',
 * routing: 'sigmoid' | 'softmax', inChannels, numClasses, inputSize, expertDropout, path,
 * dropout, seed | rng, dtype, backend }. Defaults suit 28×28 MNIST ('seq-cnn' reads it as 28 steps of
 * 28 features with 1-D convolutions).
 */
export function createModel(name: ModelName, opts: ModelOptions = {}): ZooModel {
  switch (name) {
    case 'cnn':
      return new SmallCNN(opts);
    case 'mobilenet-v1':
      return new MobileNetV1(opts);
    case 'mobilenet-v2':
      return new MobileNetV2(opts);
    case 'resnet':
      return new ResNet(opts);
    case 'seq-cnn':
      return new SeqCNN(opts);
    default:
      throw new CondgradError('createModel', `unknown model '${String(name)}'; choose one of ${MODEL_NAMES.join(', ')}`);
  }
}
