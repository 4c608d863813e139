// gpu conv2d WGSL kernels with register tiles (forward, input gradient, split-reduction filter gradient), the input gradient at W strides above 1 too, against the cpu reference.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { wgslBackwardInputTile, wgslForwardTile } from '../../kernels/gpu/wgsl_conv.js';
import { wgslFilterBlocks, wgslFilterTile } from '../../kernels/gpu/wgsl_filter.js';
import { expectClose } from '../helpers/close.js';
import { describeGpu } from '../helpers/gpu.js';
import { mulberry32, pick, randInt } from '../helpers/rng.js';

const TOL = 1e-4;

interface Case {
  x: number[];
  w: number[];
  opts: Conv2dOptions;
  perSample: boolean;
}

const label = (c: Case): string => `x=[${c.x}] w=[${c.w}] ${JSON.stringify(c.opts)}${c.perSample ? ' perSample' : ''}`;

/** Hand-picked edge cases, then seeded random ones: channel tiles of 4, 2 and 1, rows shorter and longer than the pixel tile. */
function cases(): Case[] {
  const out: Case[] = [
    { x: [1, 4, 8, 8], w: [4, 4, 3, 3], opts: { padding: 1 }, perSample: false }, // channel tiles 4, batch 1
    { x: [2, 2, 6, 6], w: [2, 2, 3, 3], opts: { padding: 1 }, perSample: false }, // channel tiles 2
    { x: [2, 3, 7, 7], w: [3, 3, 3, 3], opts: { padding: 1 }, perSample: false }, // channel tiles 1, odd row
    { x: [1, 2, 3, 37], w: [4, 2, 3, 3], opts: { padding: 'same' }, perSample: false }, // ragged pixel tiles: 37 = 16 + 16 + 5
    { x: [2, 2, 4, 20], w: [2, 2, 2, 2, 3], opts: { padding: 1, dilation: [1, 2] }, perSample: true }, // ragged, per-sample, dilation
    { x: [2, 4, 9, 16], w: [4, 2, 3, 3], opts: { stride: 2, padding: 'same', groups: 2 }, perSample: false }, // stride 2: the strided input gradient
    { x: [2, 4, 9, 34], w: [4, 4, 3, 3], opts: { stride: [1, 2], padding: 1 }, perSample: false }, // W stride 2, ragged forward tiles
    { x: [2, 2, 10, 12], w: [2, 2, 2, 3, 3], opts: { dilation: 2, padding: 2 }, perSample: true }, // dilation, per-sample
    { x: [3, 4, 8, 8], w: [8, 1, 3, 3], opts: { padding: 'same', groups: 4 }, perSample: false }, // grouped, 2 outputs per group
    { x: [2, 6, 18, 18], w: [6, 1, 3, 3], opts: { padding: 'same', groups: 6 }, perSample: false }, // depthwise, ragged rows
    { x: [1, 2, 5, 8], w: [1, 2, 2, 1, 5], opts: { padding: [0, 0, 2, 2] }, perSample: true }, // batch 1, per-sample, wide kernel
    { x: [1, 4, 5, 8], w: [4, 4, 1, 7], opts: { padding: [0, 0, 3, 3] }, perSample: false }, // kW 7: input-channel tile cut to fit
    { x: [5, 2, 13, 12], w: [4, 2, 3, 3], opts: { padding: 1 }, perSample: false }, // 65 rows: split filter gradient, ragged last block
    { x: [2, 2, 66, 6], w: [2, 2, 2, 3, 3], opts: { padding: 1 }, perSample: true }, // split per-sample filter gradient
    { x: [1, 1, 1, 6], w: [2, 1, 1, 5], opts: { padding: 'same' }, perSample: false }, // one row, kW > 4
    { x: [1, 2, 6, 11], w: [2, 2, 3, 2], opts: { stride: [2, 3], padding: [1, 0, 2, 1] }, perSample: false }, // W stride 3 > kW: a residue no tap reaches
    { x: [2, 2, 5, 13], w: [2, 2, 2, 3, 3], opts: { stride: 2, dilation: [1, 2], padding: 2 }, perSample: true }, // strided, dilated, per-sample
  ];
  const rng = mulberry32(4242);
  while (out.length < 40) {
    const groups = pick(rng, [1, 1, 2, 3]);
    const cg = pick(rng, [1, 2, 3, 4]);
    const og = pick(rng, [1, 2, 3, 4, 8]);
    const kH = randInt(rng, 1, 3);
    const kW = randInt(rng, 1, 4);
    const stride: [number, number] = [randInt(rng, 1, 2), pick(rng, [1, 1, 2])];
    const dilation: [number, number] = [randInt(rng, 1, 2), randInt(rng, 1, 2)];
    const padding: Conv2dOptions['padding'] = pick(rng, ['same', 'valid', 1, [0, 1, 2, 1]] as Conv2dOptions['padding'][]);
    const batch = randInt(rng, 1, 3);
    const perSample = rng() < 0.4;
    const inH = (kH - 1) * dilation[0] + 1 + randInt(rng, 0, 5);
    const inW = Math.max((kW - 1) * dilation[1] + 1, pick(rng, [4, 8, 6, 10, 12, 7, 9, 19, 24]));
    const w = [groups * og, cg, kH, kW];
    out.push({ x: [batch, groups * cg, inH, inW], w: perSample ? [batch, ...w] : w, opts: { stride, dilation, padding, groups }, perSample });
  }
  return out;
}

const rand32 = (rng: () => number, n: number): Float32Array => Float32Array.from({ length: n }, () => rng() * 2 - 1);
const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
const c64 = (a: Float32Array) => cpuBackend.fromArray(Float64Array.from(a));

describeGpu('gpu WGSL conv2d kernels (register tiles, split filter gradient) vs cpu', (gpu) => {
  const all = cases();
  const geos = all.map((c) => conv2dGeometry('conv2d', c.x, c.w, c.opts, c.perSample));

  it('the cases cover channel tiles 4, 2 and 1, ragged pixel tiles, W-strided input gradients, and split and unsplit filter gradients', () => {
    expect(all.length).to.be.at.least(30);
    const f = geos.map(wgslForwardTile);
    const b = geos.map(wgslBackwardInputTile);
    const ft = geos.map(wgslFilterTile);
    const s = geos.map((g, i) => wgslFilterBlocks(g, ft[i]));
    for (const t of [1, 2, 4]) {
      expect(f.filter((x) => x.ch === t).length, `forward channel tile ${t}`).to.be.at.least(3);
      expect(b.filter((x) => x.ch === t).length, `input-gradient channel tile ${t}`).to.be.at.least(3);
      expect(ft.filter((x) => x.oc === t).length, `filter output-channel tile ${t}`).to.be.at.least(2);
      expect(ft.filter((x) => x.ic === t).length, `filter input-channel tile ${t}`).to.be.at.least(2);
    }
    expect(geos.filter((g, i) => g.outW % f[i].px !== 0).length, 'ragged forward pixel tiles').to.be.at.least(3);
    const cols = (g: Conv2dGeometry): number => Math.ceil(g.inW / g.strideW);
    expect(geos.filter((g, i) => g.strideW === 1 && g.inW % b[i].px !== 0).length, 'ragged input-gradient pixel tiles').to.be.at.least(2);
    expect(geos.filter((g) => g.strideW > 1).length, 'W-strided input gradients').to.be.at.least(5);
    expect(geos.filter((g, i) => g.strideW > 1 && (cols(g) % b[i].px !== 0 || g.inW % g.strideW !== 0)).length, 'ragged residues').to.be.at.least(2);
    expect(geos.some((g) => g.strideW > g.kW)).to.equal(true);
    expect(
      geos.some((g) => g.strideW > 1 && g.strideH > 1 && g.inH % g.strideH !== 0),
      'ragged row residues',
    ).to.equal(true);
    expect(geos.some((g, i) => g.strideW > 1 && b[i].ch > 1 && g.dilationW > 1)).to.equal(true);
    expect(geos.some((g, i) => ft[i].oc * ft[i].ic < Math.min(4, g.outCPerGroup) * Math.min(4, g.inCPerGroup) && g.kW > 4)).to.equal(true);
    expect(s.filter((x, i) => x.blocks > 1 && !geos[i].perSampleWeights).length, 'split, shared weights').to.be.at.least(1);
    expect(s.filter((x, i) => x.blocks > 1 && geos[i].perSampleWeights).length, 'split, per-sample weights').to.be.at.least(1);
    expect(
      s.some((x, i) => x.blocks > 1 && x.blocks * x.rowsPerBlock > (geos[i].perSampleWeights ? 1 : geos[i].batch) * geos[i].outH),
      'a ragged last block',
    ).to.equal(true);
    expect(geos.some((g, i) => f[i].ch > 1 && g.strideW > 1)).to.equal(true);
    expect(geos.some((g, i) => f[i].ch > 1 && g.dilationW > 1)).to.equal(true);
    expect(geos.some((g, i) => b[i].ch > 1 && g.groups > 1)).to.equal(true);
    expect(geos.some((g, i) => b[i].ch > 1 && g.perSampleWeights)).to.equal(true);
    expect(geos.some((g) => g.depthwise)).to.equal(true);
    expect(geos.some((g) => g.batch === 1 && g.perSampleWeights)).to.equal(true);
  });

  all.forEach((c, ci) => {
    const geo: Conv2dGeometry = geos[ci];
    const [f, b, ft] = [wgslForwardTile(geo), wgslBackwardInputTile(geo), wgslFilterTile(geo)];
    const tiles = `tiles ${f.ch}x${f.px} / ${b.ch}x${b.px}${geo.strideW > 1 ? ' strided' : ''} / ${ft.oc}x${ft.ic}x${ft.px}, filter blocks ${wgslFilterBlocks(geo, ft).blocks}`;
    it(`${label(c)} (${tiles})`, async () => {
      const rng = mulberry32(700 + ci);
      const x = rand32(rng, size(c.x));
      const w = rand32(rng, size(c.w));
      const dy = rand32(rng, geo.batch * geo.outC * geo.outH * geo.outW);
      const g = gpu();
      const [xs, ws, dys] = [g.fromArray(x), g.fromArray(w), g.fromArray(dy)];
      const y = g.conv2d(xs, ws, geo);
      const dx = g.conv2dBackwardInput(dys, ws, geo);
      const dw = g.conv2dBackwardFilter(xs, dys, geo);
      expectClose(await g.read(y), cpuBackend.readSync(cpuBackend.conv2d(c64(x), c64(w), geo)), TOL, 'forward');
      expectClose(await g.read(dx), cpuBackend.readSync(cpuBackend.conv2dBackwardInput(c64(dy), c64(w), geo)), TOL, 'backward-input');
      expectClose(await g.read(dw), cpuBackend.readSync(cpuBackend.conv2dBackwardFilter(c64(x), c64(dy), geo)), TOL, 'backward-filter');
      [xs, ws, dys, y, dx, dw].forEach((s) => g.dispose(s));
    });
  });
});
