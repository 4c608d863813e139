// Checkpoint contents: bad JSON values refused at save naming the field; bad headers with a valid checksum refused at load; a failed load changes nothing.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call -- these tests edit raw checkpoint headers (parsed JSON) into malformed shapes on purpose */

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randn } from '../../core/creation.js';
import { Rng } from '../../core/random.js';
import { CondgradError } from '../../core/errors.js';
import { crossEntropy } from '../../ops/softmax.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { Adam } from '../../nn/optim/adam.js';
import { SGD } from '../../nn/optim/sgd.js';
import { encodeCheckpointFrame, loadCheckpoint, readCheckpoint, saveCheckpoint, type CheckpointData } from '../../nn/checkpoint.js';

/** conv 1→2 3×3 → flatten → linear 2·4·4 → 3, for x [B,1,4,4]. */
function net(seed: number): Sequential {
  return new Sequential(new Conv2d(1, 2, 3, { padding: 1, seed }), new Flatten(), new Linear(32, 3, { seed: seed + 1 }));
}

function trained(seed: number, betas: [number, number] = [0.9, 0.999]): { m: Sequential; opt: Adam } {
  const m = net(seed);
  const opt = new Adam(m.parameters(), { lr: 0.01, betas });
  crossEntropy(m.forward(randn([2, 1, 4, 4], { seed: 9 })), [0, 2]).backward();
  opt.step();
  opt.zeroGrad();
  return { m, opt };
}

const data = (m: Sequential, opt: Adam): CheckpointData => ({
  config: { model: 'tiny' },
  epoch: 1,
  step: 1,
  seed: 5,
  model: m.stateDict(),
  optimizer: opt.stateDict(),
});

/** Rewrites `file` through the writer's format (valid checksum) after `edit` changed its header (and maybe appended payload bytes). */
function rewrite(file: string, edit: (h: any) => void, extraPayload = 0): void {
  const buf = fs.readFileSync(file);
  const len = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', 48, 48 + len));
  const payload = Buffer.concat([buf.subarray(48 + len), Buffer.alloc(extraPayload)]);
  header.payloadBytes = payload.byteLength;
  edit(header);
  fs.writeFileSync(file, Buffer.concat(encodeCheckpointFrame(header, [payload]).chunks));
}

function snapshot(m: Sequential, opt: Adam): string {
  const sd = opt.stateDict();
  return JSON.stringify({
    model: Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]),
    meta: sd.meta,
    lr: opt.lr,
    buffers: Object.entries(sd.tensors).map(([k, t]) => [k, Array.from(t.dataSync())]),
  });
}

describe('nn/checkpoint contents', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-ckschema-'));
    file = path.join(dir, 'a.ckpt');
    const { m, opt } = trained(1);
    await saveCheckpoint(file, data(m, opt));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('save refuses values JSON cannot hold, naming the field, and writes nothing', async () => {
    const { m, opt } = trained(2);
    const cyclic: Record<string, unknown> = { model: 'tiny', nested: { list: [1, 2] } };
    (cyclic.nested as Record<string, unknown>).back = cyclic;
    const shared = { a: 1 };
    const cases: [Partial<CheckpointData>, RegExp][] = [
      [{ config: cyclic }, /saveCheckpoint: config\.nested\.back is a cycle/],
      [{ config: { model: 'tiny', total: 10n } }, /saveCheckpoint: config\.total is a bigint \(10\), which JSON cannot hold/],
      [{ config: { lr: NaN } }, /config\.lr is NaN, which JSON cannot hold/],
      [{ config: { sizes: [1, undefined] } }, /config\.sizes\[1\] is undefined/],
      [{ config: { f: () => 1 } }, /config\.f is a function/],
      [{ extra: { seen: new Map() } }, /extra\.seen is a Map; only plain objects/],
      [{ config: null as unknown as Record<string, unknown> }, /config must be a plain object, got null/],
    ];
    for (const [patch, re] of cases) {
      let err: unknown = null;
      try {
        await saveCheckpoint(path.join(dir, 'b.ckpt'), { ...data(m, opt), ...patch });
      } catch (e) {
        err = e;
      }
      expect(err, String(re)).to.be.instanceOf(CondgradError);
      expect(String(err)).to.match(re);
    }
    expect(fs.readdirSync(dir)).to.deep.equal(['a.ckpt']);
    // A shared (not cyclic) object and an undefined property are fine.
    await saveCheckpoint(path.join(dir, 'b.ckpt'), { ...data(m, opt), config: { x: shared, y: shared, z: undefined } });
    expect(readCheckpoint(path.join(dir, 'b.ckpt')).config).to.deep.equal({ x: { a: 1 }, y: { a: 1 } });
  });

  it('a header with a valid checksum but a bad schema is refused naming the field', () => {
    const cases: [(h: any) => void, RegExp][] = [
      [
        (h) => {
          h.tensors = null;
        },
        /header\.tensors must be an array, got null/,
      ],
      [
        (h) => {
          delete h.state;
        },
        /header\.state must be an object, got nothing/,
      ],
      [
        (h) => {
          h.config = [1];
        },
        /header\.config must be an object, got an array/,
      ],
      [
        (h) => {
          h.state.seed = '7';
        },
        /state\.seed must be a finite number, got a string \("7"\)/,
      ],
      [
        (h) => {
          h.state.epoch = -1;
        },
        /state\.epoch must be a non-negative integer/,
      ],
      [
        (h) => {
          h.state.step = 1.5;
        },
        /state\.step must be a non-negative integer/,
      ],
      [
        (h) => {
          h.state.extra = 'x';
        },
        /state\.extra must be an object/,
      ],
      [
        (h) => {
          h.state.optimizer.steps = [1, -1];
        },
        /state\.optimizer\.steps must be an array of non-negative integers/,
      ],
      [
        (h) => {
          h.state.optimizer.lr = 'fast';
        },
        /state\.optimizer\.lr must be a finite number/,
      ],
      [
        (h) => {
          h.state.optimizer.hyper.eps = null;
        },
        /state\.optimizer\.hyper\.eps must be a finite number/,
      ],
      [
        (h) => {
          h.tensors[0].offset = -8;
        },
        /tensor 'model\.0\.weight': offset must be a non-negative multiple of 8, got a number \(-8\)/,
      ],
      [
        (h) => {
          h.tensors[1].offset = h.tensors[0].offset;
        },
        /tensors 'model\.0\.weight' \(bytes 0\.\.72\) and 'model\.0\.bias' \(from 0\) overlap|overlap/,
      ],
      [
        (h) => {
          h.tensors[0].shape = [-1, -3];
        },
        /tensor 'model\.0\.weight': shape must be an array of non-negative integers, got \[-1,-3\]/,
      ],
      [
        (h) => {
          h.tensors[0].shape = '2x1';
        },
        /shape must be an array of non-negative integers, got "2x1"/,
      ],
      [
        (h) => {
          h.tensors[0].dtype = 'int8';
        },
        /dtype must be float32 or float64, got a string \("int8"\)/,
      ],
      [
        (h) => {
          h.tensors[0].byteLength += 8;
        },
        /needs 72 bytes, the entry says 80/,
      ],
      [
        (h) => {
          h.tensors[0].offset = Math.ceil(h.payloadBytes / 8) * 8;
        },
        /lie past the \d+-byte payload/,
      ],
      [
        (h) => {
          h.tensors[0].name = 7;
        },
        /tensors\[0\]: name must be a non-empty string/,
      ],
      [
        (h) => {
          h.tensors[0].name = 'weights';
        },
        /the name must be model\.<name> or optimizer\.<index>\.<buffer>/,
      ],
      [
        (h) => {
          h.tensors.push({ ...h.tensors[0], name: 'optimizer.__proto__', shape: [0], byteLength: 0 });
        },
        /'optimizer\.__proto__': the name must be/,
      ],
      [
        (h) => {
          h.tensors.push({ ...h.tensors[1] });
        },
        /tensor 'model\.0\.bias' appears twice/,
      ],
      [
        (h) => {
          h.state.optimizer = null;
        },
        /is optimizer state, but the header holds no optimizer/,
      ],
      [
        (h) => {
          h.tensors[0] = 'model.0.weight';
        },
        /tensors\[0\] must be an object/,
      ],
      [
        (h) => {
          h.version = 2;
        },
        /header says format version 2/,
      ],
    ];
    for (const [edit, re] of cases) {
      fs.copyFileSync(file, path.join(dir, 'b.ckpt'));
      rewrite(path.join(dir, 'b.ckpt'), edit);
      expect(() => readCheckpoint(path.join(dir, 'b.ckpt')), String(re)).to.throw(CondgradError, re);
    }
  });

  it("tensor names model.__proto__ and model.constructor are unexpected, not taken for the model's", () => {
    rewrite(
      file,
      (h) => {
        const end = Math.ceil((h.payloadBytes - 24) / 8) * 8;
        h.tensors.push({ name: 'model.__proto__', dtype: 'float32', shape: [2], offset: end, byteLength: 8 });
        h.tensors.push({ name: 'model.constructor', dtype: 'float32', shape: [2], offset: end + 8, byteLength: 8 });
      },
      24,
    );
    const ck = readCheckpoint(file);
    expect([...ck.tensors.keys()]).to.include.members(['model.__proto__', 'model.constructor']);
    const { m } = trained(3);
    expect(() => loadCheckpoint(file, m)).to.throw(CondgradError, /does not match the model: unexpected '__proto__'; unexpected 'constructor'/);
  });

  it('a failed load leaves the model and the optimizer exactly as they were', () => {
    const { m, opt } = trained(4, [0.8, 0.99]);
    const before = snapshot(m, opt);
    const bad = path.join(dir, 'bad.ckpt');
    // Adam's betas[0] is valid, betas[1] is not: the optimizer must not keep beta1 = 0.9.
    fs.copyFileSync(file, bad);
    rewrite(bad, (h) => {
      h.state.optimizer.hyper.betas = [0.9, 1.5];
    });
    expect(() => loadCheckpoint(bad, m, opt)).to.throw(CondgradError, /betas\[1\] must be a finite number in \[0, 1\)/);
    expect(snapshot(m, opt)).to.equal(before);
    // State for a different optimizer kind.
    const sgd = new SGD(m.parameters(), { lr: 0.1, momentum: 0.5 });
    expect(() => loadCheckpoint(file, m, sgd)).to.throw(CondgradError, /state is for optimizer 'adam', this is 'sgd'/);
    expect(snapshot(m, opt)).to.equal(before);
    // A buffer of the wrong shape for its parameter (the name says params[1], the shape is params[0]'s).
    fs.copyFileSync(file, bad);
    rewrite(bad, (h) => {
      const w = h.tensors.find((e: any) => e.name === 'optimizer.0.exp_avg');
      h.tensors.find((e: any) => e.name === 'optimizer.1.exp_avg').name = 'optimizer.1.unused';
      h.tensors.push({ ...w, name: 'optimizer.1.exp_avg' });
      h.tensors = h.tensors.filter((e: any) => e !== w);
    });
    expect(() => loadCheckpoint(bad, m, opt)).to.throw(CondgradError, /state tensor '1\.exp_avg' has shape \[2,1,3,3\] but params\[1\] has \[2\]/);
    expect(snapshot(m, opt)).to.equal(before);
    // And a good file still loads afterwards.
    loadCheckpoint(file, m, opt);
    expect(opt.stateDict().meta.hyper.betas).to.deep.equal([0.9, 0.999]);
    expect(snapshot(m, opt)).to.not.equal(before);
  });

  it('fuzz: 300 random edits of the header (valid checksum) either load or fail with a CondgradError, changing nothing', () => {
    const rng = new Rng(12);
    const values: unknown[] = [null, -1, 1.5, 0, 1e300, 'x', '', true, [], {}, [-1, -3], [2, 'a'], '__proto__', 'model.constructor', { kind: 'adam' }];
    const good = JSON.parse(fs.readFileSync(file).toString('utf8', 48, 48 + fs.readFileSync(file).readUInt32LE(12)));
    /** Every path to a value in the header, e.g. ['tensors', 2, 'shape', 0]. */
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, at: (string | number)[]): void => {
      paths.push(at);
      if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, Array.isArray(v) ? Number(k) : k]);
    };
    walk(good, []);
    const { m, opt } = trained(6);
    loadCheckpoint(file, m, opt);
    const good0 = snapshot(m, opt);
    let loaded = 0;
    for (let i = 0; i < 300; i++) {
      const at = paths[1 + Math.floor(rng.next() * (paths.length - 1))];
      const v = values[Math.floor(rng.next() * values.length)];
      const bad = path.join(dir, 'fuzz.ckpt');
      fs.copyFileSync(file, bad);
      rewrite(bad, (h) => {
        let o = h;
        for (const k of at.slice(0, -1)) o = o[k];
        if (rng.next() < 0.15) delete o[at[at.length - 1]];
        else o[at[at.length - 1]] = v;
      });
      try {
        loadCheckpoint(bad, m, opt);
        loaded++;
        loadCheckpoint(file, m, opt);
      } catch (e) {
        expect(e, `${at.join('.')} = ${JSON.stringify(v)}: ${String(e)}`).to.be.instanceOf(CondgradError);
        expect(snapshot(m, opt), `${at.join('.')} = ${JSON.stringify(v)} changed the model or optimizer`).to.equal(good0);
      }
    }
    // Most edits break the schema; some (config, extra, a hyperparameter in range) are valid files.
    expect(loaded).to.be.within(1, 299);
  });
});
