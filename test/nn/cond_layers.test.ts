// CondConv layer and router tests: gradcheck (both routers, a shared router), temperature, expert dropout, batch 1, per-expert init.

import '../../kernels/register.js';
import { expect } from 'chai';
import { randn, tensor } from '../../core/creation.js';
import { noGrad } from '../../core/engine.js';
import { Rng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { conv2d } from '../../ops/conv.js';
import { sum } from '../../ops/broadcast.js';
import { reshape, slice } from '../../ops/shape.js';
import { CondConv2d, DepthwiseCondConv2d } from '../../nn/cond_conv.js';
import { CondLinear } from '../../nn/cond_linear.js';
import { Module } from '../../nn/module.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { SigmoidRouter, SoftmaxRouter, type RouterOptions } from '../../nn/router.js';
import { TemperatureSchedule } from '../../nn/temperature.js';
import { createModel } from '../../nn/models/index.js';
import { expectClose } from '../helpers/close.js';
import { gradcheckModule, rowEntropy, std } from '../helpers/nn.js';
import { expectError, rnd } from '../helpers/tensors.js';

const f64 = { dtype: 'float64' as const };

function check(m: Module, shape: number[], seed = 3, forward?: (m: Module, x: Tensor) => Tensor): void {
  const report = gradcheckModule(m, rnd(seed, shape, 'float64', undefined, -1, 1, true), { forward });
  expect(report.checked).to.be.greaterThan(0);
}

/** A block whose router computes α once from the block input and feeds two CondConv layers. */
class TwoLayerBlock extends Module {
  router: SigmoidRouter | SoftmaxRouter;
  first: CondConv2d;
  second: DepthwiseCondConv2d;
  constructor(router: SigmoidRouter | SoftmaxRouter) {
    super();
    this.router = router;
    this.first = new CondConv2d(2, 3, 3, { ...f64, seed: 2, numExperts: 3, router, padding: 1 });
    this.second = new DepthwiseCondConv2d(3, 3, { ...f64, seed: 3, numExperts: 3, router, padding: 1 });
  }
  forward(x: Tensor): Tensor {
    const alpha = this.router.route(x);
    return this.second.forward(this.first.forward(x, alpha), alpha);
  }
}

describe('routers: gradcheck (float64)', () => {
  it('SigmoidRouter(4, K=3) x=[2,4,3,3]', () => check(new SigmoidRouter(4, 3, { ...f64, seed: 1 }), [2, 4, 3, 3]));
  it('SigmoidRouter(4, K=3, hidden 5) x=[2,4,3,3]', () => check(new SigmoidRouter(4, 3, { ...f64, seed: 1, hidden: 5 }), [2, 4, 3, 3]));
  it('SoftmaxRouter(8, K=4, T=1) x=[3,8,2,2]', () => check(new SoftmaxRouter(8, 4, { ...f64, seed: 1 }), [3, 8, 2, 2]));
  it('SoftmaxRouter(8, K=4, T=3) on pooled x=[3,8]', () => check(new SoftmaxRouter(8, 4, { ...f64, seed: 1, temperature: 3 }), [3, 8]));
});

describe('CondConv layers: gradcheck over input, experts, biases and router (float64)', () => {
  for (const kind of ['sigmoid', 'softmax'] as const) {
    const router: RouterOptions = { kind, hidden: 3 };
    it(`CondConv2d(2, 4, 3, K=3) ${kind} router x=[2,2,4,4] s=1 p=1`, () =>
      check(new CondConv2d(2, 4, 3, { ...f64, seed: 1, numExperts: 3, router, padding: 1 }), [2, 2, 4, 4]));
    it(`CondConv2d(4, 4, 3, K=2) ${kind} router x=[2,4,5,5] s=2 p=1 g=2`, () =>
      check(new CondConv2d(4, 4, 3, { ...f64, seed: 1, numExperts: 2, router, stride: 2, padding: 1, groups: 2 }), [2, 4, 5, 5]));
    it(`DepthwiseCondConv2d(3, 3, K=2, multiplier 2) ${kind} router x=[2,3,4,4] p=1`, () =>
      check(new DepthwiseCondConv2d(3, 3, { ...f64, seed: 1, numExperts: 2, multiplier: 2, router, padding: 1 }), [2, 3, 4, 4]));
    it(`CondLinear(5, 3, K=3) ${kind} router x=[3,5]`, () => check(new CondLinear(5, 3, { ...f64, seed: 1, numExperts: 3, router }), [3, 5]));
  }
  it('CondConv2d(2, 3, 1, K=2, bias=false, path moe) x=[2,2,3,3]', () =>
    check(new CondConv2d(2, 3, 1, { ...f64, seed: 1, numExperts: 2, bias: false, path: 'moe' }), [2, 2, 3, 3]));
  for (const kind of ['sigmoid', 'softmax'] as const) {
    it(`a ${kind} router shared by CondConv2d(2,3,3) and DepthwiseCondConv2d(3,3), K=3, x=[2,2,4,4]`, () => {
      const router = kind === 'sigmoid' ? new SigmoidRouter(2, 3, { ...f64, seed: 1 }) : new SoftmaxRouter(2, 3, { ...f64, seed: 1, hidden: 3 });
      check(new TwoLayerBlock(router), [2, 2, 4, 4]);
    });
  }
  it('the shared router’s gradient is the sum of what each layer sends it', () => {
    const blk = new TwoLayerBlock(new SoftmaxRouter(2, 3, { ...f64, seed: 1, hidden: 3 }));
    const x = rnd(4, [2, 2, 4, 4], 'float64');
    const w = blk.router.fc1.weight;
    const grad = (f: (alpha: Tensor, alphaDetached: Tensor) => Tensor): Float64Array => {
      blk.zeroGrad();
      const alpha = blk.router.route(x);
      const alphaDetached = alpha.detach();
      sum(f(alpha, alphaDetached)).backward();
      return Float64Array.from(w.grad!.dataSync());
    };
    // Both layers use α; then only the first; then only the second (the other gets a constant α).
    const both = grad((a) => blk.second.forward(blk.first.forward(x, a), a));
    const viaFirst = grad((a, c) => blk.second.forward(blk.first.forward(x, a), c));
    const viaSecond = grad((a, c) => blk.second.forward(blk.first.forward(x, c), a));
    expect(Math.max(...viaFirst.map(Math.abs))).to.be.greaterThan(1e-6);
    expect(Math.max(...viaSecond.map(Math.abs))).to.be.greaterThan(1e-6);
    expectClose(
      both,
      viaFirst.map((v, i) => v + viaSecond[i]),
      1e-10,
    );
  });
  it('routing passed to forward is used instead of the layer’s router', () => {
    const layer = new CondConv2d(2, 2, 1, { ...f64, seed: 1, numExperts: 2, bias: false });
    const x = rnd(1, [1, 2, 2, 2], 'float64');
    // α = [1, 0] selects expert 0 alone: the output is a plain conv with that expert.
    const y = layer.forward(x, tensor([[1, 0]], [1, 2], f64));
    const w0 = reshape(slice(layer.experts, [0, 0, 0, 0, 0], [1, 2, 2, 1, 1]), [2, 2, 1, 1]);
    expectClose(y.dataSync(), conv2d(x, w0).dataSync(), 1e-12);
  });
  it('a shared router with a different K is refused', () => {
    expectError(() => new CondConv2d(2, 2, 1, { numExperts: 4, router: new SigmoidRouter(2, 3) }), 'CondConv2d', 'shared router has 3 experts', 'numExperts 4');
  });
});

describe('softmax temperature', () => {
  const router = new SoftmaxRouter(6, 5, { seed: 7, dtype: 'float64' });
  const x = randn([8, 6, 3, 3], { seed: 8, dtype: 'float64', std: 3 });
  const entropyAt = (T: number): number => {
    router.setTemperature(T);
    return rowEntropy(noGrad(() => router.route(x)).dataSync(), 5);
  };
  it('K=5 x=[8,6,3,3]: small T sharpens, large T flattens toward log K', () => {
    const [h01, h1, h30] = [entropyAt(0.05), entropyAt(1), entropyAt(30)];
    expect(h01).to.be.lessThan(h1);
    expect(h1).to.be.lessThan(h30);
    expect(h30).to.be.closeTo(Math.log(5), 0.01);
    expect(h01).to.be.lessThan(0.5 * Math.log(5));
  });
  it('TemperatureSchedule goes linearly 30 → 1 over 10 and stays at 1', () => {
    const s = new TemperatureSchedule({ duration: 10 });
    expect([s.value(0), s.value(5), s.value(10), s.value(20)]).to.deep.equal([30, 15.5, 1, 1]);
  });
  it('apply() sets every SoftmaxRouter of a model', () => {
    const m = createModel('mobilenet-v1', { convert: 'all', routing: 'softmax', width: 0.25, inputSize: 8, seed: 1 });
    const routers = m.modules().filter((r): r is SoftmaxRouter => r instanceof SoftmaxRouter);
    expect(routers.length).to.equal(6); // five blocks + the classifier
    expect(new TemperatureSchedule({ from: 30, to: 1, duration: 4 }).apply(m, 1)).to.equal(22.75);
    expect(routers.every((r) => r.temperature === 22.75)).to.equal(true);
  });
  it('rejects a non-positive temperature', () => {
    expectError(() => router.setTemperature(0), 'SoftmaxRouter', 'temperature');
  });
});

describe('expert dropout', () => {
  const x = randn([6, 4, 3, 3], { seed: 2 });
  const make = (dropoutSeed: number) => new SigmoidRouter(4, 8, { seed: 1, expertDropout: 0.5, dropoutSeed });
  const plain = new SigmoidRouter(4, 8, { seed: 1 });
  it('K=8 p=0.5: training zeroes some routing weights and doubles the rest', () => {
    const a = Array.from(make(3).route(x).dataSync());
    const ref = Array.from(plain.route(x).dataSync());
    const dropped = a.filter((v) => v === 0).length;
    expect(dropped).to.be.within(10, 38);
    a.forEach((v, i) => {
      if (v !== 0) expect(v).to.be.closeTo(2 * ref[i], 1e-6);
    });
  });
  it('is off in eval', () => {
    expectClose(make(3).eval().route(x).dataSync(), plain.route(x).dataSync(), 0);
  });
  it('the mask is reproducible from its seed and differs across seeds', () => {
    const m1 = Array.from(make(3).route(x).dataSync());
    const r = make(3);
    expect(Array.from(r.route(x).dataSync())).to.deep.equal(m1);
    r.dropoutRng = new Rng(3);
    expect(Array.from(r.route(x).dataSync())).to.deep.equal(m1);
    expect(Array.from(make(4).route(x).dataSync())).to.not.deep.equal(m1);
  });
});

describe('batch 1', () => {
  for (const kind of ['sigmoid', 'softmax'] as const) {
    it(`${kind} router and CondConv2d(3, 4, 3, K=4) at x=[1,3,5,5] in training and eval`, () => {
      const layer = new CondConv2d(3, 4, 3, { seed: 1, numExperts: 4, padding: 1, router: { kind, expertDropout: 0.25, dropoutSeed: 1 } });
      const x = randn([1, 3, 5, 5], { seed: 2 });
      const alpha = layer.router.route(x);
      expect(alpha.shape).to.deep.equal([1, 4]);
      const y = layer.forward(x);
      expect(y.shape).to.deep.equal([1, 4, 5, 5]);
      sum(y).backward();
      expect(layer.router.parameters().every((p) => p.grad !== null)).to.equal(true);
      layer.eval();
      const one = layer.forward(x).dataSync();
      expect(Array.from(one).every(Number.isFinite)).to.equal(true);
      // Batch-1 output equals the matching row of a batch-3 pass in eval.
      const x3 = randn([3, 3, 5, 5], { seed: 3 });
      const y3 = layer.forward(x3);
      const row = layer.forward(slice(x3, [1, 0, 0, 0], [1, 3, 5, 5]));
      expectClose(row.dataSync(), slice(y3, [1, 0, 0, 0], [1, 4, 5, 5]).dataSync(), 1e-5);
    });
  }
  it('a CondConv model trains and evaluates at batch 1 (mobilenet-v2, softmax routing)', () => {
    const m = createModel('mobilenet-v2', { convert: 'all', routing: 'softmax', width: 0.25, inputSize: 8, seed: 1 });
    m.train();
    // BatchNorm needs more than one value per channel; an 8×8 input keeps H·W > 1 until the head.
    const y = m.forward(randn([1, 1, 8, 8], { seed: 2 }));
    expect(y.shape).to.deep.equal([1, 10]);
    m.eval();
    expect(m.forward(randn([1, 1, 8, 8], { seed: 2 })).shape).to.deep.equal([1, 10]);
  });
});

describe('per-expert init', () => {
  it('CondConv2d(16, 32, 3, K=4): each expert ~ U(±1/√144), std 1/(12√3), not the 5-D tensor’s fan', () => {
    const layer = new CondConv2d(16, 32, 3, { seed: 3, numExperts: 4 });
    const w = layer.experts.dataSync();
    const per = 32 * 16 * 9;
    const bound = 1 / Math.sqrt(16 * 9);
    for (let k = 0; k < 4; k++) {
      const e = w.subarray(k * per, (k + 1) * per);
      expect(std(e)).to.be.closeTo(bound / Math.sqrt(3), 0.03 * bound);
      expect(Math.max(...e.map(Math.abs))).to.be.at.most(bound);
    }
    // The [K, O, C, kH, kW] tensor's own fan (O·C·kH·kW) would give a √32 times smaller std.
    expect(std(w)).to.be.greaterThan((4 * (1 / Math.sqrt(32 * 16 * 9))) / Math.sqrt(3));
    expect(Math.max(...layer.bias!.dataSync().map(Math.abs))).to.be.at.most(bound);
  });
  it('DepthwiseCondConv2d(32, 3, K=2) experts fan kH·kW = 9; CondLinear(64, 16, K=3) fan 64', () => {
    const dw = new DepthwiseCondConv2d(32, 3, { seed: 4, numExperts: 2 });
    expect(dw.experts.shape).to.deep.equal([2, 32, 1, 3, 3]);
    expect(std(dw.experts.dataSync())).to.be.closeTo(1 / 3 / Math.sqrt(3), 0.1 / 3 / Math.sqrt(3));
    const fc = new CondLinear(64, 16, { seed: 4, numExperts: 3 });
    expect(fc.experts.shape).to.deep.equal([3, 16, 64]);
    expect(fc.bias!.shape).to.deep.equal([3, 16]);
    expect(std(fc.experts.dataSync())).to.be.closeTo(1 / 8 / Math.sqrt(3), 0.05 / 8 / Math.sqrt(3));
  });
  it('layers of a Sequential drawn from one seeded generator are reproducible', () => {
    const mk = () => new Sequential(new CondConv2d(2, 2, 3, { rng: new Rng(5), numExperts: 2 }));
    expect(Array.from(mk().parameters()[0].dataSync())).to.deep.equal(Array.from(mk().parameters()[0].dataSync()));
  });
});
