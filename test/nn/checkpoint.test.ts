// Checkpoint tests: save → load round trip, atomic overwrite, and clear errors for truncated, corrupted and mismatched files.

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randn } from '../../core/creation.js';
import { CondgradError } from '../../core/errors.js';
import { crossEntropy } from '../../ops/softmax.js';
import { BatchNorm2d } from '../../nn/layers/batchnorm2d.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { Adam } from '../../nn/optim/adam.js';
import { loadCheckpoint, readCheckpoint, saveCheckpoint, type CheckpointData } from '../../nn/checkpoint.js';

/** conv 1→4 3×3 → BN → ReLU → flatten → linear 4·6·6 → 3, for x [B,1,6,6]. */
function tinyNet(seed: number, hidden = 4): Sequential {
  return new Sequential(
    new Conv2d(1, hidden, 3, { padding: 1, seed }),
    new BatchNorm2d(hidden),
    new ReLU(),
    new Flatten(),
    new Linear(hidden * 36, 3, { seed: seed + 1 }),
  );
}

/** Two Adam steps on a fixed batch, so BN buffers and optimizer moments are non-trivial. */
function trained(seed: number): { net: Sequential; opt: Adam } {
  const net = tinyNet(seed);
  const opt = new Adam(net.parameters(), { lr: 0.01 });
  const x = randn([4, 1, 6, 6], { seed: 99 });
  for (let i = 0; i < 2; i++) {
    opt.zeroGrad();
    crossEntropy(net.forward(x), [0, 1, 2, 1]).backward();
    opt.step();
  }
  return { net, opt };
}

function data(net: Sequential, opt: Adam, epoch: number): CheckpointData {
  return { config: { model: 'tiny', hidden: 4 }, epoch, step: epoch * 10, seed: 5, model: net.stateDict(), optimizer: opt.stateDict(), extra: { note: 'x' } };
}

describe('nn/checkpoint', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-ckpt-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('save → load into a fresh model x=[2,1,6,6]: identical eval outputs, optimizer state and run state', async () => {
    const { net, opt } = trained(1);
    const file = path.join(dir, 'a.ckpt');
    const { bytes, sha256 } = await saveCheckpoint(file, data(net, opt, 3));
    expect(fs.statSync(file).size).to.equal(bytes);
    expect(sha256).to.match(/^[0-9a-f]{64}$/);
    const fresh = tinyNet(7);
    const freshOpt = new Adam(fresh.parameters(), { lr: 0.5 });
    const ck = loadCheckpoint(file, fresh, freshOpt);
    expect([ck.epoch, ck.step, ck.seed, ck.version]).to.deep.equal([3, 30, 5, 1]);
    expect(ck.config).to.deep.equal({ model: 'tiny', hidden: 4 });
    expect(ck.extra).to.deep.equal({ note: 'x' });
    const x = randn([2, 1, 6, 6], { seed: 3 });
    net.eval();
    fresh.eval();
    expect(fresh.forward(x).dataSync()).to.deep.equal(net.forward(x).dataSync());
    expect(freshOpt.lr).to.equal(0.01);
    const a = opt.stateDict();
    const b = freshOpt.stateDict();
    expect(b.meta).to.deep.equal(a.meta);
    for (const k of Object.keys(a.tensors)) expect(b.tensors[k].dataSync(), k).to.deep.equal(a.tensors[k].dataSync());
  });

  it('overwriting keeps one file and leaves no temp files', async () => {
    const { net, opt } = trained(1);
    const file = path.join(dir, 'a.ckpt');
    await saveCheckpoint(file, data(net, opt, 1));
    await saveCheckpoint(file, data(net, opt, 2));
    expect(fs.readdirSync(dir)).to.deep.equal(['a.ckpt']);
    expect(readCheckpoint(file).epoch).to.equal(2);
  });

  it('a failed save (disposed tensor) throws and leaves the previous file intact', async () => {
    const { net, opt } = trained(1);
    const file = path.join(dir, 'a.ckpt');
    await saveCheckpoint(file, data(net, opt, 1));
    const before = fs.readFileSync(file);
    const sd = net.stateDict();
    const dead = randn([2]);
    dead.dispose();
    let err: unknown = null;
    try {
      await saveCheckpoint(file, { ...data(net, opt, 2), model: { ...sd, extra: dead } });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    expect(String(err)).to.match(/'model.extra' \[2\] was disposed/);
    expect(fs.readFileSync(file).equals(before)).to.equal(true);
    expect(fs.readdirSync(dir)).to.deep.equal(['a.ckpt']);
  });

  it('a write that fails at rename (target is a directory) leaves no temp file behind', async () => {
    const { net, opt } = trained(1);
    const target = path.join(dir, 'isdir');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep'), 'x');
    let err: unknown = null;
    try {
      await saveCheckpoint(target, data(net, opt, 1));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    expect(String(err)).to.match(/could not write/);
    expect(fs.readdirSync(dir)).to.deep.equal(['isdir']);
  });

  it('a truncated file fails with a clear error', async () => {
    const { net, opt } = trained(1);
    const file = path.join(dir, 'a.ckpt');
    await saveCheckpoint(file, data(net, opt, 1));
    const full = fs.readFileSync(file);
    for (const len of [20, 100, full.length - 1]) {
      fs.writeFileSync(file, full.subarray(0, len));
      expect(() => readCheckpoint(file), `length ${len}`).to.throw(CondgradError, /truncated|checksum mismatch/);
    }
  });

  it('a flipped byte anywhere (magic, version, header, payload, checksum) fails with a clear error', async () => {
    const { net, opt } = trained(1);
    const file = path.join(dir, 'a.ckpt');
    await saveCheckpoint(file, data(net, opt, 1));
    const good = fs.readFileSync(file);
    const cases: [number, RegExp][] = [
      [0, /bad magic/],
      [8, /unsupported format version/],
      [30, /checksum mismatch/],
      [60, /checksum mismatch/],
      [good.length - 3, /checksum mismatch/],
      [Math.floor(good.length * 0.7), /checksum mismatch/],
    ];
    for (const [at, re] of cases) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x10;
      fs.writeFileSync(file, bad);
      expect(() => readCheckpoint(file), `byte ${at}`).to.throw(CondgradError, re);
    }
    fs.writeFileSync(file, good);
    expect(readCheckpoint(file).epoch).to.equal(1);
  });

  it('mismatched model (hidden 4 vs 5) fails naming the tensor and shapes, and changes nothing', async () => {
    const { net, opt } = trained(1);
    const file = path.join(dir, 'a.ckpt');
    await saveCheckpoint(file, data(net, opt, 1));
    const other = tinyNet(2, 5);
    const before = other.stateDict()['0.weight'].dataSync();
    expect(() => loadCheckpoint(file, other)).to.throw(
      CondgradError,
      /does not match the model: '0\.weight' is \[4,1,3,3\] float32 in the file but \[5,1,3,3\] float32 in the model/,
    );
    expect(other.stateDict()['0.weight'].dataSync()).to.deep.equal(before);
    const wider = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }));
    expect(() => loadCheckpoint(file, wider)).to.throw(CondgradError, /unexpected '1\.weight'/);
  });

  it('a missing file fails with a clear error', () => {
    expect(() => readCheckpoint(path.join(dir, 'nope.ckpt'))).to.throw(CondgradError, /cannot read .*nope\.ckpt/);
  });
});
