// Layer tests: float64 gradcheck of every layer over its input and parameters, PyTorch default init bounds, and forward values.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import { Rng } from '../../core/random.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../../nn/layers/pool.js';
import { BatchNorm2d } from '../../nn/layers/batchnorm2d.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { DepthwiseConv2d } from '../../nn/layers/depthwise_conv2d.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU, ReLU6, SiLU, Sigmoid, Tanh } from '../../nn/layers/activations.js';
import { Sequential } from '../../nn/layers/sequential.js';
import type { Module } from '../../nn/module.js';
import { expectClose } from '../helpers/close.js';
import { gradcheckModule, std } from '../helpers/nn.js';
import { rnd } from '../helpers/tensors.js';

const f64 = { dtype: 'float64' as const };

function check(m: Module, shape: number[], seed = 3, lo = -1, hi = 1, forward?: (m: Module, x: ReturnType<typeof rnd>) => ReturnType<typeof rnd>): void {
  const x = rnd(seed, shape, 'float64', undefined, lo, hi, true);
  const report = gradcheckModule(m, x, { forward });
  expect(report.checked).to.be.greaterThan(0);
}

describe('nn layers: gradcheck over input and parameters (float64)', () => {
  it('Linear(4, 5) x=[3,4]', () => check(new Linear(4, 5, { ...f64, seed: 1 }), [3, 4]));
  it('Linear(4, 5, bias=false) x=[2,3,4] (batched leading dims)', () => check(new Linear(4, 5, { ...f64, seed: 1, bias: false }), [2, 3, 4]));
  it('Conv2d(4, 6, 3) x=[2,4,5,5] s=2 p=1 g=2', () => check(new Conv2d(4, 6, 3, { ...f64, seed: 2, stride: 2, padding: 1, groups: 2 }), [2, 4, 5, 5]));
  it('Conv2d(2, 3, [2,3]) x=[2,2,6,5] d=2 p=0', () => check(new Conv2d(2, 3, [2, 3], { ...f64, seed: 2, dilation: 2 }), [2, 2, 6, 5]));
  it('DepthwiseConv2d(3, 3, multiplier 2) x=[2,3,5,5] p=1', () =>
    check(new DepthwiseConv2d(3, 3, { ...f64, seed: 4, multiplier: 2, padding: 1 }), [2, 3, 5, 5]));
  it('BatchNorm2d(3) training x=[2,3,3,3]', () => check(new BatchNorm2d(3, f64), [2, 3, 3, 3]));
  it('BatchNorm2d(3) eval x=[1,3,3,3]', () => {
    const bn = new BatchNorm2d(3, f64);
    bn.forward(rnd(9, [4, 3, 3, 3], 'float64')); // move the running stats off their init
    check(bn.eval(), [1, 3, 3, 3]);
  });
  it('Dropout(0.3) x=[4,5] with a replayed mask', () => {
    const d = new Dropout(0.3);
    check(d, [4, 5], 3, -1, 1, (m, x) => {
      (m as Dropout).rng = new Rng(11);
      return m.forward(x);
    });
  });
  for (const [name, make, lo, hi] of [
    ['ReLU', () => new ReLU(), -1, 1],
    ['ReLU6', () => new ReLU6(), -2, 8],
    ['Sigmoid', () => new Sigmoid(), -3, 3],
    ['Tanh', () => new Tanh(), -2, 2],
    ['SiLU', () => new SiLU(), -3, 3],
  ] as const) {
    it(`${name} x=[2,3,4]`, () => check(make(), [2, 3, 4], 5, lo, hi));
  }
  it('Flatten x=[2,3,2,2]', () => check(new Flatten(), [2, 3, 2, 2]));
  it('GlobalAvgPool2d x=[2,3,3,4]', () => check(new GlobalAvgPool2d(), [2, 3, 3, 4]));
  it('MaxPool2d(2) x=[2,2,4,4]', () => check(new MaxPool2d(2), [2, 2, 4, 4]));
  it('AvgPool2d(3, s=2, p=1) x=[2,2,5,5]', () => check(new AvgPool2d(3, { stride: 2, padding: 1 }), [2, 2, 5, 5]));
  it('Sequential(Conv2d, BatchNorm2d, Tanh, MaxPool2d, Flatten, Linear) x=[2,1,4,4]', () => {
    const net = new Sequential(
      new Conv2d(1, 2, 3, { ...f64, seed: 1, padding: 1 }),
      new BatchNorm2d(2, f64),
      new Tanh(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(8, 3, { ...f64, seed: 2 }),
    );
    check(net, [2, 1, 4, 4]);
  });
});

describe('nn layers: default init (PyTorch formulas) and values', () => {
  it('Linear(64, 128) weight ~ U(±1/√64), bias ~ U(±1/√64)', () => {
    const l = new Linear(64, 128, { seed: 5 });
    const w = l.weight.dataSync();
    const b = l.bias!.dataSync();
    const bound = 1 / 8;
    expect(Math.max(...w.map(Math.abs))).to.be.at.most(bound);
    expect(Math.max(...b.map(Math.abs))).to.be.at.most(bound);
    expect(std(w)).to.be.closeTo(bound / Math.sqrt(3), 0.03 * bound);
  });
  it('Conv2d(8, 16, 3, groups 2) weight [16,4,3,3] ~ U(±1/√36)', () => {
    const c = new Conv2d(8, 16, 3, { seed: 5, groups: 2 });
    expect(c.weight.shape).to.deep.equal([16, 4, 3, 3]);
    expect(std(c.weight.dataSync())).to.be.closeTo(1 / 6 / Math.sqrt(3), 0.1 / 6 / Math.sqrt(3));
    expect(Math.max(...c.bias!.dataSync().map(Math.abs))).to.be.at.most(1 / 6);
  });
  it('the same seed gives the same weights; different seeds differ', () => {
    const a = new Conv2d(2, 3, 3, { seed: 9 }).weight.dataSync();
    const b = new Conv2d(2, 3, 3, { seed: 9 }).weight.dataSync();
    const c = new Conv2d(2, 3, 3, { seed: 10 }).weight.dataSync();
    expect(Array.from(a)).to.deep.equal(Array.from(b));
    expect(Array.from(a)).to.not.deep.equal(Array.from(c));
  });
  it('Linear(2, 2) computes x Wᵀ + b: hand-computed x=[2,2]', () => {
    const l = new Linear(2, 2);
    l.loadStateDict({
      weight: tensor([
        [1, 2],
        [3, 4],
      ]),
      bias: tensor([0.5, -1]),
    });
    expectClose(
      l
        .forward(
          tensor([
            [1, 1],
            [2, -1],
          ]),
        )
        .dataSync(),
      [3.5, 6, 0.5, 1],
      1e-6,
    );
  });
  it('BatchNorm2d(2) updates its running stats in training only', () => {
    const bn = new BatchNorm2d(2, { momentum: 0.5 });
    const x = tensor([1, 3, 10, 30, 5, 7, 20, 40], [2, 2, 1, 2]);
    bn.forward(x);
    // channel 0: values 1,3,5,7 (mean 4, unbiased var 20/3); channel 1: 10,30,20,40 (mean 25, var 500/3)
    expectClose(bn.runningMean.dataSync(), [2, 12.5], 1e-6);
    expectClose(bn.runningVar.dataSync(), [0.5 + 10 / 3, 0.5 + 250 / 3], 1e-5);
    bn.eval().forward(x);
    expectClose(bn.runningMean.dataSync(), [2, 12.5], 1e-6);
  });
  it('Dropout is the identity in eval and zeroes about p of the entries in training', () => {
    const d = new Dropout(0.5, { seed: 3 });
    const x = rnd(1, [1000], 'float32', undefined, 1, 2);
    const y = d.forward(x).dataSync();
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros).to.be.within(430, 570);
    expectClose(d.eval().forward(x).dataSync(), x.dataSync(), 0);
  });
});
