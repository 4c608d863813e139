// Pooling parity: max/avg pool forward and backward of every backend against the cpu reference, on the same seeded random windows with ties.

import '../../kernels/register.js';
import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { pool2dGeometry, type Pool2dOptions } from '../../kernels/geometry/pool.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randInt } from '../helpers/rng.js';

// Float32 backends against the float64 reference (the cpu backend itself is checked against naive
// window loops in cpu_pool.test.ts; the wasm 2×2 fast path bit for bit in wasm_pool.test.ts).
const TOL = 1e-4;
const c64 = (a: Float32Array) => cpuBackend.fromArray(Float64Array.from(a));

/** The seeded cases: two fixed ones, then random kernels, strides, paddings ('same' too) and include-pad flags. */
function poolCases(): [number[], Pool2dOptions, boolean][] {
  const rng = mulberry32(909);
  const cases: [number[], Pool2dOptions, boolean][] = [
    [[1, 1, 2, 2], { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }, false],
    [[2, 3, 7, 7], { kernelSize: 3, stride: 2, padding: 'same' }, true],
  ];
  while (cases.length < 32) {
    const kH = randInt(rng, 1, 4);
    const kW = randInt(rng, 1, 4);
    const padding: Pool2dOptions['padding'] =
      rng() < 0.2 ? 'same' : [randInt(rng, 0, kH - 1), randInt(rng, 0, kH - 1), randInt(rng, 0, kW - 1), randInt(rng, 0, kW - 1)];
    const xShape = [randInt(rng, 1, 2), randInt(rng, 1, 3), kH + randInt(rng, 0, 6), kW + randInt(rng, 0, 6)];
    cases.push([xShape, { kernelSize: [kH, kW], stride: [randInt(rng, 1, 3), randInt(rng, 1, 3)], padding, countIncludePad: rng() < 0.5 }, rng() < 0.4]);
  }
  return cases;
}

forEachBackend((tb) => {
  if (tb.name === 'cpu') return;
  describe('max/avg pooling vs the cpu reference', () => {
    const rng = mulberry32(910);
    for (const [xShape, opts, ties] of poolCases()) {
      it(`x=[${xShape}] k=${JSON.stringify(opts.kernelSize)} s=${JSON.stringify(opts.stride)} p=${JSON.stringify(opts.padding)} includePad=${opts.countIncludePad}${ties ? ' ties' : ''}`, async () => {
        const geo = pool2dGeometry('pool2d', xShape, opts);
        const n = xShape.reduce((a, d) => a * d, 1);
        // Ties: few distinct values, so the first-maximum rule decides the backward routing.
        const x = Float32Array.from({ length: n }, () => (ties ? randInt(rng, -2, 1) : rng() * 2 - 1));
        const dy = Float32Array.from({ length: geo.batch * geo.channels * geo.outH * geo.outW }, () => rng() * 2 - 1);
        const b = tb.backend;
        const [xs, dys] = [b.fromArray(x), b.fromArray(dy)];
        const outs = [b.maxPool2d(xs, geo), b.maxPool2dBackward(xs, dys, geo), b.avgPool2d(xs, geo), b.avgPool2dBackward(dys, geo)];
        const wants = [
          cpuBackend.maxPool2d(c64(x), geo),
          cpuBackend.maxPool2dBackward(c64(x), c64(dy), geo),
          cpuBackend.avgPool2d(c64(x), geo),
          cpuBackend.avgPool2dBackward(c64(dy), geo),
        ].map((s) => cpuBackend.readSync(s));
        const names = ['maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward'];
        for (let k = 0; k < 4; k++) expectClose(await b.read(outs[k]), wants[k], TOL, names[k]);
        [xs, dys, ...outs].forEach((s) => b.dispose(s));
      });
    }

    it('x=[1,1,2,2] of equal values k=2: max backward routes dy to the first maximum only (hand-computed)', async () => {
      const b = tb.backend;
      const geo = pool2dGeometry('maxPool2d', [1, 1, 2, 2], { kernelSize: 2 });
      const dx = b.maxPool2dBackward(b.fromArray(new Float32Array([5, 5, 5, 5])), b.fromArray(new Float32Array([3])), geo);
      expect(Array.from(await b.read(dx))).to.deep.equal([3, 0, 0, 0]);
    });
  });
});
