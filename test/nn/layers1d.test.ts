// 1-D layers: Conv1d, DepthwiseConv1d, CondConv1d, DepthwiseCondConv1d with every router (sigmoid, softmax and temperature, shared, expert dropout), the 1-D pools, summary, and bad input.

import '../../kernels/register.js';
import { expect } from 'chai';
import { randn, tensor } from '../../core/creation.js';
import { noGrad } from '../../core/engine.js';
import type { Tensor } from '../../core/tensor.js';
import { sigmoid } from '../../ops/activations.js';
import { add } from '../../ops/arithmetic.js';
import { condConv1d } from '../../ops/cond_conv1d.js';
import { conv1d, depthwiseConv1d } from '../../ops/conv1d.js';
import { matmul } from '../../ops/matmul.js';
import { sum } from '../../ops/broadcast.js';
import { mean } from '../../ops/reduce.js';
import { reshape, slice } from '../../ops/shape.js';
import { CondConv1d, DepthwiseCondConv1d } from '../../nn/cond_conv1d.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Conv1d, DepthwiseConv1d } from '../../nn/layers/conv1d.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { AdaptiveAvgPool1d, AvgPool1d, GlobalAvgPool1d, MaxPool1d } from '../../nn/layers/pool1d.js';
import { ImageToSequence } from '../../nn/layers/sequence.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { Module } from '../../nn/module.js';
import { SigmoidRouter, SoftmaxRouter, type RouterOptions } from '../../nn/router.js';
import { summary } from '../../nn/summary.js';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { gradcheckModule, rowEntropy, std } from '../helpers/nn.js';
import { expectError, mk, read, rnd } from '../helpers/tensors.js';

// Float64 layers on the cpu reference, where rnd() puts the inputs (whatever the default backend is).
const f64 = { dtype: 'float64' as const, backend: 'cpu' as const };

function check(m: Module, shape: number[], seed = 3, forward?: (m: Module, x: Tensor) => Tensor): void {
  const report = gradcheckModule(m, rnd(seed, shape, 'float64', undefined, -1, 1, true), { forward });
  expect(report.checked).to.be.greaterThan(0);
}

/** A sequence block: one router, routed once on the block input, feeds a depthwise and a pointwise 1-D CondConv. */
class SeqBlock extends Module {
  router: SigmoidRouter | SoftmaxRouter;
  dw: DepthwiseCondConv1d;
  pw: CondConv1d;
  constructor(router: SigmoidRouter | SoftmaxRouter) {
    super();
    this.router = router;
    this.dw = new DepthwiseCondConv1d(2, 3, { ...f64, seed: 2, numExperts: 3, router, padding: 'same', multiplier: 2 });
    this.pw = new CondConv1d(4, 3, 1, { ...f64, seed: 3, numExperts: 3, router });
  }
  forward(x: Tensor): Tensor {
    const alpha = this.router.route(x);
    return this.pw.forward(this.dw.forward(x, alpha), alpha);
  }
}

describe('Conv1d and DepthwiseConv1d layers', () => {
  it('Conv1d(4, 6, 3, stride 2, padding same, groups 2) runs conv1d with its weight [6,2,3] and bias [6]; PyTorch init bound 1/√(in/g·k)', () => {
    const layer = new Conv1d(4, 6, 3, { seed: 1, stride: 2, padding: 'same', groups: 2 });
    expect(layer.weight.shape).to.deep.equal([6, 2, 3]);
    expect(layer.bias!.shape).to.deep.equal([6]);
    const x = randn([2, 4, 9], { seed: 2 });
    const y = layer.forward(x);
    expect(y.shape).to.deep.equal([2, 6, 5]);
    expect(Array.from(y.dataSync())).to.deep.equal(Array.from(conv1d(x, layer.weight, layer.bias, { stride: 2, padding: 'same', groups: 2 }).dataSync()));
    const bound = 1 / Math.sqrt(2 * 3);
    expect(Math.max(...layer.weight.dataSync().map(Math.abs))).to.be.at.most(bound);
    expect(Math.max(...layer.bias!.dataSync().map(Math.abs))).to.be.at.most(bound);
    expect(layer.toString()).to.include('Conv1d(4, 6, kernelSize=3, stride=2, padding="same", groups=2, bias=true)');
  });
  it('defaults as in PyTorch: stride 1, padding 0, dilation 1, bias; x=[1,2,7] k=3 → length 5', () => {
    expect(new Conv1d(2, 3, 3).forward(randn([1, 2, 7], { seed: 1 })).shape).to.deep.equal([1, 3, 5]);
    expect(new Conv1d(2, 3, 3, { bias: false }).bias).to.equal(null);
  });
  it('DepthwiseConv1d(3, 5, multiplier 2, dilation 2) equals depthwiseConv1d with its weight [6,1,5]', () => {
    const layer = new DepthwiseConv1d(3, 5, { seed: 4, multiplier: 2, dilation: 2, padding: 4 });
    expect(layer.weight.shape).to.deep.equal([6, 1, 5]);
    const x = randn([2, 3, 10], { seed: 5 });
    expect(Array.from(layer.forward(x).dataSync())).to.deep.equal(
      Array.from(depthwiseConv1d(x, layer.weight, layer.bias, { dilation: 2, padding: 4 }).dataSync()),
    );
  });
  it('gradcheck (float64) over input, weight and bias', () => {
    check(new Conv1d(2, 3, 3, { ...f64, seed: 1, padding: 1, stride: 2 }), [2, 2, 7]);
    check(new DepthwiseConv1d(2, 2, { ...f64, seed: 1, multiplier: 2, padding: 'same' }), [2, 2, 6]);
  });
});

describe('CondConv1d and DepthwiseCondConv1d layers', () => {
  it('CondConv1d(3, 4, 3, K=4): experts [4,4,3,3] at each expert’s fan 9, bias [4,4], a sigmoid router on the length mean', () => {
    const layer = new CondConv1d(3, 4, 3, { seed: 1, numExperts: 4, padding: 1 });
    expect(layer.experts.shape).to.deep.equal([4, 4, 3, 3]);
    expect(layer.bias!.shape).to.deep.equal([4, 4]);
    expect(Math.max(...layer.experts.dataSync().map(Math.abs))).to.be.at.most(1 / 3);
    const x = randn([2, 3, 8], { seed: 2 });
    const r = layer.router as SigmoidRouter;
    // α = sigmoid(FC(mean over L)), computed here from the router's own weights.
    const alpha = sigmoid(add(matmul(mean(x, [2]), r.fc1.weight, { transB: true }), r.fc1.bias!));
    expectClose(r.route(x).dataSync(), alpha.dataSync(), 1e-6, 'α');
    const want = condConv1d(x, layer.experts, alpha, layer.bias, { padding: 1 });
    expectClose(layer.forward(x).dataSync(), want.dataSync(), 1e-6);
  });
  it('DepthwiseCondConv1d(4, 3, multiplier 2, K=2) x=[2,4,9] s=2 p=same → [2,8,5]; experts [2,8,1,3]', () => {
    const layer = new DepthwiseCondConv1d(4, 3, { seed: 1, numExperts: 2, multiplier: 2, stride: 2, padding: 'same' });
    expect(layer.experts.shape).to.deep.equal([2, 8, 1, 3]);
    expect(layer.forward(randn([2, 4, 9], { seed: 2 })).shape).to.deep.equal([2, 8, 5]);
  });
  for (const kind of ['sigmoid', 'softmax'] as const) {
    const router: RouterOptions = { kind, hidden: 3 };
    it(`gradcheck (float64) over input, experts, bias and the ${kind} router: CondConv1d(2,4,3,K=3) g=2 s=2, DepthwiseCondConv1d(3,3,K=2,m=2)`, () => {
      check(new CondConv1d(2, 4, 3, { ...f64, seed: 1, numExperts: 3, router, stride: 2, padding: 1, groups: 2 }), [2, 2, 7]);
      check(new DepthwiseCondConv1d(3, 3, { ...f64, seed: 1, numExperts: 2, multiplier: 2, router, padding: 'same' }), [2, 3, 6]);
    });
    it(`a ${kind} router shared by DepthwiseCondConv1d and CondConv1d (K=3): gradcheck, and its gradient sums both layers’`, () => {
      const r = kind === 'sigmoid' ? new SigmoidRouter(2, 3, { ...f64, seed: 1 }) : new SoftmaxRouter(2, 3, { ...f64, seed: 1, hidden: 3 });
      const blk = new SeqBlock(r);
      check(blk, [2, 2, 6]);
      const x = rnd(4, [2, 2, 6], 'float64');
      const grad = (f: (a: Tensor, c: Tensor) => Tensor): Float64Array => {
        blk.zeroGrad();
        const a = blk.router.route(x);
        sum(f(a, a.detach())).backward();
        return Float64Array.from(blk.router.fc1.weight.grad!.dataSync());
      };
      const both = grad((a) => blk.pw.forward(blk.dw.forward(x, a), a));
      const viaDw = grad((a, c) => blk.pw.forward(blk.dw.forward(x, a), c));
      const viaPw = grad((a, c) => blk.pw.forward(blk.dw.forward(x, c), a));
      expect(Math.max(...viaDw.map(Math.abs))).to.be.greaterThan(1e-6);
      expect(Math.max(...viaPw.map(Math.abs))).to.be.greaterThan(1e-6);
      expectClose(
        both,
        viaDw.map((v, i) => v + viaPw[i]),
        1e-10,
      );
    });
  }
  it('every path gives the same layer output: CondConv1d(3,5,3,K=4) x=[3,3,10] d=2 p=same', () => {
    const outs = (['fused', 'moe', 'auto'] as const).map((path) =>
      new CondConv1d(3, 5, 3, { ...f64, seed: 7, numExperts: 4, dilation: 2, padding: 'same', path }).forward(rnd(8, [3, 3, 10])).dataSync(),
    );
    expectClose(outs[1], outs[0], 1e-12, 'moe');
    expectClose(outs[2], outs[0], 1e-12, 'auto');
  });
  it('routing passed to forward is used instead of the layer’s router: α = [0, 1] is a plain conv1d with expert 1', () => {
    const layer = new CondConv1d(2, 2, 3, { ...f64, seed: 1, numExperts: 2, bias: false });
    const x = rnd(1, [1, 2, 6], 'float64');
    const y = layer.forward(x, tensor([[0, 1]], [1, 2], f64));
    const w1 = reshape(slice(layer.experts, [1, 0, 0, 0], [1, 2, 2, 3]), [2, 2, 3]);
    expectClose(y.dataSync(), conv1d(x, w1).dataSync(), 1e-12);
  });
  it('softmax temperature on sequences: K=5 x=[8,6,12], small T sharpens, large T flattens toward log K', () => {
    const router = new SoftmaxRouter(6, 5, { seed: 7, dtype: 'float64' });
    const x = randn([8, 6, 12], { seed: 8, dtype: 'float64', std: 3 });
    const h = (T: number): number => {
      router.setTemperature(T);
      return rowEntropy(noGrad(() => router.route(x)).dataSync(), 5);
    };
    const [h0, h1, h30] = [h(0.05), h(1), h(30)];
    expect(h0).to.be.lessThan(h1);
    expect(h1).to.be.lessThan(h30);
    expect(h30).to.be.closeTo(Math.log(5), 0.01);
  });
  it('expert dropout on sequences (K=8, p=0.5): training zeroes some α and doubles the rest; eval is untouched', () => {
    const x = randn([6, 4, 10], { seed: 2 });
    const drop = new CondConv1d(4, 4, 3, { seed: 1, numExperts: 8, router: { seed: 1, expertDropout: 0.5, dropoutSeed: 3 } });
    const plain = new SigmoidRouter(4, 8, { seed: 1 });
    const a = Array.from(drop.router.route(x).dataSync());
    const ref = Array.from(plain.route(x).dataSync());
    expect(a.filter((v) => v === 0).length).to.be.within(10, 38);
    a.forEach((v, i) => {
      if (v !== 0) expect(v).to.be.closeTo(2 * ref[i], 1e-6);
    });
    drop.eval();
    expectClose(drop.router.route(x).dataSync(), ref, 0);
  });
  it('batch 1 in training and eval, both routers: the batch-1 output equals its row of a batch-3 pass', () => {
    for (const kind of ['sigmoid', 'softmax'] as const) {
      const layer = new CondConv1d(3, 4, 3, { seed: 1, numExperts: 4, padding: 1, router: { kind } });
      const y = layer.forward(randn([1, 3, 7], { seed: 2 }));
      sum(y).backward();
      expect(layer.router.parameters().every((p) => p.grad !== null)).to.equal(true);
      layer.eval();
      const x3 = randn([3, 3, 7], { seed: 3 });
      expectClose(layer.forward(slice(x3, [1, 0, 0], [1, 3, 7])).dataSync(), slice(layer.forward(x3), [1, 0, 0], [1, 4, 7]).dataSync(), 1e-5);
    }
  });
  it('per-expert init: CondConv1d(16, 32, 3, K=4) each expert ~ U(±1/√48)', () => {
    const w = new CondConv1d(16, 32, 3, { seed: 3, numExperts: 4 }).experts.dataSync();
    const per = 32 * 16 * 3;
    const bound = 1 / Math.sqrt(48);
    for (let k = 0; k < 4; k++) expect(std(w.subarray(k * per, (k + 1) * per))).to.be.closeTo(bound / Math.sqrt(3), 0.03 * bound);
  });
});

describe('1-D pooling layers, ImageToSequence and a whole sequence net', () => {
  it('ImageToSequence reads [B,C,H,W] as [B, C·W, H]: step t is row t, feature c·W + w is pixel (c, t, w)', () => {
    const x = randn([2, 3, 4, 5], { seed: 1 });
    const s = new ImageToSequence().forward(x);
    expect(s.shape).to.deep.equal([2, 15, 4]);
    const [xv, sv] = [x.dataSync(), s.dataSync()];
    for (const [b, c, t, w] of [
      [1, 2, 3, 4],
      [0, 1, 0, 2],
      [1, 0, 2, 0],
    ]) {
      expect(sv[(b * 15 + c * 5 + w) * 4 + t]).to.equal(xv[((b * 3 + c) * 4 + t) * 5 + w]);
    }
    expectError(() => new ImageToSequence().forward(randn([2, 3, 4])), 'ImageToSequence', 'x must be [B, C, H, W]', '[2,3,4]');
  });
  it('MaxPool1d(2) / AvgPool1d(3, stride 1, padding 1) / AdaptiveAvgPool1d(4) / GlobalAvgPool1d shapes; stride defaults to the kernel', () => {
    const x = randn([2, 3, 11], { seed: 1 });
    expect(new MaxPool1d(2).forward(x).shape).to.deep.equal([2, 3, 5]);
    expect(new AvgPool1d(3, { stride: 1, padding: 1 }).forward(x).shape).to.deep.equal([2, 3, 11]);
    expect(new AdaptiveAvgPool1d(4).forward(x).shape).to.deep.equal([2, 3, 4]);
    expect(new GlobalAvgPool1d().forward(x).shape).to.deep.equal([2, 3]);
    expectClose(new GlobalAvgPool1d().forward(x).dataSync(), new AdaptiveAvgPool1d(1).forward(x).dataSync(), 1e-7);
  });
  it('summary() of Conv1d → CondConv1d → MaxPool1d → GlobalAvgPool1d → Linear counts conv, mixing and routing MACs', () => {
    const net = new Sequential(
      new Conv1d(4, 8, 3, { padding: 1 }),
      new ReLU(),
      new CondConv1d(8, 8, 3, { numExperts: 4, padding: 1 }),
      new MaxPool1d(2),
      new GlobalAvgPool1d(),
      new Flatten(),
      new Linear(8, 10),
    );
    const s = summary(net, [4, 16]);
    const rows = Object.fromEntries(s.rows.map((r) => [r.type, r]));
    // Per sample: conv O·L·(C·k), mixing K·(|W| + O), routing the length mean C·L plus its FC.
    expect(rows.Conv1d.macs).to.equal(8 * 16 * 4 * 3);
    expect(rows.CondConv1d.macsByKind).to.deep.equal({ mixing: 4 * (8 * 8 * 3 + 8), conv: 8 * 16 * 8 * 3 });
    expect(rows.SigmoidRouter.macsByKind.routing).to.equal(8 * 16);
    expect(rows.MaxPool1d.outputShape).to.deep.equal([1, 8, 8]);
    expect(s.outputShape).to.deep.equal([1, 10]);
  });
});

describe('a 1-D CondConv net on every backend matches the cpu run', () => {
  /** Conv1d → DepthwiseCondConv1d + CondConv1d sharing a softmax router → MaxPool1d → GlobalAvgPool1d → Linear, float32. */
  function net(backend: AnyBackend): Sequential {
    const router = new SoftmaxRouter(6, 3, { seed: 1, hidden: 4, temperature: 2, backend });
    class Block extends Module {
      r = router;
      dw = new DepthwiseCondConv1d(6, 3, { seed: 2, numExperts: 3, padding: 'same', router, backend });
      pw = new CondConv1d(6, 8, 1, { seed: 3, numExperts: 3, router, backend });
      forward(x: Tensor): Tensor {
        const a = this.r.route(x);
        return this.pw.forward(this.dw.forward(x, a), a);
      }
    }
    return new Sequential(
      new Conv1d(4, 6, 3, { seed: 0, padding: 1, backend }),
      new ReLU(),
      new Block(),
      new ReLU(),
      new MaxPool1d(2),
      new GlobalAvgPool1d(),
      new Linear(8, 5, { seed: 4, backend }),
    );
  }
  async function run(backend: AnyBackend): Promise<Float64Array[]> {
    const m = net(backend);
    const y = m.forward(mk(await read(rnd(9, [3, 4, 12], 'float32')), [3, 4, 12], 'float32', backend));
    sum(y).backward();
    return [await read(y), ...(await Promise.all(m.parameters().map((p) => read(p.grad!))))];
  }
  forEachBackend((tb) => {
    it(`x=[3,4,12]: output and every parameter gradient within 1e-5 of cpu (backend ${tb.name})`, async () => {
      const [want, got] = [await run(cpuBackend), await run(tb.backend)];
      expect(got.length).to.equal(want.length);
      got.forEach((g, i) => expectClose(g, want[i], 1e-5, i === 0 ? 'y' : `grad ${i - 1}`));
    });
  });
});

describe('1-D layers: bad input', () => {
  it('kernel pairs, groups, channels, routers', () => {
    expectError(() => new Conv1d(4, 4, [3, 3] as unknown as number), 'Conv1d', 'kernelSize must be one integer for a 1-D layer');
    expectError(() => new CondConv1d(4, 6, 3, { groups: 4 }), 'CondConv1d', 'groups 4 must divide inChannels 4 and outChannels 6');
    expectError(() => new DepthwiseCondConv1d(0, 3), 'DepthwiseCondConv1d', 'channels must be >= 1');
    expectError(() => new CondConv1d(2, 2, 1, { numExperts: 4, router: new SigmoidRouter(2, 3) }), 'CondConv1d', 'shared router has 3 experts', 'numExperts 4');
    expectError(() => new MaxPool1d(0), 'MaxPool1d', 'kernelSize must be >= 1');
    expectError(() => new AdaptiveAvgPool1d(0), 'AdaptiveAvgPool1d', 'outputSize must be >= 1');
  });
  it('a 2-D input to a 1-D layer, and a router fed the wrong channels, name the shapes', () => {
    expectError(() => new Conv1d(3, 4, 3).forward(randn([2, 3, 1, 8])), 'conv1d', 'x must be [B, C, L]', '[2,3,1,8]');
    expectError(() => new CondConv1d(3, 4, 3).forward(randn([2, 5, 8])), 'SigmoidRouter', 'x must be [B, 3, H, W], [B, 3, L] or [B, 3]', '[2,5,8]');
  });
});
