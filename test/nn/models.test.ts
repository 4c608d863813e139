// Model zoo tests: shapes for every model × convert × routing, CondConv placement, shared block routers, summaries, and overfitting a batch.

import '../../kernels/register.js';
import { expect } from 'chai';
import { randn } from '../../core/creation.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { crossEntropy } from '../../ops/softmax.js';
import { CondConv2d, DepthwiseCondConv2d } from '../../nn/cond_conv.js';
import { CondConv1d } from '../../nn/cond_conv1d.js';
import { CondLinear } from '../../nn/cond_linear.js';
import { Conv1d } from '../../nn/layers/conv1d.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import { MODEL_NAMES, createModel, type ModelName } from '../../nn/models/index.js';
import { Router } from '../../nn/router.js';
import type { Module } from '../../nn/module.js';
import { Adam } from '../../nn/optim/adam.js';
import { expectError } from '../helpers/tensors.js';

const isCond = (m: Module): boolean => m instanceof CondConv2d || m instanceof DepthwiseCondConv2d || m instanceof CondConv1d || m instanceof CondLinear;

function condNames(m: Module): string[] {
  return m
    .namedModules()
    .filter(([, mod]) => isCond(mod))
    .map(([n]) => n);
}

function accuracy(logits: Tensor, labels: readonly number[]): number {
  const d = logits.dataSync();
  const C = logits.shape[1];
  let correct = 0;
  labels.forEach((l, i) => {
    let best = 0;
    for (let k = 1; k < C; k++) if (d[i * C + k] > d[i * C + best]) best = k;
    if (best === l) correct++;
  });
  return correct / labels.length;
}

describe('models: shapes for every model × convert × routing, x=[2,1,28,28]', () => {
  const x = randn([2, 1, 28, 28], { seed: 1 });
  for (const name of MODEL_NAMES) {
    for (const convert of ['none', 'last', 'all'] as const) {
      for (const routing of ['sigmoid', 'softmax'] as const) {
        if (convert === 'none' && routing === 'softmax') continue;
        it(`${name} convert=${convert} routing=${routing} → [2,10]`, () => {
          const m = createModel(name, { convert, routing, seed: 1 });
          expect(tidy(() => m.forward(x).shape)).to.deep.equal([2, 10]);
          const cond = condNames(m);
          if (convert === 'none') expect(cond).to.deep.equal([]);
          else expect(cond.at(-1)).to.equal('head.fc');
          expect(cond.some((n) => n.startsWith('stem'))).to.equal(false);
          expect(m.inputShape).to.deep.equal([1, 28, 28]);
        });
      }
    }
  }
});

describe('models: where CondConv goes', () => {
  it("cnn: 'last' converts only the third conv (and the FC), 'all' every conv", () => {
    expect(condNames(createModel('cnn', { convert: 'last' }))).to.deep.equal(['features.4.conv', 'head.fc']);
    expect(condNames(createModel('cnn', { convert: 'all' }))).to.deep.equal(['features.0.conv', 'features.2.conv', 'features.4.conv', 'head.fc']);
    const plain = createModel('cnn', { convert: 'none', width: 0.5 });
    expect(plain.getSubmodule('features.0.conv')).to.be.instanceOf(Conv2d);
    expect((plain.getSubmodule('features.0.conv') as Conv2d).outChannels).to.equal(8);
    expect(plain.getSubmodule('head.fc')).to.be.instanceOf(Linear);
  });
  it("seq-cnn: reads x [B,1,28,28] as 28 steps of 28 features; 'last' converts the second stage's Conv1d, 'all' both; the stem stays plain", () => {
    expect(condNames(createModel('seq-cnn', { convert: 'last' }))).to.deep.equal(['features.3', 'head.fc']);
    expect(condNames(createModel('seq-cnn', { convert: 'all' }))).to.deep.equal(['features.0', 'features.3', 'head.fc']);
    const plain = createModel('seq-cnn', { convert: 'none', width: 0.5 });
    expect((plain.getSubmodule('stem.0') as Conv1d).inChannels).to.equal(28);
    expect((plain.getSubmodule('stem.0') as Conv1d).outChannels).to.equal(16);
    const s = createModel('seq-cnn', { convert: 'all', experts: 3 }).summary([1, 28, 28]);
    expect(s.rows.find((r) => r.name === 'features.0')!.inputShape).to.deep.equal([1, 32, 28]);
    expect(s.rows.find((r) => r.name === 'head')!.inputShape).to.deep.equal([1, 64, 7]);
  });
  it("mobilenet-v1 'last': the last stage's two blocks share one router between depthwise and pointwise", () => {
    const m = createModel('mobilenet-v1', { convert: 'last', experts: 3 });
    expect(condNames(m)).to.deep.equal(['blocks.3.dw.conv', 'blocks.3.pw.conv', 'blocks.4.dw.conv', 'blocks.4.pw.conv', 'head.fc']);
    const blk = m.getSubmodule('blocks.3') as Module & { router: Router };
    expect((m.getSubmodule('blocks.3.dw.conv') as DepthwiseCondConv2d).router).to.equal(blk.router);
    expect((m.getSubmodule('blocks.3.pw.conv') as CondConv2d).router).to.equal(blk.router);
    expect(blk.router.numExperts).to.equal(3);
  });
  it('mobilenet-v2: expand, depthwise and project of a block share its router; names list it once', () => {
    const m = createModel('mobilenet-v2', { convert: 'all', width: 0.5 });
    const names = m.namedParameters().map(([n]) => n);
    expect(names.filter((n) => n.includes('.conv.router.'))).to.deep.equal([]);
    expect(names).to.include('blocks.1.router.fc1.weight');
    const r = (m.getSubmodule('blocks.1') as Module & { router: Router }).router;
    for (const part of ['expand', 'dw', 'project']) expect((m.getSubmodule(`blocks.1.${part}.conv`) as CondConv2d).router).to.equal(r);
  });
  it('resnet: conv1 and conv2 share the block router, the projection shortcut stays plain, and both send it gradient', () => {
    const m = createModel('resnet', { convert: 'last', width: 0.25, inputSize: 8, seed: 3 });
    expect(condNames(m)).to.deep.equal(['blocks.2.conv1.conv', 'blocks.2.conv2.conv', 'head.fc']);
    expect(m.getSubmodule('blocks.2.shortcut.conv')).to.be.instanceOf(Conv2d);
    crossEntropy(m.forward(randn([4, 1, 8, 8], { seed: 4 })), [0, 1, 2, 3]).backward();
    const router = (m.getSubmodule('blocks.2') as Module & { router: Router }).router;
    expect(router.parameters().every((p) => p.grad !== null && Array.from(p.grad.dataSync()).some((v) => v !== 0))).to.equal(true);
  });
});

describe('models: summary and options', () => {
  for (const name of MODEL_NAMES) {
    it(`${name} convert=all: summary rows add up to numParameters, [1,28,28]`, () => {
      const m = createModel(name, { convert: 'all', routing: 'softmax', width: 0.5 });
      const s = m.summary(m.inputShape);
      expect(s.totalParams).to.equal(m.numParameters());
      expect(s.rows.reduce((a, r) => a + r.params, 0)).to.equal(m.numParameters());
      expect(s.macsByKind.mixing).to.be.greaterThan(0);
      expect(s.macsByKind.routing).to.be.greaterThan(0);
    });
  }
  it('rejects an unknown model, a bad convert mode and a too small input', () => {
    expectError(() => createModel('vgg' as ModelName), 'createModel', "'vgg'", 'mobilenet-v2');
    expectError(() => createModel('cnn', { convert: 'some' as 'all' }), 'cnn', 'convert');
    expectError(() => createModel('resnet', { inputSize: 2 }), 'resnet', 'inputSize 2');
  });
});

describe('models: expert dropout', () => {
  it("mobilenet-v1 K=8 all, p=0.2: every router (shared block routers and the head's) drops in training only; eval equals p=0", () => {
    const make = (p: number) => createModel('mobilenet-v1', { width: 0.25, experts: 8, convert: 'all', expertDropout: p, seed: 4 });
    const drop = make(0.2);
    const none = make(0);
    const routers = drop.modules().filter((m): m is Router => m instanceof Router);
    expect(routers.length).to.equal(6);
    expect(routers.every((r) => r.expertDropout === 0.2)).to.equal(true);
    const x = randn([4, 1, 28, 28], { seed: 5 });
    drop.eval();
    none.eval();
    expect(Array.from(drop.forward(x).dataSync())).to.deep.equal(Array.from(none.forward(x).dataSync()));
    drop.train();
    none.train();
    const a = drop.forward(x).dataSync();
    const b = none.forward(x).dataSync();
    expect(Array.from(a).some((v, i) => Math.abs(v - b[i]) > 1e-4)).to.equal(true);
  });
});

describe('models: overfit a batch of 32 (4 classes, x=[32,1,8,8], Adam, 20 steps)', () => {
  for (const [name, routing] of [
    ['cnn', 'sigmoid'],
    ['mobilenet-v1', 'softmax'],
  ] as const) {
    it(`${name} convert=all routing=${routing} reaches 100% training accuracy and the loss falls`, () => {
      const labels = Array.from({ length: 32 }, (_, i) => i % 4);
      const x = randn([32, 1, 8, 8], { seed: 5 });
      const m = createModel(name, { width: 0.5, convert: 'all', routing, inputSize: 8, numClasses: 4, seed: 2 });
      const opt = new Adam(m.parameters(), { lr: 0.02 });
      const losses: number[] = [];
      let acc = 0;
      for (let step = 0; step < 20; step++) {
        tidy(() => {
          opt.zeroGrad();
          const y = m.forward(x);
          const loss = crossEntropy(y, labels);
          loss.backward();
          opt.step();
          losses.push(loss.item());
          acc = accuracy(y, labels);
        });
      }
      expect(acc).to.equal(1);
      expect(losses[19]).to.be.lessThan(0.05 * losses[0]);
      const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
      expect(mean(losses.slice(15))).to.be.lessThan(mean(losses.slice(0, 5)));
    });
  }
});
