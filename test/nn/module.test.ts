// Module tests: dotted names and their order, shared submodules, state dicts (round trip, strict errors), modes, moves and counts.

import '../../kernels/register.js';
import { expect } from 'chai';
import { randn, tensor, zeros } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import { sum } from '../../ops/broadcast.js';
import { BatchNorm2d } from '../../nn/layers/batchnorm2d.js';
import { CondConv2d } from '../../nn/cond_conv.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { Module } from '../../nn/module.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { SigmoidRouter } from '../../nn/router.js';
import { expectClose } from '../helpers/close.js';
import { expectError } from '../helpers/tensors.js';

class Net extends Module {
  features = new Sequential(new Conv2d(1, 2, 3, { seed: 1 }), new BatchNorm2d(2), new ReLU());
  heads = [new Linear(2, 3, { seed: 2 }), new Linear(3, 1, { seed: 3, bias: false })];
  scale: Tensor = tensor([1.5]).requiresGrad_();
  cache: Tensor | null = null;
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** A block whose router feeds two CondConv layers. */
class SharedBlock extends Module {
  router: SigmoidRouter;
  a: CondConv2d;
  b: CondConv2d;
  constructor() {
    super();
    this.router = new SigmoidRouter(2, 3, { seed: 1 });
    this.a = new CondConv2d(2, 2, 1, { numExperts: 3, router: this.router, seed: 2 });
    this.b = new CondConv2d(2, 2, 1, { numExperts: 3, router: this.router, seed: 3 });
  }
  forward(x: Tensor): Tensor {
    const alpha = this.router.route(x);
    return this.b.forward(this.a.forward(x, alpha), alpha);
  }
}

describe('Module: names and traversal', () => {
  it('names parameters by dotted path in field order (Sequential indices, arrays, tensor fields)', () => {
    const n = new Net();
    expect(n.namedParameters().map(([k]) => k)).to.deep.equal([
      'scale',
      'features.0.weight',
      'features.0.bias',
      'features.1.weight',
      'features.1.bias',
      'heads.0.weight',
      'heads.0.bias',
      'heads.1.weight',
    ]);
    expect(n.namedBuffers().map(([k]) => k)).to.deep.equal(['features.1.runningMean', 'features.1.runningVar']);
    expect(n.namedModules().map(([k]) => k)).to.deep.equal(['', 'features', 'features.0', 'features.1', 'features.2', 'heads.0', 'heads.1']);
    expect(n.children().length).to.equal(3);
  });
  it('stateDict keeps module order: each module’s parameters, then its buffers', () => {
    expect(Object.keys(new Net().stateDict())).to.deep.equal([
      'scale',
      'features.0.weight',
      'features.0.bias',
      'features.1.weight',
      'features.1.bias',
      'features.1.runningMean',
      'features.1.runningVar',
      'heads.0.weight',
      'heads.0.bias',
      'heads.1.weight',
    ]);
  });
  it('a router shared by two CondConv2d layers is listed once, under the block’s path', () => {
    const blk = new SharedBlock();
    const names = blk.namedParameters().map(([k]) => k);
    expect(names).to.deep.equal(['router.fc1.weight', 'router.fc1.bias', 'a.experts', 'a.bias', 'b.experts', 'b.bias']);
    expect(blk.a.router).to.equal(blk.b.router);
    expect(blk.numParameters()).to.equal(2 * 3 + 3 + 2 * (3 * 2 * 2 + 3 * 2));
  });
  it('numParameters: Conv2d(3,8,3) + BatchNorm2d(8) + Linear(8,10) = 224 + 16 + 90', () => {
    const m = new Sequential(new Conv2d(3, 8, 3), new BatchNorm2d(8), new Linear(8, 10));
    expect(m.numParameters()).to.equal(330);
  });
  it('toString prints the tree', () => {
    const s = new Sequential(new Conv2d(1, 2, 3, { padding: 1 }), new ReLU()).toString();
    expect(s).to.equal('Sequential(\n  (0): Conv2d(1, 2, kernelSize=[3,3], padding=1, bias=true)\n  (1): ReLU()\n)');
  });
  it('rejects invalid member names and non-leaf parameters', () => {
    const m = new Sequential();
    expectError(() => m.registerParameter('a.b', zeros([1])), 'Sequential', "'a.b'");
    const t = sum(randn([2]).requiresGrad_());
    expectError(() => m.registerParameter('w', t), 'registerParameter', 'leaf');
  });
});

describe('Module: state dicts', () => {
  it('loadStateDict copies every value: two differently seeded models then agree', () => {
    const a = new Sequential(new Conv2d(1, 2, 3, { seed: 1 }), new BatchNorm2d(2), new ReLU());
    const b = new Sequential(new Conv2d(1, 2, 3, { seed: 2 }), new BatchNorm2d(2), new ReLU());
    a.forward(randn([2, 1, 4, 4], { seed: 5 })); // moves a's running stats
    const x = randn([2, 1, 4, 4], { seed: 6 });
    a.eval();
    b.eval();
    const sd = a.stateDict();
    const before = b.parameters()[0];
    b.loadStateDict(sd);
    expect(b.parameters()[0]).to.equal(before); // same tensor objects, values replaced in place
    expectClose(b.forward(x).dataSync(), a.forward(x).dataSync(), 0);
    expectClose((b.at(1) as BatchNorm2d).runningVar.dataSync(), (a.at(1) as BatchNorm2d).runningVar.dataSync(), 0);
    expect(sd['0.weight'].isDisposed).to.equal(false); // the source stays usable
  });
  it('strict: missing and unexpected keys are named', () => {
    const m = new Linear(2, 3);
    const sd = m.stateDict();
    expectError(() => m.loadStateDict({ weight: sd.weight }), 'loadStateDict', 'missing keys: bias');
    expectError(() => m.loadStateDict({ ...sd, extra: zeros([1]) }), 'loadStateDict', 'unexpected keys: extra');
  });
  it('shape and dtype mismatches name the key and both shapes; nothing is copied', () => {
    const m = new Linear(2, 3, { seed: 1 });
    const w0 = Array.from(m.weight.dataSync());
    expectError(() => m.loadStateDict({ weight: zeros([3, 2]), bias: zeros([4]) }), 'loadStateDict', "'bias'", '[4] float32', '[3] float32');
    expect(Array.from(m.weight.dataSync())).to.deep.equal(w0);
    expectError(() => m.loadStateDict({ weight: zeros([3, 2], { dtype: 'float64' }), bias: zeros([3]) }), 'loadStateDict', "'weight'", 'float64');
  });
  it('non-strict returns the missing and unexpected keys and loads the rest', () => {
    const m = new Linear(2, 3, { seed: 1 });
    const r = m.loadStateDict({ weight: zeros([3, 2]), other: zeros([1]) }, false);
    expect(r).to.deep.equal({ missingKeys: ['bias'], unexpectedKeys: ['other'] });
    expect(Array.from(m.weight.dataSync())).to.deep.equal([0, 0, 0, 0, 0, 0]);
  });
});

describe('Module: modes, grads and moves', () => {
  it('train()/eval() set the flag on every submodule', () => {
    const n = new Net();
    n.eval();
    expect(n.modules().every((m) => !m.training)).to.equal(true);
    n.train();
    expect(n.modules().every((m) => m.training)).to.equal(true);
  });
  it("to('float64') casts parameters and buffers, keeping requiresGrad and sharing", () => {
    const blk = new SharedBlock().to('float64');
    for (const [, t] of Object.entries(blk.stateDict())) expect(t.dtype).to.equal('float64');
    expect(blk.parameters().every((p) => p.requiresGrad && p.node === null)).to.equal(true);
    expect(blk.a.router).to.equal(blk.router);
    const y = blk.forward(randn([1, 2, 3, 3], { dtype: 'float64', seed: 1 }));
    expect(y.dtype).to.equal('float64');
    const bn = new BatchNorm2d(2).to('float64');
    expect(bn.runningVar.dtype).to.equal('float64');
    expect(bn.runningVar.requiresGrad).to.equal(false);
  });
  it('zeroGrad clears every parameter gradient', () => {
    const l = new Linear(2, 2);
    sum(l.forward(randn([3, 2]))).backward();
    expect(l.weight.grad).to.not.equal(null);
    l.zeroGrad();
    expect(l.parameters().every((p) => p.grad === null)).to.equal(true);
  });
  it('getSubmodule and setParameter address modules and parameters by dotted name', () => {
    const n = new Net();
    expect(n.getSubmodule('features.1')).to.be.instanceOf(BatchNorm2d);
    const w = zeros([3, 2]).requiresGrad_();
    n.setParameter('heads.0.weight', w);
    expect(n.heads[0].weight).to.equal(w);
    expectError(() => n.setParameter('heads.0.nope', w), 'setParameter', 'heads.0.nope');
  });
});
