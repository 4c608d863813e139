// The checkpoint bytes codec: encodeCheckpoint gives exactly the bytes saveCheckpoint writes, decodeCheckpoint/readCheckpoint/loadCheckpoint take them back, and bad bytes are named errors.

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randn } from '../../core/creation.js';
import { CondgradError } from '../../core/errors.js';
import { CondConv2d } from '../../nn/cond_conv.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { Adam } from '../../nn/optim/adam.js';
import { crossEntropy } from '../../ops/softmax.js';
import { loadCheckpoint, readCheckpoint, saveCheckpoint } from '../../nn/checkpoint.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../nn/checkpoint_codec.js';

const net = (seed: number): Sequential =>
  new Sequential(new CondConv2d(1, 3, 3, { numExperts: 2, padding: 1, seed }), new Flatten(), new Linear(3 * 25, 2, { seed: seed + 1 }));

describe('nn/checkpoint_codec', () => {
  it('encodeCheckpoint gives the bytes saveCheckpoint writes; a Uint8Array loads like the file', async () => {
    const a = net(1);
    const opt = new Adam(a.parameters(), { lr: 0.01 });
    const x = randn([2, 1, 5, 5], { seed: 4 });
    crossEntropy(a.forward(x), [0, 1]).backward();
    opt.step();
    const data = { config: { m: 1 }, epoch: 2, step: 7, seed: 3, model: a.stateDict(), optimizer: opt.stateDict(), extra: { k: 'v' } };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-codec-'));
    try {
      const file = path.join(dir, 'a.ckpt');
      const saved = await saveCheckpoint(file, data);
      const enc = await encodeCheckpoint(data);
      expect(Buffer.from(enc.bytes).equals(fs.readFileSync(file))).to.equal(true);
      expect(enc.sha256).to.equal(saved.sha256);
      expect(enc.bytes.byteLength).to.equal(saved.bytes);
      const b = net(9);
      const ck = loadCheckpoint(enc.bytes, b, new Adam(b.parameters(), { lr: 0.5 }));
      expect([ck.epoch, ck.step, ck.seed, ck.extra]).to.deep.equal([2, 7, 3, { k: 'v' }]);
      expect(Array.from(b.forward(x).dataSync())).to.deep.equal(Array.from(a.forward(x).dataSync()));
      expect(readCheckpoint(enc.bytes).tensors.size).to.equal(readCheckpoint(file).tensors.size);
      expect(decodeCheckpoint(enc.bytes.slice().buffer).step).to.equal(7);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad bytes are named errors: truncated, bad magic, flipped payload byte', async () => {
    const { bytes } = await encodeCheckpoint({ config: {}, epoch: 0, step: 0, seed: 1, model: net(2).stateDict() });
    expect(() => readCheckpoint(bytes.subarray(0, 20))).to.throw(
      CondgradError,
      /^loadCheckpoint: checkpoint bytes: truncated: 20 bytes is shorter than the 48-byte prelude$/,
    );
    const magic = bytes.slice();
    magic[0] = 0x58;
    expect(() => readCheckpoint(magic)).to.throw(CondgradError, /^loadCheckpoint: checkpoint bytes: not a condgrad checkpoint \(bad magic\)$/);
    const flipped = bytes.slice();
    flipped[flipped.length - 3] ^= 1;
    expect(() => decodeCheckpoint(flipped, 'net.ckpt')).to.throw(CondgradError, /^loadCheckpoint: net\.ckpt: checksum mismatch/);
    await encodeCheckpoint({ config: {}, epoch: -1, step: 0, seed: 1, model: {} }).then(
      () => expect.fail('no error'),
      (e: Error) => {
        expect(e).to.be.instanceOf(CondgradError);
        expect(e.message).to.equal('encodeCheckpoint: epoch must be a non-negative integer, got -1');
      },
    );
  });
});
