// Conv parity: conv2d forward, backward-input and backward-filter of every backend against the cpu reference on seeded random geometries.

import '../../kernels/register.js';
import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { expectClose } from '../helpers/close.js';
import { forEachBackend } from '../helpers/backends.js';
import { mulberry32, pick, randInt } from '../helpers/rng.js';

// Float32 backends against the float64 reference (cpu_conv.test.ts checks the cpu backend against naive loops).
const TOL = 1e-4;

interface Case {
  xShape: number[];
  wShape: number[];
  opts: Conv2dOptions;
  perSample: boolean;
}

function label(c: Case): string {
  const o = c.opts;
  return `x=[${c.xShape}] w=[${c.wShape}] s=${JSON.stringify(o.stride)} d=${JSON.stringify(o.dilation)} p=${JSON.stringify(o.padding)} g=${o.groups}${c.perSample ? ' perSample' : ''}`;
}

/** Hand-picked feature cases, then seeded random ones (plain, grouped, depthwise; every padding form). */
function cases(): Case[] {
  const out: Case[] = [
    { xShape: [2, 3, 6, 7], wShape: [4, 3, 3, 3], opts: { stride: 1, padding: 1, dilation: 1, groups: 1 }, perSample: false },
    { xShape: [2, 4, 8, 8], wShape: [8, 1, 3, 3], opts: { stride: 2, padding: 'same', dilation: 1, groups: 4 }, perSample: false },
    { xShape: [3, 4, 9, 9], wShape: [3, 6, 2, 3, 3], opts: { stride: [2, 1], padding: [2, 1, 0, 3], dilation: 2, groups: 2 }, perSample: true },
    { xShape: [2, 6, 5, 5], wShape: [2, 6, 1, 3, 3], opts: { stride: 1, padding: 'same', dilation: 1, groups: 6 }, perSample: true },
    { xShape: [4, 8, 12, 12], wShape: [16, 8, 3, 3], opts: { stride: 1, padding: 1, dilation: 1, groups: 1 }, perSample: false },
  ];
  const rng = mulberry32(808);
  while (out.length < 36) {
    const kind = pick(rng, ['plain', 'grouped', 'depthwise'] as const);
    const groups = kind === 'plain' ? 1 : kind === 'grouped' ? randInt(rng, 2, 3) : randInt(rng, 2, 4);
    const cg = kind === 'depthwise' ? 1 : randInt(rng, 1, 3);
    const og = kind === 'depthwise' ? randInt(rng, 1, 2) : randInt(rng, 1, 3);
    const kH = randInt(rng, 1, 4);
    const kW = randInt(rng, 1, 4);
    const stride: [number, number] = [randInt(rng, 1, 3), randInt(rng, 1, 3)];
    const dilation: [number, number] = [randInt(rng, 1, 2), randInt(rng, 1, 2)];
    const mode = pick(rng, ['valid', 'num', 'pair', 'asym', 'same'] as const);
    const padding: Conv2dOptions['padding'] =
      mode === 'valid' || mode === 'same'
        ? mode
        : mode === 'num'
          ? randInt(rng, 0, 2)
          : mode === 'pair'
            ? [randInt(rng, 0, 2), randInt(rng, 0, 2)]
            : [randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2)];
    const batch = randInt(rng, 1, 3);
    const perSample = rng() < 0.35;
    const inH = (kH - 1) * dilation[0] + 1 + randInt(rng, 0, 5);
    const inW = (kW - 1) * dilation[1] + 1 + randInt(rng, 0, 5);
    const w = [groups * og, cg, kH, kW];
    out.push({ xShape: [batch, groups * cg, inH, inW], wShape: perSample ? [batch, ...w] : w, opts: { stride, dilation, padding, groups }, perSample });
  }
  return out;
}

function rand32(rng: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
const c64 = (a: Float32Array) => cpuBackend.fromArray(Float64Array.from(a));

forEachBackend((tb) => {
  if (tb.name === 'cpu') return;
  const be = () => tb.backend;
  describe('conv2d kernels vs the cpu reference', () => {
    const all = cases();
    all.forEach((c, ci) => {
      it(label(c), async () => {
        const geo: Conv2dGeometry = conv2dGeometry('conv2d', c.xShape, c.wShape, c.opts, c.perSample);
        const rng = mulberry32(9000 + ci);
        const x = rand32(rng, size(c.xShape));
        const w = rand32(rng, size(c.wShape));
        const dy = rand32(rng, geo.batch * geo.outC * geo.outH * geo.outW);
        const g = be();
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

    it('covers depthwise, grouped, per-sample, even-kernel same, stride 3 and dilation 2', () => {
      expect(all.length).to.be.at.least(30);
      expect(all.some((c) => c.opts.groups === c.xShape[1] && c.opts.groups > 1)).to.equal(true);
      expect(all.some((c) => (c.opts.groups as number) > 1 && c.opts.groups !== c.xShape[1])).to.equal(true);
      expect(all.some((c) => c.perSample)).to.equal(true);
      expect(all.some((c) => c.opts.padding === 'same' && (c.wShape.at(-1)! % 2 === 0 || c.wShape.at(-2)! % 2 === 0))).to.equal(true);
      expect(all.some((c) => JSON.stringify(c.opts.stride).includes('3'))).to.equal(true);
      expect(all.some((c) => JSON.stringify(c.opts.dilation).includes('2'))).to.equal(true);
    });

    it('per-sample weights x=[2,1,3,3] w=[2,1,1,2,2]: each sample uses its own kernel, dw is per sample (hand-computed)', async () => {
      const x = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const w = new Float32Array([1, 0, 0, -1, 0, 1, 0, 0]);
      const geo = conv2dGeometry('conv2d', [2, 1, 3, 3], [2, 1, 1, 2, 2], {}, true);
      const g = be();
      const [xs, ws] = [g.fromArray(x), g.fromArray(w)];
      expect(Array.from(await g.read(g.conv2d(xs, ws, geo)))).to.deep.equal([-4, -4, -4, -4, 2, 3, 5, 6]);
      const dy = g.fromArray(new Float32Array([1, 1, 1, 1, 0, 0, 0, 0]));
      expect(Array.from(await g.read(g.conv2dBackwardFilter(xs, dy, geo)))).to.deep.equal([12, 16, 24, 28, 0, 0, 0, 0]);
    });

    it('rejects a weight storage whose size does not match w=[1,1,2,2]', () => {
      const g = be();
      const geo = conv2dGeometry('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
      expect(() => g.conv2d(g.fromArray(new Float32Array(9)), g.fromArray(new Float32Array(5)), geo)).to.throw(
        new RegExp(`^${tb.name}\\.conv2d: w has 5 elements`),
      );
    });
  });
});
