// ConvBNAct: conv (plain or CondConv) → BatchNorm → activation, the unit every model here is built from.

import type { Tensor } from '../../core/tensor.js';
import { BatchNorm2d } from '../layers/batchnorm2d.js';
import { Module } from '../module.js';
import type { RoutedLayer } from './common.js';

/** x: [B, C, H, W] → act(bn(conv(x))). `routing` [B, K] goes to a CondConv fed by a shared router. */
export class ConvBNAct extends Module {
  conv!: RoutedLayer;
  bn!: BatchNorm2d;
  act!: Module | null;

  constructor(conv: RoutedLayer, outChannels: number, act: Module | null, bnOpts: ConstructorParameters<typeof BatchNorm2d>[1] = {}) {
    super();
    this.registerModule('conv', conv);
    this.registerModule('bn', new BatchNorm2d(outChannels, bnOpts));
    this.registerModule('act', act);
  }

  override forward(x: Tensor, routing?: Tensor): Tensor {
    const h = this.bn.forward(this.conv.forward(x, routing));
    return this.act === null ? h : this.act.forward(h);
  }
}
