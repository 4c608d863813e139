// gpu conv2d kernels with several outputs per invocation (forward, input gradient, filter-gradient rows) and the split-reduction filter gradient, against the cpu reference.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { filterBlocks, filterTile } from '../../kernels/gpu/conv_filter.js';
import { backwardInputTile, forwardTile } from '../../kernels/gpu/conv_tiled.js';
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

/** Hand-picked edge cases, then seeded random ones whose rows split into tiles of 4 or 2, or do not. */
function cases(): Case[] {
  const out: Case[] = [
    { x: [1, 3, 8, 8], w: [4, 3, 3, 3], opts: { padding: 1 }, perSample: false }, // tile 4, batch 1
    { x: [2, 2, 6, 6], w: [3, 2, 3, 3], opts: { padding: 1 }, perSample: false }, // tile 2
    { x: [2, 2, 7, 7], w: [3, 2, 3, 3], opts: { padding: 1 }, perSample: false }, // ragged: tile 1
    { x: [2, 4, 9, 16], w: [4, 2, 3, 3], opts: { stride: 2, padding: 'same', groups: 2 }, perSample: false }, // forward tile 4 at stride 2, input gradient untiled
    { x: [2, 2, 10, 12], w: [2, 2, 2, 3, 3], opts: { dilation: 2, padding: 2 }, perSample: true }, // dilation, per-sample
    { x: [3, 4, 8, 8], w: [8, 1, 3, 3], opts: { padding: 'same', groups: 4 }, perSample: false }, // depthwise with multiplier 2
    { x: [1, 2, 5, 8], w: [1, 2, 2, 1, 5], opts: { padding: [0, 0, 2, 2] }, perSample: true }, // batch 1, per-sample, wide kernel
    { x: [4, 3, 12, 12], w: [6, 3, 3, 3], opts: { padding: 1 }, perSample: false }, // filter gradient split over blocks
    { x: [1, 1, 1, 6], w: [2, 1, 1, 5], opts: { padding: 'same' }, perSample: false }, // kW > 4, one row: the one-pass filter gradient
  ];
  const rng = mulberry32(4242);
  while (out.length < 36) {
    const groups = pick(rng, [1, 1, 2, 3]);
    const cg = randInt(rng, 1, 3);
    const og = randInt(rng, 1, 3);
    const kH = randInt(rng, 1, 3);
    const kW = randInt(rng, 1, 4);
    const stride: [number, number] = [randInt(rng, 1, 2), pick(rng, [1, 1, 2])];
    const dilation: [number, number] = [randInt(rng, 1, 2), randInt(rng, 1, 2)];
    const padding: Conv2dOptions['padding'] = pick(rng, ['same', 'valid', 1, [0, 1, 2, 1]] as Conv2dOptions['padding'][]);
    const batch = randInt(rng, 1, 3);
    const perSample = rng() < 0.4;
    const inH = (kH - 1) * dilation[0] + 1 + randInt(rng, 0, 5);
    const inW = Math.max((kW - 1) * dilation[1] + 1, pick(rng, [4, 8, 6, 10, 12, 7, 9]));
    const w = [groups * og, cg, kH, kW];
    out.push({ x: [batch, groups * cg, inH, inW], w: perSample ? [batch, ...w] : w, opts: { stride, dilation, padding, groups }, perSample });
  }
  return out;
}

const rand32 = (rng: () => number, n: number): Float32Array => Float32Array.from({ length: n }, () => rng() * 2 - 1);
const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
const c64 = (a: Float32Array) => cpuBackend.fromArray(Float64Array.from(a));

describeGpu('gpu tiled conv2d and split filter gradient vs cpu', (gpu) => {
  const all = cases();
  const geos = all.map((c) => conv2dGeometry('conv2d', c.x, c.w, c.opts, c.perSample));

  it('the cases cover forward tiles 4, 2 and 1, input-gradient tiles 4, 2 and 1, and split and unsplit filter gradients', () => {
    expect(all.length).to.be.at.least(30);
    const f = geos.map(forwardTile);
    const b = geos.map(backwardInputTile);
    const s = geos.map((g) => filterBlocks(g, g.perSampleWeights));
    for (const t of [1, 2, 4]) {
      expect(f.filter((x) => x === t).length, `forward tile ${t}`).to.be.at.least(3);
      expect(b.filter((x) => x === t).length, `input-gradient tile ${t}`).to.be.at.least(3);
    }
    expect(s.filter((x, i) => x.blocks > 1 && !geos[i].perSampleWeights).length, 'split, shared weights').to.be.at.least(3);
    expect(s.filter((x, i) => x.blocks > 1 && geos[i].perSampleWeights).length, 'split, per-sample weights').to.be.at.least(3);
    expect(
      s.some((x, i) => x.blocks > 1 && x.blocks * x.rowsPerBlock > (geos[i].perSampleWeights ? 1 : geos[i].batch) * geos[i].outH),
      'a ragged last block',
    ).to.equal(true);
    for (const t of [1, 2, 3, 4])
      expect(
        geos.some((g) => filterTile(g) === t),
        `filter tile ${t}`,
      ).to.equal(true);
    expect(
      geos.some((g, i) => filterTile(g) === 1 && s[i].blocks === 1 && g.kW > 4),
      'the one-pass, one-output filter gradient',
    ).to.equal(true);
    expect(
      geos.some((g, i) => filterTile(g) > 1 && s[i].blocks === 1 && g.perSampleWeights),
      'a tiled one-block per-sample filter gradient',
    ).to.equal(true);
    expect(geos.some((g, i) => f[i] > 1 && g.strideW > 1)).to.equal(true);
    expect(geos.some((g, i) => f[i] > 1 && g.dilationW > 1)).to.equal(true);
    expect(geos.some((g, i) => b[i] > 1 && g.groups > 1)).to.equal(true);
    expect(geos.some((g, i) => b[i] > 1 && g.perSampleWeights)).to.equal(true);
    expect(geos.some((g, i) => f[i] > 1 && g.batch === 1)).to.equal(true);
  });

  all.forEach((c, ci) => {
    const geo: Conv2dGeometry = geos[ci];
    const fb = filterBlocks(geo, geo.perSampleWeights);
    it(`${label(c)} (tiles ${forwardTile(geo)}/${backwardInputTile(geo)}, filter blocks ${fb.blocks})`, async () => {
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
