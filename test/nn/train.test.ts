// Training-loop tests: same seed → identical losses, a resumed run equals the uninterrupted one, log and checkpoint files, temperature hook.

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CondgradError } from '../../core/errors.js';
import { CondConv2d } from '../../nn/cond_conv.js';
import { BatchNorm2d } from '../../nn/layers/batchnorm2d.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { SoftmaxRouter } from '../../nn/router.js';
import { TemperatureSchedule } from '../../nn/temperature.js';
import { Adam } from '../../nn/optim/adam.js';
import { SGD } from '../../nn/optim/sgd.js';
import { cosineLR } from '../../nn/optim/schedule.js';
import { DataLoader } from '../../nn/data/loader.js';
import { loadMnist } from '../../nn/data/mnist.js';
import { readCheckpoint } from '../../nn/checkpoint.js';
import { train, type TrainOptions } from '../../nn/train.js';
import { evaluate } from '../../nn/evaluate.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import type { AnyBackend, Storage } from '../../core/backend.js';

/** The cpu backend with a count of live storages (every storage a kernel returns, minus disposals). */
function countingBackend(): { backend: AnyBackend; live: () => number } {
  const live = new Set<Storage>();
  const passive = new Set(['read', 'readSync', 'dispose', 'memory', 'name', 'dtypes']);
  const backend = new Proxy(cpuBackend, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = v as (...args: unknown[]) => unknown;
      if (prop === 'dispose')
        return (st: Storage) => {
          live.delete(st);
          return fn.call(target, st);
        };
      if (passive.has(String(prop))) return fn.bind(target);
      return (...args: unknown[]) => {
        const out = fn.apply(target, args) as Storage | Storage[] | Record<string, Storage | null>;
        // A kernel returns a storage, an array of them (adamStep: the new p, m, v) or (batch norm) an object of named storages.
        if (Array.isArray(out)) for (const s of out) live.add(s);
        else if ('dtype' in out) live.add(out as Storage);
        else for (const s of Object.values(out)) if (s !== null) live.add(s);
        return out;
      };
    },
  });
  return { backend, live: () => live.size };
}

/** CondConv 1→4 3×3 s=2 (K=2, softmax router, expert dropout 0.2) → BN → ReLU → flatten → linear 784→10; x [B,1,28,28]. */
function tiny(seed: number): Sequential {
  return new Sequential(
    new CondConv2d(1, 4, 3, { stride: 2, padding: 1, numExperts: 2, router: { kind: 'softmax', expertDropout: 0.2 }, seed }),
    new BatchNorm2d(4),
    new ReLU(),
    new Flatten(),
    new Linear(4 * 14 * 14, 10, { seed: seed + 1 }),
  );
}

function loaders(seed: number): { train: DataLoader; test: DataLoader } {
  const { train, test } = loadMnist({ train: 256, test: 64 });
  return {
    train: new DataLoader(train, { batchSize: 32, seed, shift: 2, mixup: 0.4 }),
    test: new DataLoader(test, { batchSize: 64, shuffle: false }),
  };
}

async function run(seed: number, extra: Partial<TrainOptions> = {}, epochs = 2): Promise<{ losses: number[]; model: Sequential; opt: Adam }> {
  const model = tiny(seed);
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const r = await train(model, loaders(seed), {
    epochs,
    optimizer: opt,
    maxBatches: 3,
    temperature: new TemperatureSchedule({ from: 10, to: 1, duration: 2 }),
    ...extra,
  });
  return { losses: r.stepLosses, model, opt };
}

describe('nn/train', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-train-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('MNIST x=[32,1,28,28] CondConv K=2 softmax, shift+mixup+expert dropout: same seed → identical step losses; another seed differs', async () => {
    const a = await run(1);
    const b = await run(1);
    expect(a.losses.length).to.equal(6);
    expect(a.losses.every(Number.isFinite)).to.equal(true);
    expect(a.losses).to.deep.equal(b.losses);
    const c = await run(2);
    expect(c.losses).to.not.deep.equal(a.losses);
  });

  it('2 epochs straight = 1 epoch + resume from its checkpoint for 1 epoch (losses, parameters, history)', async () => {
    const straight = await run(3);
    const ckpt = path.join(dir, 'run.ckpt');
    const first = await run(3, { checkpointFile: ckpt }, 1);
    expect(first.losses).to.deep.equal(straight.losses.slice(0, 3));
    const model = tiny(99);
    const opt = new Adam(model.parameters(), { lr: 0.5 });
    const log = path.join(dir, 'log.json');
    const r = await train(model, loaders(3), {
      epochs: 1,
      optimizer: opt,
      maxBatches: 3,
      resume: ckpt,
      logFile: log,
      checkpointFile: ckpt,
      temperature: new TemperatureSchedule({ from: 10, to: 1, duration: 2 }),
    });
    expect(r.stepLosses).to.deep.equal(straight.losses.slice(3));
    expect(r.globalStep).to.equal(6);
    const sdA = straight.model.stateDict();
    const sdB = model.stateDict();
    for (const k of Object.keys(sdA)) expect(sdB[k].dataSync(), k).to.deep.equal(sdA[k].dataSync());
    const json = JSON.parse(fs.readFileSync(log, 'utf8')) as { epochs: { epoch: number; temperature: number }[] };
    expect(json.epochs.map((e: { epoch: number }) => e.epoch)).to.deep.equal([1, 2]);
    expect(json.epochs[1].temperature).to.equal(5.5);
    expect(readCheckpoint(ckpt).epoch).to.equal(2);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['log.json', 'run.ckpt']);
  });

  it('epoch records: losses, accuracies in [0,1], eval on the test loader; temperature applied to the router', async () => {
    const model = tiny(4);
    const seen: number[] = [];
    const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const r = await train(model, loaders(4), {
      epochs: 2,
      optimizer: opt,
      maxBatches: 2,
      schedule: cosineLR(0.05, { total: 4 }),
      temperature: new TemperatureSchedule({ from: 30, to: 1, duration: 10 }),
      onEpochStart: (_e, m) => seen.push((m.modules().find((x) => x instanceof SoftmaxRouter) as SoftmaxRouter).temperature),
    });
    expect(seen).to.deep.equal([30, 27.1]);
    expect(r.history.map((h) => h.steps)).to.deep.equal([2, 2]);
    for (const h of r.history) {
      expect(h.trainAccuracy).to.be.within(0, 1);
      expect(h.testAccuracy!).to.be.within(0, 1);
      expect(h.testLoss!).to.be.greaterThan(0);
    }
    expect(r.history[1].lr).to.be.closeTo(0.05 * 0.5 * (1 + Math.cos((Math.PI * 3) / 4)), 1e-12);
    const ev = await evaluate(model, loaders(4).test);
    expect(ev.samples).to.equal(64);
    expect(ev.loss).to.be.closeTo(r.history[1].testLoss!, 1e-9);
    expect(model.training).to.equal(true);
  });

  it('learns: plain Adam on 512 digits for 3 epochs beats chance on held-out digits', async () => {
    const { train: tr, test: te } = loadMnist({ train: 512, test: 256 });
    const model = new Sequential(new Flatten(), new Linear(784, 10, { seed: 5 }));
    const r = await train(
      model,
      { train: new DataLoader(tr, { batchSize: 64, seed: 5 }), test: new DataLoader(te, { batchSize: 256, shuffle: false }) },
      {
        epochs: 3,
        optimizer: new Adam(model.parameters(), { lr: 0.01 }),
      },
    );
    expect(r.history[2].trainLoss).to.be.lessThan(r.history[0].trainLoss);
    expect(r.history[2].testAccuracy!).to.be.greaterThan(0.6);
  });

  it('no storage leaks: live storages after 2 and after 6 steps are equal (Adam, BN, CondConv, mixup)', async () => {
    const { backend, live } = countingBackend();
    const model = new Sequential(
      new CondConv2d(1, 4, 3, { stride: 2, padding: 1, numExperts: 2, router: { kind: 'softmax', expertDropout: 0.2 }, seed: 1, backend }),
      new BatchNorm2d(4, { backend }),
      new ReLU(),
      new Flatten(),
      new Linear(4 * 14 * 14, 10, { seed: 2, backend }),
    );
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const counts: number[] = [];
    await train(model, { train: loaders(1).train }, { epochs: 2, optimizer: opt, maxBatches: 2, onEpoch: () => counts.push(live()) });
    await train(model, { train: loaders(1).train }, { epochs: 2, optimizer: opt, maxBatches: 2, onEpoch: () => counts.push(live()) });
    expect(model.parameters()[0].backend).to.equal(backend);
    expect(counts[0]).to.be.greaterThan(0);
    expect(counts).to.deep.equal([counts[0], counts[0], counts[0], counts[0]]);
  });

  it('rejects bad options and a resume with another seed', async () => {
    const model = tiny(1);
    const opt = new Adam(model.parameters());
    let err: unknown = null;
    try {
      await train(model, loaders(1), { epochs: 0, optimizer: opt });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    expect(String(err)).to.match(/epochs must be a positive integer/);
    const ckpt = path.join(dir, 'x.ckpt');
    await run(1, { checkpointFile: ckpt }, 1);
    err = null;
    try {
      await train(model, loaders(1), { epochs: 1, optimizer: opt, resume: ckpt, seed: 2 });
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/seed 2 differs from the checkpoint's seed 1/);
  });

  it('rejects a missing or wrong model, loaders, options or optimizer with a named error before it runs', async () => {
    const model = tiny(1);
    const opt = new Adam(model.parameters());
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => train(null as unknown as Sequential, loaders(1), { epochs: 1, optimizer: opt }), /train: model must be a Module, got null/],
      [
        () => train(model, null as unknown as ReturnType<typeof loaders>, { epochs: 1, optimizer: opt }),
        /train: loaders must be \{ train, test\? \} with DataLoaders, got null/,
      ],
      [() => train(model, { train: [] as unknown as DataLoader }, { epochs: 1, optimizer: opt }), /train: loaders.train must be a DataLoader, got an array/],
      [
        () => train(model, { ...loaders(1), test: 5 as unknown as DataLoader }, { epochs: 1, optimizer: opt }),
        /train: loaders.test must be a DataLoader or absent, got number/,
      ],
      [() => train(model, loaders(1), null as unknown as TrainOptions), /train: options must be an object with epochs and optimizer, got null/],
      [
        () => train(model, loaders(1), { epochs: 1, optimizer: {} as unknown as Adam }),
        /train: optimizer must be an Optimizer \(SGD, Adam, AdamW\), got object/,
      ],
    ];
    for (const [call, re] of cases) {
      let err: unknown = null;
      try {
        await call();
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).to.be.instanceOf(CondgradError);
      expect(String(err)).to.match(re);
    }
  });
});
