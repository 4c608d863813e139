// Moves off the gpu: tensors, modules, state dicts, optimizer state, checkpoints and safetensors files of gpu models, read back asynchronously.

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randn, tensor } from '../../core/creation.js';
import { CondgradError } from '../../core/errors.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../../nn/checkpoint.js';
import { loadModelSafetensors, saveModelSafetensors } from '../../nn/io/safetensors_file.js';
import { createModel, type ZooModel } from '../../nn/models/index.js';
import type { InvertedResidualBlock } from '../../nn/models/mobilenet_v2.js';
import type { Module } from '../../nn/module.js';
import { Adam } from '../../nn/optim/adam.js';
import { crossEntropy } from '../../ops/softmax.js';
import { describeGpu, expectRel } from '../helpers/gpu.js';

const model = (seed: number, backend?: AnyBackend): ZooModel =>
  createModel('mobilenet-v2', { convert: 'last', experts: 3, width: 0.5, inputSize: 8, seed, backend });

async function values(m: { stateDict(): Record<string, Tensor> }): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = Array.from(await t.data());
  return out;
}

/** Two Adam steps on a fixed batch, so BN buffers and Adam moments are non-trivial. */
async function train(m: Module, opt: Adam, backend: AnyBackend): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) {
    const l = tidy(() => {
      const loss = crossEntropy(m.forward(randn([4, 1, 8, 8], { seed: 20 + i, backend })), [0, 1, 2, 3]);
      loss.backward();
      opt.step();
      opt.zeroGrad();
      return loss;
    });
    losses.push((await l.data())[0]);
    l.dispose();
  }
  return losses;
}

describeGpu('moves off the gpu backend', (gpu) => {
  it('Tensor: to() names toAsync; toAsync reads back and keeps requiresGrad', async () => {
    const t = tensor([1, -2, 3.5], [3], { backend: gpu() }).requiresGrad_();
    expect(() => t.to('cpu')).to.throw(CondgradError, /cannot be read synchronously.*await t\.toAsync/);
    const c = await t.toAsync('cpu');
    expect(c.backend.name).to.equal('cpu');
    expect(c.requiresGrad).to.equal(true);
    expect(Array.from(c.dataSync())).to.deep.equal([1, -2, 3.5]);
    const back = await c.toAsync(gpu());
    expect(Array.from(await back.data())).to.deep.equal([1, -2, 3.5]);
    let err: unknown = null;
    try {
      await tensor([1], [1], { dtype: 'float64', backend: 'cpu' }).toAsync(gpu());
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(/does not store float64/);
    for (const x of [t, c, back]) x.dispose();
  });

  it('Module.toAsync: a gpu model comes back to the cpu with the same values, sharing kept, computing the same', async function () {
    this.timeout(120000);
    const onCpu = model(1);
    const want = await values(onCpu);
    const m = model(1).to(gpu());
    expect(() => model(1).to(gpu()).to('cpu')).to.throw(CondgradError, /toAsync/);
    const x = randn([2, 1, 8, 8], { seed: 3 });
    const yGpu = await m.eval().forward(x.to(gpu())).data();
    expect(await m.toAsync('cpu')).to.equal(m);
    for (const t of Object.values(m.stateDict())) expect(t.backend.name).to.equal('cpu');
    expect(m.parameters().every((p) => p.requiresGrad)).to.equal(true);
    expect(await values(m)).to.deep.equal(want);
    // The block router is still one module shared by the block's CondConvs, and its weight one tensor.
    const blk = m.getSubmodule('blocks.4') as InvertedResidualBlock;
    const conv = blk.dw.conv as unknown as { router: Module };
    expect(conv.router).to.equal(blk.router);
    expectRel(m.forward(x).dataSync(), yGpu, 1e-4, 1e-5, 'cpu forward after the move vs gpu forward');
  });

  it('loadStateDictAsync and Optimizer.loadStateDictAsync: gpu state into cpu objects, then the same next step', async function () {
    this.timeout(120000);
    const g = model(1).to(gpu());
    const gOpt = new Adam(g.parameters(), { lr: 1e-3 });
    await train(g, gOpt, gpu());
    const c = model(2);
    const before = await values(c);
    expect(() => c.loadStateDict(g.stateDict())).to.throw(CondgradError, /toAsync/);
    expect(await values(c), 'the failed sync load changed nothing').to.deep.equal(before);
    const cOpt = new Adam(c.parameters(), { lr: 5 });
    const lrBefore = cOpt.lr;
    expect(() => cOpt.loadStateDict(gOpt.stateDict())).to.throw(CondgradError, /toAsync/);
    expect(cOpt.lr, 'the failed sync load changed nothing').to.equal(lrBefore);
    expect(await c.loadStateDictAsync(g.stateDict())).to.deep.equal({ missingKeys: [], unexpectedKeys: [] });
    await cOpt.loadStateDictAsync(gOpt.stateDict());
    expect(cOpt.lr).to.equal(1e-3);
    const gState = gOpt.stateDict(),
      cState = cOpt.stateDict();
    expect(Object.keys(cState.tensors)).to.deep.equal(Object.keys(gState.tensors));
    for (const [k, t] of Object.entries(gState.tensors)) expect(Array.from(cState.tensors[k].dataSync()), k).to.deep.equal(Array.from(await t.data()));
    expect(await values(c)).to.deep.equal(await values(g));
    // Strict checks still run first.
    const { [Object.keys(g.stateDict())[0]]: _drop, ...partial } = g.stateDict();
    let err: unknown = null;
    try {
      await c.loadStateDictAsync(partial);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(/loadStateDict: .*missing keys/);
    // Two more steps on each side: the losses agree (parameters of tiny-gradient BN biases may not, as Adam scales noise to ~lr).
    const gl = await train(g, gOpt, gpu());
    const cl = await train(c, cOpt, c.parameters()[0].backend);
    for (let i = 0; i < 2; i++) expect(Math.abs(gl[i] - cl[i]), `step ${i}: gpu ${gl[i]}, cpu ${cl[i]}`).to.be.at.most(1e-3);
    expect(cOpt.stateDict().meta.steps).to.deep.equal(gOpt.stateDict().meta.steps);
  });

  it('checkpoints and safetensors files of a gpu model: save reads back asynchronously, load restores on the gpu', async function () {
    this.timeout(120000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-gpu-'));
    const g = model(1).to(gpu());
    const opt = new Adam(g.parameters(), { lr: 1e-3 });
    await train(g, opt, gpu());
    const ck = path.join(dir, 'ck.bin');
    await saveCheckpoint(ck, { config: { model: 'mobilenet-v2' }, epoch: 1, step: 2, seed: 1, model: g.stateDict(), optimizer: opt.stateDict() });
    const g2 = model(2).to(gpu());
    const opt2 = new Adam(g2.parameters(), { lr: 9 });
    const loaded = loadCheckpoint(ck, g2, opt2);
    expect(loaded.step).to.equal(2);
    for (const t of Object.values(g2.stateDict())) expect(t.backend.name).to.equal('gpu');
    expect(await values(g2)).to.deep.equal(await values(g));
    expect(opt2.lr).to.equal(1e-3);
    for (const [k, t] of Object.entries(opt.stateDict().tensors))
      expect(Array.from(await opt2.stateDict().tensors[k].data()), k).to.deep.equal(Array.from(await t.data()));
    // The same checkpoint restores into a cpu model too.
    const c = model(3);
    loadCheckpoint(ck, c);
    expect(await values(c)).to.deep.equal(await values(g));
    const st = path.join(dir, 'm.safetensors');
    await saveModelSafetensors(g, st);
    const g3 = model(4).to(gpu());
    loadModelSafetensors(g3, st);
    expect(await values(g3)).to.deep.equal(await values(g));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
