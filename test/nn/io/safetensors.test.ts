// safetensors codec tests: files built by hand to the spec are read, files condgrad writes match the spec byte by byte, malformed files are named errors.

import '../../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tensor } from '../../../core/creation.js';
import { getBackend } from '../../../core/engine.js';
import { CondgradError } from '../../../core/errors.js';
import { decodeSafetensors, encodeSafetensors } from '../../../nn/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../../../nn/io/safetensors_file.js';
import { f32le, f64le, handFile, u64le } from '../../helpers/safetensors.js';
import { parseSafetensorsHeader, SafetensorsError, type SafetensorsFault } from '../../../nn/io/safetensors_header.js';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

function expectFault(fn: () => unknown, reason: SafetensorsFault, pattern: RegExp): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected a SafetensorsError (${reason})`).to.be.instanceOf(SafetensorsError);
  expect(err).to.be.instanceOf(CondgradError);
  expect((err as SafetensorsError).reason).to.equal(reason);
  expect((err as Error).message).to.match(pattern);
}

describe('safetensors: reading files written by hand to the spec', () => {
  before(() => expect(new Uint8Array(new Uint16Array([1]).buffer)[0], 'these tests build little-endian data with typed arrays').to.equal(1));

  it('reads F32 and F64 tensors, metadata, in file order, padded or not', () => {
    const header =
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]},"b":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}';
    const data = [...f64le([0.25, -1e300]), ...f32le([1, 2, 3, 4, 5, -6.5])];
    for (const pad of [0, 3]) {
      const bytes = handFile(header, data, pad);
      const m = decodeSafetensors(bytes, { backend: 'cpu' });
      expect([...m.keys()]).to.deep.equal(['b', 'a']);
      expect(m.get('a')!.dtype).to.equal('float32');
      expect(m.get('a')!.shape).to.deep.equal([2, 3]);
      expect(Array.from(m.get('a')!.dataSync())).to.deep.equal([1, 2, 3, 4, 5, -6.5]);
      expect(m.get('b')!.dtype).to.equal('float64');
      expect(Array.from(m.get('b')!.dataSync())).to.deep.equal([0.25, -1e300]);
      const h = parseSafetensorsHeader(bytes);
      expect(h.metadata).to.deep.equal({ format: 'pt' });
      expect(h.dataStart).to.equal(8 + header.length + pad);
      expect(h.entries.map((e) => [e.name, e.begin, e.end])).to.deep.equal([
        ['b', 0, 16],
        ['a', 16, 40],
      ]);
    }
  });

  it('reads scalars, empty tensors and a file with no tensors', () => {
    const m = decodeSafetensors(
      handFile('{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F64","shape":[0,3],"data_offsets":[4,4]}}', f32le([7.5])),
      { backend: 'cpu' },
    );
    expect(m.get('s')!.shape).to.deep.equal([]);
    expect(m.get('s')!.item()).to.equal(7.5);
    expect(m.get('e')!.shape).to.deep.equal([0, 3]);
    expect(m.get('e')!.size).to.equal(0);
    expect(decodeSafetensors(handFile('{}', [], 6)).size).to.equal(0);
  });

  it('converts F16 and BF16 to float32 exactly', () => {
    // 1, -2, 65504 (max), 2^-24 (smallest subnormal), -0, +Inf, 0.333251953125 (0x3555)
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x3555];
    // 1, -3, 3.140625, 2^-133 (bf16 subnormal 0x0001 → float32 subnormal)
    const bf16 = [0x3f80, 0xc040, 0x4049, 0x0001];
    const le16 = (v: number[]): number[] => v.flatMap((h) => [h & 0xff, h >> 8]);
    const m = decodeSafetensors(
      handFile(`{"h":{"dtype":"F16","shape":[7],"data_offsets":[0,14]},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[14,22]}}`, [
        ...le16(f16),
        ...le16(bf16),
      ]),
      { backend: 'cpu' },
    );
    const h = Array.from(m.get('h')!.dataSync());
    expect(h.slice(0, 4)).to.deep.equal([1, -2, 65504, 2 ** -24]);
    expect(Object.is(h[4], -0)).to.equal(true);
    expect(h[5]).to.equal(Infinity);
    expect(h[6]).to.equal(0.333251953125);
    expect(m.get('h')!.dtype).to.equal('float32');
    expect(Array.from(m.get('b')!.dataSync())).to.deep.equal([1, -3, 3.140625, 2 ** -133]);
    expect(
      Number.isNaN(
        decodeSafetensors(handFile('{"n":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}', [0x00, 0x7e]), { backend: 'cpu' })
          .get('n')!
          .dataSync()[0],
      ),
    ).to.equal(true);
  });

  it('integer tensors: a named error by default, exact float64 or skipped on request', () => {
    // num_batches_tracked as PyTorch writes it: an I64 scalar; then I32 [-2, 70000] and BOOL [1, 0].
    const bytes = handFile(
      '{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"i":{"dtype":"I32","shape":[2],"data_offsets":[8,16]},"w":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"q":{"dtype":"BOOL","shape":[2],"data_offsets":[20,22]}}',
      [...u64le(123456789), 0xfe, 0xff, 0xff, 0xff, ...u64le(70000).slice(0, 4), ...f32le([2]), 1, 0],
    );
    expectFault(() => decodeSafetensors(bytes), 'dtype-unsupported', /'bn\.num_batches_tracked' has dtype I64.*integers/);
    const skipped = decodeSafetensors(bytes, { integers: 'skip', backend: 'cpu' });
    expect([...skipped.keys()]).to.deep.equal(['w']);
    const conv = decodeSafetensors(bytes, { integers: 'float64', backend: 'cpu' });
    expect(conv.get('bn.num_batches_tracked')!.item()).to.equal(123456789);
    expect(conv.get('bn.num_batches_tracked')!.dtype).to.equal('float64');
    expect(Array.from(conv.get('i')!.dataSync())).to.deep.equal([-2, 70000]);
    expect(Array.from(conv.get('q')!.dataSync())).to.deep.equal([1, 0]);
    const huge = handFile('{"n":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 0, 0, 0, 0x80]);
    expectFault(() => decodeSafetensors(huge, { integers: 'float64' }), 'dtype-unsupported', /not exactly representable/);
    const f8 = handFile('{"f":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}', [1, 2]);
    expectFault(() => decodeSafetensors(f8), 'dtype-unsupported', /F8_E4M3/);
    expect(decodeSafetensors(f8, { unsupported: 'skip' }).size).to.equal(0);
  });
});

describe('safetensors: files condgrad writes follow the spec byte by byte', () => {
  it('length, header text with metadata first and space padding, data in order', async () => {
    const w = tensor([1, 2, 3, 4.5], [2, 2], { backend: 'cpu' });
    const v = tensor([0.5, -1, 1e300], [3], { dtype: 'float64', backend: 'cpu' });
    const bytes = await encodeSafetensors(
      new Map([
        ['w', w],
        ['10', v],
      ]),
      { format: 'pt', note: 'é"' },
    );
    const json =
      '{"__metadata__":{"format":"pt","note":"é\\""},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"10":{"dtype":"F64","shape":[3],"data_offsets":[16,40]}}';
    const jsonBytes = [...new TextEncoder().encode(json)];
    const pad = (8 - (jsonBytes.length % 8)) % 8;
    const want = [...u64le(jsonBytes.length + pad), ...jsonBytes, ...new Array<number>(pad).fill(0x20), ...f32le([1, 2, 3, 4.5]), ...f64le([0.5, -1, 1e300])];
    expect(Array.from(bytes)).to.deep.equal(want);
    expect((8 + jsonBytes.length + pad) % 8).to.equal(0);
  });

  it('an object (state dict) keeps its order; integer-like names are not reordered', async () => {
    const bytes = await encodeSafetensors({ b: tensor([1], [1]), a: tensor([2], [1]) });
    expect(parseSafetensorsHeader(bytes).entries.map((e) => e.name)).to.deep.equal(['b', 'a']);
    const m = new Map([
      ['z', tensor([1], [1])],
      ['2', tensor([2], [1])],
      ['1', tensor([3, 4], [2])],
    ]);
    const back = decodeSafetensors(await encodeSafetensors(m), { backend: 'cpu' });
    expect([...back.keys()]).to.deep.equal(['z', '2', '1']);
    expect(Array.from(back.get('1')!.dataSync())).to.deep.equal([3, 4]);
  });

  it('saveSafetensors / loadSafetensors round-trip float32 and float64 through a file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-st-'));
    const file = path.join(dir, 'w.safetensors');
    const a = tensor(
      Float64Array.from({ length: 24 }, (_, i) => Math.sin(i) * 1e-3),
      [2, 3, 4],
      { dtype: 'float64' },
    );
    const b = tensor(
      Float32Array.from({ length: 5 }, (_, i) => i - 2.25),
      [5],
    );
    const { bytes } = await saveSafetensors(file, { a, b }, { by: 'test' });
    expect(fs.statSync(file).size).to.equal(bytes);
    const m = loadSafetensors(file);
    expect(Array.from(m.get('a')!.dataSync())).to.deep.equal(Array.from(a.dataSync()));
    expect(m.get('a')!.dtype).to.equal('float64');
    expect(Array.from(m.get('b')!.dataSync())).to.deep.equal(Array.from(b.dataSync()));
    expect(parseSafetensorsHeader(fs.readFileSync(file)).metadata).to.deep.equal({ by: 'test' });
    expectFault(() => loadSafetensors(path.join(dir, 'nope.safetensors')), 'argument', /cannot read .*nope/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects bad arguments by name', async () => {
    const t = tensor([1], [1]);
    for (const [args, pattern] of [
      [[{ __metadata__: t }], /reserved/],
      [[{ a: [1] }], /'a' must be a Tensor/],
      [[{ a: t }, { k: 3 }], /metadata 'k' must be a string/],
      [[null], /Map or an object/],
    ] as [unknown[], RegExp][]) {
      let err: unknown = null;
      try {
        await (encodeSafetensors as (...a: unknown[]) => Promise<Uint8Array>)(...args);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(SafetensorsError);
      expect((err as Error).message).to.match(pattern);
    }
    const gone = tensor([1], [1]);
    gone.dispose();
    let err: unknown = null;
    try {
      await encodeSafetensors({ gone });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(/'gone' was disposed/);
  });
});

describe('safetensors: every malformed file is a named error and nothing is loaded', () => {
  const F = (h: string, data: number[] = [0, 0, 0, 0]): Uint8Array => handFile(h, data);
  const ok = '"ok":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  const cases: [string, Uint8Array, SafetensorsFault, RegExp][] = [
    ['shorter than 8 bytes', Uint8Array.from([1, 0, 0]), 'truncated', /shorter than the 8-byte/],
    ['header length past the end', Uint8Array.from([...u64le(50), ...ascii('{}')]), 'truncated', /header length 50 runs past the end of the 10-byte file/],
    ['header length over 100 MB', Uint8Array.from([...u64le(100_000_001), ...ascii('{}')]), 'header-too-large', /exceeds the format's cap/],
    ['header length 2^64 - 1', Uint8Array.from([255, 255, 255, 255, 255, 255, 255, 255, 0]), 'header-too-large', /18446744073709551615/],
    ['header not UTF-8', Uint8Array.from([...u64le(3), 0x7b, 0xff, 0x7d]), 'header-utf8', /not valid UTF-8/],
    ['header not JSON', F(`{${ok},}`), 'header-json', /not valid JSON/],
    ['header not starting with {', F(` {${ok}}`), 'header-json', /must start with '\{'/],
    ['header an array', F('[1,2]', []), 'header-json', /must start with/],
    ['entry not an object', F(`{${ok},"x":[1]}`), 'entry', /'x' must be an object/],
    ['entry without dtype', F('{"x":{"shape":[1],"data_offsets":[0,4]}}'), 'entry', /'x' has no string dtype/],
    ['data_offsets not a pair', F('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}}'), 'entry', /data_offsets must be \[begin, end\]/],
    ['metadata not strings', F(`{"__metadata__":{"a":1},${ok}}`), 'metadata', /'a' must be a string/],
    ['unknown dtype', F('{"x":{"dtype":"F128","shape":[1],"data_offsets":[0,4]}}'), 'dtype-unknown', /unknown dtype "F128"/],
    ['negative shape', F('{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}'), 'shape', /non-negative integers, got \[-1\]/],
    ['non-integer shape', F('{"x":{"dtype":"F32","shape":[0.5,2],"data_offsets":[0,4]}}'), 'shape', /got \[0\.5,2\]/],
    ['shape not an array', F('{"x":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}'), 'shape', /got 4/],
    ['offsets out of range', F('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'), 'offsets', /run past the 4-byte data section/],
    ['offsets reversed', F('{"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}'), 'offsets', /end before they begin/],
    [
      'offsets overlapping',
      F('{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32le([1, 2])),
      'offsets',
      /'y' .*overlap/,
    ],
    [
      'a hole between tensors',
      F('{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', f32le([1, 2, 3])),
      'coverage',
      /bytes \[4, 8\) .*no holes/,
    ],
    ['a hole at the start', F('{"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32le([1, 2])), 'coverage', /bytes \[0, 4\)/],
    ['trailing bytes', F(`{${ok}}`, f32le([1, 2])), 'coverage', /cover 4 bytes but the data section has 8/],
    [
      'shape × dtype not matching the offsets',
      F('{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,4]}}'),
      'size-mismatch',
      /F64 \[1\] needs 8 bytes but data_offsets \[0, 4\] span 4/,
    ],
    [
      'size mismatch in a later tensor',
      F(`{${ok},"y":{"dtype":"F32","shape":[2,2],"data_offsets":[4,12]}}`, f32le([1, 2, 3])),
      'size-mismatch',
      /'y' F32 \[2,2\] needs 16 bytes/,
    ],
  ];
  for (const [label, bytes, reason, pattern] of cases) {
    it(label, () => {
      const cpu = getBackend('cpu');
      const before = cpu.memory().allocations;
      expectFault(() => decodeSafetensors(bytes, { backend: 'cpu' }), reason, pattern);
      expect(cpu.memory().allocations, 'no tensor was created').to.equal(before);
    });
  }

  it('loadSafetensors names the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-st-'));
    const file = path.join(dir, 'bad.safetensors');
    fs.writeFileSync(file, Uint8Array.from([...u64le(99), 1, 2]));
    expectFault(() => loadSafetensors(file), 'truncated', /^loadSafetensors: .*bad\.safetensors: header length 99/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the byte codec imports no Node built-ins (so the browser build can use it)', () => {
    for (const f of ['safetensors.ts', 'safetensors_header.ts', 'safetensors_model.ts', 'timm.ts']) {
      const src = fs.readFileSync(new URL(`../../../nn/io/${f}`, import.meta.url), 'utf8');
      expect(src, f).not.to.match(/from 'node:|require\(|\bBuffer\b|checkpoint\.js/);
    }
  });
});
