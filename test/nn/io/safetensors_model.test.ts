// Model state dicts through safetensors: round trip by name, and missing/unexpected/mismatched keys as named errors that load nothing.

import '../../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randn, tensor } from '../../../core/creation.js';
import type { Tensor } from '../../../core/tensor.js';
import { encodeSafetensors } from '../../../nn/io/safetensors.js';
import { loadModelSafetensors, saveModelSafetensors } from '../../../nn/io/safetensors_file.js';
import { parseSafetensorsHeader, SafetensorsError } from '../../../nn/io/safetensors_header.js';
import { loadStateDictFromSafetensors, stateDictToSafetensors } from '../../../nn/io/safetensors_model.js';
import { createModel } from '../../../nn/models/index.js';
import type { Module } from '../../../nn/module.js';
import { f32le, handFileOf } from '../../helpers/safetensors.js';

const snapshot = (m: Module): Record<string, number[]> => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));
const model = (seed: number): Module => createModel('mobilenet-v2', { convert: 'all', experts: 2, width: 0.5, inputSize: 12, seed }).eval();

describe('safetensors: model state dicts', () => {
  it('save → load by name into a differently seeded model gives the same outputs; the file holds exactly the state dict', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-stm-'));
    const file = path.join(dir, 'm.safetensors');
    const a = model(1);
    const sd = a.stateDict();
    await saveModelSafetensors(a, file, { metadata: { model: 'mobilenet-v2' } });
    const h = parseSafetensorsHeader(fs.readFileSync(file));
    expect(h.entries.map((e) => e.name)).to.deep.equal(Object.keys(sd));
    expect(h.entries.every((e) => e.dtype === 'F32')).to.equal(true);
    expect(h.metadata).to.deep.equal({ model: 'mobilenet-v2' });
    const b = model(2);
    const x = randn([3, 1, 12, 12], { seed: 3 });
    expect(Array.from(b.forward(x).dataSync())).not.to.deep.equal(Array.from(a.forward(x).dataSync()));
    const held = b.parameters()[0];
    expect(loadModelSafetensors(b, file)).to.deep.equal({ missingKeys: [], unexpectedKeys: [] });
    expect(b.parameters()[0], 'loaded in place (optimizers keep their tensors)').to.equal(held);
    expect(snapshot(b)).to.deep.equal(snapshot(a));
    expect(Array.from(b.forward(x).dataSync())).to.deep.equal(Array.from(a.forward(x).dataSync()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('missing, unexpected, mis-shaped and mis-typed tensors are named errors and change nothing', async () => {
    const a = model(1);
    const b = model(2);
    const before = snapshot(b);
    const sd: Record<string, Tensor> = { ...a.stateDict() };
    const [first, second] = Object.keys(sd);
    const { [first]: _dropped, ...rest } = sd;
    const expectFault = async (tensors: Record<string, Tensor>, reason: string, pattern: RegExp, strict = true): Promise<void> => {
      const bytes = await encodeSafetensors(tensors);
      let err: unknown = null;
      try {
        loadStateDictFromSafetensors(b, bytes, { strict });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(SafetensorsError);
      expect((err as SafetensorsError).reason).to.equal(reason);
      expect((err as Error).message).to.match(pattern);
      expect(snapshot(b)).to.deep.equal(before);
    };
    await expectFault(rest, 'keys', new RegExp(`missing keys: ${first.replace(/\./g, '\\.')}`));
    await expectFault({ ...sd, 'extra.weight': tensor([1], [1]) }, 'keys', /unexpected keys: extra\.weight/);
    await expectFault(
      { ...sd, [second]: tensor(new Float32Array(sd[second].size + 1), [sd[second].size + 1]) },
      'mismatch',
      new RegExp(`'${second.replace(/\./g, '\\.')}' is \\[${sd[second].size + 1}\\] float32 in the file but`),
    );
    await expectFault(
      { ...sd, [second]: tensor(new Float64Array(sd[second].size), [...sd[second].shape], { dtype: 'float64' }) },
      'mismatch',
      /float64 in the file but .* float32 in the model/,
    );
    await expectFault(
      { ...sd, [second]: tensor(new Float64Array(sd[second].size), [...sd[second].shape], { dtype: 'float64' }) },
      'mismatch',
      /float64 in the file/,
      false,
    );
    const partial = await encodeSafetensors({ ...rest, 'extra.weight': tensor([1], [1]) });
    expect(loadStateDictFromSafetensors(b, partial, { strict: false })).to.deep.equal({ missingKeys: [first], unexpectedKeys: ['extra.weight'] });
    const now = snapshot(b),
      want = snapshot(a);
    expect(now[second]).to.deep.equal(want[second]);
    expect(now[first]).to.deep.equal(before[first]);
  });

  it('a PyTorch-style file (F16 weights, I64 num_batches_tracked) loads into a float32 model when integers are skipped', () => {
    // The small CNN's own names, one tensor stored as F16, plus an I64 scalar as PyTorch's BatchNorm writes it.
    const bn = createModel('cnn', { seed: 1 });
    const sd = bn.stateDict();
    const names = Object.keys(sd);
    const half = [0x3c00, 0x3800]; // 1, 0.5
    const list = names.map(
      (n) =>
        [n, { dtype: 'F32', shape: [...sd[n].shape], bytes: f32le(new Array(sd[n].size).fill(0.25)) }] as [
          string,
          { dtype: string; shape: number[]; bytes: number[] },
        ],
    );
    const target = names.find((n) => sd[n].rank === 1 && sd[n].size % 2 === 0)!;
    const n = sd[target].size;
    list.push(['extra.num_batches_tracked', { dtype: 'I64', shape: [], bytes: [7, 0, 0, 0, 0, 0, 0, 0] }]);
    list[names.indexOf(target)] = [
      target,
      { dtype: 'F16', shape: [n], bytes: Array.from({ length: n }, (_, i) => half[i % 2]).flatMap((h) => [h & 0xff, h >> 8]) },
    ];
    const file = handFileOf(list);
    expect(() => loadStateDictFromSafetensors(bn, file)).to.throw(SafetensorsError, /I64/);
    const res = loadStateDictFromSafetensors(bn, file, { integers: 'skip' });
    expect(res).to.deep.equal({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(bn.stateDict()[target].dataSync())).to.deep.equal(Array.from({ length: n }, (_, i) => [1, 0.5][i % 2]));
    expect(Array.from(bn.stateDict()[names[0]].dataSync()).every((v) => v === 0.25)).to.equal(true);
  });

  it('stateDictToSafetensors is the bytes saveModelSafetensors writes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-stm-'));
    const file = path.join(dir, 'm.safetensors');
    const a = model(4);
    await saveModelSafetensors(a, file);
    expect(Array.from(fs.readFileSync(file))).to.deep.equal(Array.from(await stateDictToSafetensors(a)));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
