// timm interop tests: a hand-made timm CondConvResidual file loads into an InvertedResidualBlock whose forward equals timm's computation done by hand.

import '../../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tensor } from '../../../core/creation.js';
import type { Tensor } from '../../../core/tensor.js';
import { decodeSafetensors, encodeSafetensors } from '../../../nn/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../../../nn/io/safetensors_file.js';
import { parseSafetensorsHeader, SafetensorsError } from '../../../nn/io/safetensors_header.js';
import { loadTimmState, timmKeys, toTimmState } from '../../../nn/io/timm.js';
import { resolveModelOptions } from '../../../nn/models/common.js';
import { DepthwiseSeparableBlock } from '../../../nn/models/mobilenet_v1.js';
import { InvertedResidualBlock, MobileNetV2 } from '../../../nn/models/mobilenet_v2.js';
import { BasicBlock } from '../../../nn/models/resnet.js';
import { expectRel } from '../../helpers/gpu.js';
import { naiveConv2d, naiveOutSize, type NaiveConvParams } from '../../helpers/naive_conv.js';
import { mulberry32 } from '../../helpers/rng.js';
import { f32le, handFileOf, u64le, type HandTensor } from '../../helpers/safetensors.js';

// Block geometries: C_in, C_out, hidden width, stride (the first has a residual, the second does not); K = 3 experts.
interface Geo {
  cin: number;
  cout: number;
  hid: number;
  stride: number;
}
const G1: Geo = { cin: 4, cout: 4, hid: 8, stride: 1 };
const G2: Geo = { cin: 3, cout: 5, hid: 6, stride: 2 };
const HID = G1.hid,
  K = 3,
  B = 2,
  S = 5;
type Values = Map<string, { shape: number[]; data: number[] }>;

/** timm's tensors for one CondConvResidual block, as PyTorch would name and shape them (values from a seeded generator). */
function timmBlockValues(seed: number, g: Geo = G1): Values {
  const rng = mulberry32(seed);
  const r = (n: number, lo = -0.5, hi = 0.5): number[] => Array.from({ length: n }, () => lo + (hi - lo) * rng());
  const m: Values = new Map();
  const bn = (name: string, c: number): void => {
    m.set(`${name}.weight`, { shape: [c], data: r(c, 0.5, 1.5) });
    m.set(`${name}.bias`, { shape: [c], data: r(c) });
    m.set(`${name}.running_mean`, { shape: [c], data: r(c) });
    m.set(`${name}.running_var`, { shape: [c], data: r(c, 0.5, 2) });
  };
  m.set('conv_pw.weight', { shape: [K, g.hid * g.cin * 1 * 1], data: r(K * g.hid * g.cin) });
  bn('bn1', g.hid);
  m.set('conv_dw.weight', { shape: [K, g.hid * 1 * 3 * 3], data: r(K * g.hid * 9) });
  bn('bn2', g.hid);
  m.set('conv_pwl.weight', { shape: [K, g.cout * g.hid * 1 * 1], data: r(K * g.cout * g.hid) });
  bn('bn3', g.cout);
  m.set('routing_fn.weight', { shape: [K, g.cin], data: r(K * g.cin, -2, 2) });
  m.set('routing_fn.bias', { shape: [K], data: r(K) });
  return m;
}

/** The file PyTorch's safetensors writer would give for that state dict, with each BatchNorm's I64 num_batches_tracked. */
function timmFile(values: Values): Uint8Array {
  const list: [string, HandTensor][] = [];
  for (const [name, v] of values) {
    list.push([name, { dtype: 'F32', shape: v.shape, bytes: f32le(v.data) }]);
    if (name.endsWith('running_var')) list.push([name.replace('running_var', 'num_batches_tracked'), { dtype: 'I64', shape: [], bytes: u64le(1234) }]);
  }
  return handFileOf(list);
}

/**
 * timm's CondConvResidual forward (with ReLU6, no SE, symmetric padding), written from timm's
 * layout: flat expert rows mixed by a matmul, then a per-sample conv. x: [B, cin, S, S].
 */
function timmForward(v: Values, x: Float32Array, g: Geo = G1): Float64Array {
  const w = (k: string): number[] => v.get(k)!.data;
  const pooled = Array.from({ length: B * g.cin }, (_, i) => {
    let s = 0;
    for (let j = 0; j < S * S; j++) s += x[i * S * S + j];
    return s / (S * S);
  });
  const routing = Array.from({ length: B * K }, (_, i) => {
    const b = Math.floor(i / K),
      e = i % K;
    let z = w('routing_fn.bias')[e];
    for (let c = 0; c < g.cin; c++) z += w('routing_fn.weight')[e * g.cin + c] * pooled[b * g.cin + c];
    return 1 / (1 + Math.exp(-z));
  });
  let size = S;
  const condConv = (h: ArrayLike<number>, name: string, inC: number, outC: number, k: number, groups: number, stride: number): Float64Array => {
    const flat = w(`${name}.weight`);
    const per = flat.length / K;
    const mixed = new Float64Array(B * per);
    for (let b = 0; b < B; b++) for (let j = 0; j < per; j++) for (let e = 0; e < K; e++) mixed[b * per + j] += routing[b * K + e] * flat[e * per + j];
    const pad = (stride - 1 + (k - 1)) >> 1; // timm's symmetric padding for pad_type ''
    const p: NaiveConvParams = {
      batch: B,
      inC,
      inH: size,
      inW: size,
      outC,
      kH: k,
      kW: k,
      stride: [stride, stride],
      dilation: [1, 1],
      pad: [pad, pad, pad, pad],
      groups,
      perSampleWeights: true,
    };
    const y = naiveConv2d(h, mixed, p);
    size = naiveOutSize(p)[0];
    return y;
  };
  const bn = (h: Float64Array, name: string, c: number, relu6: boolean): Float64Array =>
    h.map((val, i) => {
      const ch = Math.floor(i / (size * size)) % c;
      const y = ((val - w(`${name}.running_mean`)[ch]) / Math.sqrt(w(`${name}.running_var`)[ch] + 1e-5)) * w(`${name}.weight`)[ch] + w(`${name}.bias`)[ch];
      return relu6 ? Math.min(6, Math.max(0, y)) : y;
    });
  let h = bn(condConv(x, 'conv_pw', g.cin, g.hid, 1, 1, 1), 'bn1', g.hid, true);
  h = bn(condConv(h, 'conv_dw', g.hid, g.hid, 3, g.hid, g.stride), 'bn2', g.hid, true);
  h = bn(condConv(h, 'conv_pwl', g.hid, g.cout, 1, 1, 1), 'bn3', g.cout, false);
  const skip = g.stride === 1 && g.cin === g.cout;
  return skip ? h.map((val, i) => val + x[i]) : h;
}

function block(seed: number, g: Geo = G1): InvertedResidualBlock {
  return new InvertedResidualBlock(resolveModelOptions('test', { experts: K, seed }, 1), g.cin, g.cout, g.stride, g.hid / g.cin, true);
}

const snapshot = (m: { stateDict(): Record<string, Tensor> }): Record<string, number[]> =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));

describe('timm interop: CondConvResidual ↔ InvertedResidualBlock', () => {
  const values = timmBlockValues(7);
  const file = timmFile(values);

  for (const [label, g] of [
    ['4 → 4, stride 1, residual', G1],
    ['3 → 5, stride 2, no residual', G2],
  ] as const) {
    it(`a hand-made timm file loads and the block computes what timm computes from its layout (${label})`, () => {
      const vals = g === G1 ? values : timmBlockValues(8, g);
      const state = decodeSafetensors(timmFile(vals), { integers: 'skip', backend: 'cpu' });
      const blk = block(1, g).eval();
      expect(blk.residual).to.equal(g === G1);
      expect(loadTimmState(blk, state)).to.deep.equal({ missingKeys: [], unexpectedKeys: [] });
      const xg = Float32Array.from({ length: B * g.cin * S * S }, (_, i) => Math.sin(i * 0.37) * 2);
      const y = blk.forward(tensor(xg, [B, g.cin, S, S]));
      const out = g.stride === 1 ? S : 3;
      expect(y.shape).to.deep.equal([B, g.cout, out, out]);
      expectRel(y.dataSync(), timmForward(vals, xg, g), 1e-4, 1e-5, 'block vs timm by hand');
      // The routing differs across the batch, so a wrong mixing or transposed expert layout would show.
      const experts = Array.from((blk.dw.conv as unknown as { experts: Tensor }).experts.dataSync());
      expect(experts).to.deep.equal(Array.from(Float32Array.from(vals.get('conv_dw.weight')!.data)));
    });
  }

  it('the mapping: every timm name of the block, with its shape', () => {
    const keys = timmKeys(block(1)).map((k) => [k.condgrad, k.timm, k.timmShape.join('x')]);
    expect(keys).to.deep.equal([
      ['router.fc1.weight', 'routing_fn.weight', '3x4'],
      ['router.fc1.bias', 'routing_fn.bias', '3'],
      ['expand.conv.experts', 'conv_pw.weight', '3x32'],
      ['expand.bn.weight', 'bn1.weight', '8'],
      ['expand.bn.bias', 'bn1.bias', '8'],
      ['expand.bn.runningMean', 'bn1.running_mean', '8'],
      ['expand.bn.runningVar', 'bn1.running_var', '8'],
      ['dw.conv.experts', 'conv_dw.weight', '3x72'],
      ['dw.bn.weight', 'bn2.weight', '8'],
      ['dw.bn.bias', 'bn2.bias', '8'],
      ['dw.bn.runningMean', 'bn2.running_mean', '8'],
      ['dw.bn.runningVar', 'bn2.running_var', '8'],
      ['project.conv.experts', 'conv_pwl.weight', '3x32'],
      ['project.bn.weight', 'bn3.weight', '4'],
      ['project.bn.bias', 'bn3.bias', '4'],
      ['project.bn.runningMean', 'bn3.running_mean', '4'],
      ['project.bn.runningVar', 'bn3.running_var', '4'],
    ]);
  });

  it('condgrad → timm: names, flat [K, O·C/g·kH·kW] weights and values; the file round-trips into a fresh block', async () => {
    const src = block(2);
    const out = toTimmState(src);
    expect(out.get('conv_dw.weight')!.shape).to.deep.equal([K, 72]);
    // timm's flat row e holds expert e's OIHW kernel: element (o, c, kh, kw) at ((o·C/g + c)·kH + kh)·kW + kw.
    const e = src.dw.conv as unknown as { experts: Tensor };
    const ex = e.experts.dataSync();
    const flat = out.get('conv_dw.weight')!.dataSync();
    expect(flat[2 * 72 + (5 * 3 + 1) * 3 + 2]).to.equal(ex[((2 * HID + 5) * 1 + 0) * 9 + 1 * 3 + 2]);
    const bytes = await encodeSafetensors(out);
    expect(parseSafetensorsHeader(bytes).entries.map((x) => x.name)).to.include.members([
      'routing_fn.weight',
      'conv_pw.weight',
      'bn1.running_mean',
      'bn3.running_var',
      'conv_pwl.weight',
    ]);
    const dst = block(3);
    loadTimmState(dst, decodeSafetensors(bytes, { backend: 'cpu' }));
    expect(snapshot(dst)).to.deep.equal(snapshot(src));
  });

  it('missing, unexpected and mis-shaped timm tensors are named errors and load nothing', () => {
    const state = decodeSafetensors(file, { integers: 'skip', backend: 'cpu' });
    const blk = block(4);
    const before = snapshot(blk);
    const without = new Map(state);
    without.delete('bn2.running_var');
    expect(() => loadTimmState(blk, without)).to.throw(SafetensorsError, /missing timm keys: bn2\.running_var \(for dw\.bn\.runningVar\)/);
    const withSe = new Map(state).set('se.conv_reduce.weight', tensor([1, 2], [2]));
    expect(() => loadTimmState(blk, withSe)).to.throw(SafetensorsError, /no condgrad counterpart: se\.conv_reduce\.weight/);
    const bad = new Map(state).set('conv_dw.weight', tensor(new Float32Array(K * 71), [K, 71]));
    expect(() => loadTimmState(blk, bad)).to.throw(
      SafetensorsError,
      /'conv_dw\.weight' is \[3,71\] float32 but 'dw\.conv\.experts' \[3,8,1,3,3\] needs \[3,72\]/,
    );
    const f64 = new Map(state).set('routing_fn.bias', tensor([1, 2, 3], [3], { dtype: 'float64' }));
    expect(() => loadTimmState(blk, f64)).to.throw(SafetensorsError, /routing_fn\.bias.*float64/);
    expect(snapshot(blk)).to.deep.equal(before);
    const res = loadTimmState(blk, withSe.set('bn2.running_var', state.get('bn2.running_var')!), [['', '']], { strict: false });
    expect(res.unexpectedKeys).to.deep.equal(['se.conv_reduce.weight']);
  });

  it('whole-model mappings with prefixes, through a file; unsupported modules are named', async () => {
    // convert 'last': block 0 (t = 1) and stage 1 (blocks 1, 2) are plain, stage 2 (blocks 3, 4) CondConv.
    const opts = { convert: 'last' as const, experts: 2, width: 0.5, inputSize: 12 };
    const a = new MobileNetV2({ ...opts, seed: 5 });
    const mapping = [
      ['stem.conv', 'conv_stem'],
      ['stem.bn', 'bn1'],
      ['blocks.0', 'blocks.0.0'],
      ['blocks.1', 'blocks.1.0'],
      ['blocks.3', 'blocks.2.0'],
      ['blocks.4', 'blocks.2.1'],
    ] as const;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-timm-'));
    const f = path.join(dir, 'timm.safetensors');
    await saveSafetensors(f, toTimmState(a, mapping));
    const names = parseSafetensorsHeader(fs.readFileSync(f)).entries.map((x) => x.name);
    expect(names).to.include.members([
      'conv_stem.weight',
      'bn1.running_var',
      'blocks.0.0.conv_dw.weight',
      'blocks.0.0.bn2.bias',
      'blocks.1.0.conv_pwl.weight',
      'blocks.2.0.routing_fn.weight',
      'blocks.2.1.conv_pwl.weight',
      'blocks.2.1.bn3.bias',
    ]);
    expect(names).not.to.include('blocks.1.0.routing_fn.weight');
    expect(names.filter((n) => n.endsWith('routing_fn.weight'))).to.deep.equal(['blocks.2.0.routing_fn.weight', 'blocks.2.1.routing_fn.weight']);
    const b = new MobileNetV2({ ...opts, seed: 6 });
    loadTimmState(b, loadSafetensors(f), mapping);
    const sa = snapshot(a),
      sb = snapshot(b);
    for (const k of Object.keys(sa)) {
      if (/^(stem|blocks\.[0134])\./.test(k)) expect(sb[k], k).to.deep.equal(sa[k]);
    }
    // Unmapped tensors keep their own (differently seeded) values.
    for (const k of ['blocks.2.expand.conv.weight', 'head.fc.experts']) expect(sb[k], k).not.to.deep.equal(sa[k]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(() => timmKeys(a, [['head.fc', 'classifier']])).to.throw(/'head\.fc' is a CondLinear, which has no timm counterpart/);
    expect(() => timmKeys(a, [['stem', 'x']])).to.throw(/'stem' is a ConvBNAct/);
    expect(() => timmKeys(new MobileNetV2({ ...opts, convert: 'all' }), [['blocks.0', 'b']])).to.throw(/CondConvResidual always has conv_pw/);
    const cfg = resolveModelOptions('t', { experts: 2 }, 1);
    expect(() => timmKeys(new DepthwiseSeparableBlock(cfg, 4, 8, 1, true))).to.throw(/timm's DepthwiseSeparableConv has no CondConv form/);
    expect(timmKeys(new DepthwiseSeparableBlock(cfg, 4, 8, 1, false)).map((k) => k.timm)).to.include.members([
      'conv_dw.weight',
      'bn1.running_mean',
      'conv_pw.weight',
      'bn2.bias',
    ]);
    const basic = timmKeys(new BasicBlock(cfg, 4, 8, 2, false)).map((k) => `${k.condgrad}=${k.timm}`);
    expect(basic).to.include.members([
      'conv1.conv.weight=conv1.weight',
      'conv1.bn.runningVar=bn1.running_var',
      'conv2.conv.weight=conv2.weight',
      'shortcut.conv.weight=downsample.0.weight',
      'shortcut.bn.bias=downsample.1.bias',
    ]);
    expect(() => timmKeys(new BasicBlock(cfg, 4, 4, 1, true))).to.throw(/ResNet BasicBlock has no CondConv form/);
  });
});
