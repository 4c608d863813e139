// summary() tests: output shapes, parameters and per-sample MACs against hand-computed values, with and without CondConv.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { Tensor } from '../../core/tensor.js';
import { CondConv2d, DepthwiseCondConv2d } from '../../nn/cond_conv.js';
import { CondLinear } from '../../nn/cond_linear.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { GlobalAvgPool2d, MaxPool2d } from '../../nn/layers/pool.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { SigmoidRouter, SoftmaxRouter } from '../../nn/router.js';
import { summary } from '../../nn/summary.js';

class SharedBlock extends Module {
  router = new SigmoidRouter(2, 3, { seed: 1 });
  first = new CondConv2d(2, 3, 3, { seed: 2, numExperts: 3, router: this.router, padding: 1 });
  second = new DepthwiseCondConv2d(3, 3, { seed: 3, numExperts: 3, router: this.router, padding: 1 });
  forward(x: Tensor): Tensor {
    const alpha = this.router.route(x);
    return this.second.forward(this.first.forward(x, alpha), alpha);
  }
}

describe('summary', () => {
  it('plain net, input [1,8,8]: Conv2d(1,4,3,p=1) → ReLU → MaxPool2d(2) → Flatten → Linear(64,10)', () => {
    const net = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(64, 10));
    const s = net.summary([1, 8, 8]);
    expect(s.rows.map((r) => [r.name, r.type, r.outputShape, r.params, r.macs])).to.deep.equal([
      ['', 'Sequential', [1, 10], 0, 0],
      ['0', 'Conv2d', [1, 4, 8, 8], 40, 4 * 8 * 8 * 9],
      ['1', 'ReLU', [1, 4, 8, 8], 0, 0],
      ['2', 'MaxPool2d', [1, 4, 4, 4], 0, 0],
      ['3', 'Flatten', [1, 64], 0, 0],
      ['4', 'Linear', [1, 10], 650, 640],
    ]);
    expect(s.totalParams).to.equal(690);
    expect(s.totalMacs).to.equal(2304 + 640);
    expect(s.macsByKind).to.deep.equal({ conv: 2304, linear: 640 });
    expect(s.table).to.include('Total params: 690');
    expect(s.table).to.include('MACs per sample: 2,944');
  });

  it('CondConv net, input [2,6,6]: routing, mixing and conv counted apart', () => {
    const net = new Sequential(
      new CondConv2d(2, 4, 3, { numExperts: 3, padding: 1 }), // sigmoid router: GAP + Linear(2, 3)
      new GlobalAvgPool2d(),
      new CondLinear(4, 5, { numExperts: 2 }), // its router: Linear(4, 2) on the pooled features
    );
    const s = summary(net, [2, 6, 6]);
    const row = (name: string) => s.rows.find((r) => r.name === name)!;
    // CondConv2d: |W| = 4·2·3·3 = 72; mixing K·(|W| + O) = 3·76; conv O·H·W·(C·kH·kW) = 4·36·18.
    expect(row('0').macsByKind).to.deep.equal({ mixing: 228, conv: 2592 });
    expect(row('0').params).to.equal(3 * 72 + 3 * 4);
    expect(row('0.router').macsByKind).to.deep.equal({ routing: 2 * 36 });
    expect(row('0.router.fc1').macsByKind).to.deep.equal({ routing: 6 });
    expect(row('0.router.fc1').params).to.equal(9);
    expect(row('1').macsByKind).to.deep.equal({ pool: 144 });
    // CondLinear(4, 5, K=2): mixing 2·(20 + 5); product 20; router Linear(4, 2) 8 MACs, no pooling.
    expect(row('2').macsByKind).to.deep.equal({ mixing: 50, linear: 20 });
    expect(row('2.router').macs).to.equal(0);
    expect(row('2.router.fc1').macsByKind).to.deep.equal({ routing: 8 });
    expect(s.macsByKind).to.deep.equal({ routing: 86, mixing: 278, conv: 2592, pool: 144, linear: 20 });
    expect(s.totalMacs).to.equal(3120);
    expect(s.totalParams).to.equal(228 + 9 + 50 + 10);
    expect(s.outputShape).to.deep.equal([1, 5]);
  });

  it('a router shared by two layers is counted once per block call, input [2,4,4]', () => {
    const s = summary(new SharedBlock(), [2, 4, 4]);
    expect(s.rows.filter((r) => r.type === 'SigmoidRouter').length).to.equal(1);
    expect(s.macsByKind).to.deep.equal({
      routing: 2 * 16 + 2 * 3,
      mixing: 3 * (54 + 3) + 3 * (27 + 3),
      conv: 3 * 16 * 18 + 3 * 16 * 9,
    });
    expect(s.totalParams).to.equal(9 + (3 * 54 + 9) + (3 * 27 + 9));
  });

  it('SoftmaxRouter(4, K=2, hidden 3) on [4,2,2]: GAP 16 + FC 12 + FC 6', () => {
    const s = summary(new SoftmaxRouter(4, 2, { hidden: 3 }), [4, 2, 2]);
    expect(s.macsByKind).to.deep.equal({ routing: 34 });
    expect(s.totalParams).to.equal(12 + 8);
  });

  it('reports MACs per sample at any probe batch and restores modes and forward methods', () => {
    const net = new Sequential(new CondConv2d(2, 4, 3, { numExperts: 3, padding: 1, router: { expertDropout: 0.5 } }), new GlobalAvgPool2d());
    const a = summary(net, [2, 6, 6]);
    const b = summary(net, [2, 6, 6], { batch: 3 });
    expect(b.totalMacs).to.equal(a.totalMacs);
    expect(b.outputShape).to.deep.equal([3, 4]);
    expect(net.modules().every((m) => m.training)).to.equal(true);
    expect(net.modules().every((m) => !Object.prototype.hasOwnProperty.call(m, 'forward'))).to.equal(true);
  });
});
