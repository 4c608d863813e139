// The wasm backend's vectorised 2×2 and 1×2 (1-D) stride-2 max pooling: bit-identical to the cpu reference, ties, NaNs, signed zeros and ragged edges.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { pool2dGeometry, type Pool2dGeometry } from '../../kernels/geometry/pool.js';
import { pool1dGeometry } from '../../kernels/geometry/pool1d.js';
import { mulberry32, randInt } from '../helpers/rng.js';
import { WASM_THREADS, useWasmBackend } from '../helpers/wasm.js';

/** Element-wise identity, telling -0 from +0 and accepting NaN for NaN. */
function expectIdentical(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  expect(got.length, `${label} length`).to.equal(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i]))
      expect.fail(`${label} [${i}]: got ${Object.is(got[i], -0) ? '-0' : got[i]}, want ${Object.is(want[i], -0) ? '-0' : want[i]}`);
  }
}

/** Values from a handful of levels (many ties), both zeros, and NaNs at `nans` (including window corners). */
function poolInput(seed: number, n: number, nans: readonly number[]): Float32Array {
  const rng = mulberry32(seed);
  const levels = [-1, -0, 0, 0.5, 2, 2];
  const x = Float32Array.from({ length: n }, () => levels[randInt(rng, 0, levels.length - 1)]);
  for (const i of nans) if (i < n) x[i] = NaN;
  return x;
}

/** x shapes: whole 4-window groups, groups plus a scalar tail, odd sizes with uncovered edges, MNIST-like planes. */
const SHAPES: [number, number, number, number][] = [
  [2, 3, 8, 8],
  [2, 3, 13, 11],
  [1, 2, 28, 28],
  [3, 4, 7, 20],
  [2, 2, 2, 2],
  [1, 3, 5, 9],
  [4, 16, 14, 14],
];

for (const threads of WASM_THREADS) {
  describe(`wasm maxPool2d 2×2 stride 2 threads=${threads}`, () => {
    const be = useWasmBackend(threads);

    SHAPES.forEach((shape, s) => {
      it(`x=[${shape}] k=2 s=2 p=0: forward and backward identical to cpu (ties, NaN, ±0, -0 gradients)`, () => {
        const g = pool2dGeometry('maxPool2d', shape, { kernelSize: 2 });
        const n = shape.reduce((a, b) => a * b, 1);
        const [, , H, W] = shape;
        // NaN as a window's first cell, as its last cell, and mid-plane.
        const x = poolInput(100 + s, n, [0, W + 1, 2 * W + 6, Math.floor(n / 2) + 3]);
        const rng = mulberry32(200 + s);
        const dy = Float32Array.from({ length: g.batch * g.channels * g.outH * g.outW }, (_, i) => (i % 7 === 3 ? -0 : randInt(rng, -3, 3) / 4));
        const wx = be().fromArray(x),
          wdy = be().fromArray(dy);
        const cx = cpuBackend.fromArray(x),
          cdy = cpuBackend.fromArray(dy);
        const y = be().readSync(be().maxPool2d(wx, g));
        expectIdentical(y, cpuBackend.readSync(cpuBackend.maxPool2d(cx, g)), 'forward');
        expect(Array.from(y).some(Number.isNaN), 'a NaN window').to.equal(true);
        const dx = be().readSync(be().maxPool2dBackward(wx, wdy, g));
        expectIdentical(dx, cpuBackend.readSync(cpuBackend.maxPool2dBackward(cx, cdy, g)), 'backward');
        if (H % 2 === 1)
          expect(
            Array.from(dx.slice(n - W)).every((v) => Object.is(v, 0)),
            'uncovered last row is +0',
          ).to.equal(true);
      });
    });

    it('a dirty output buffer does not leak into dx: x=[1,1,9,9] twice, the second after other work reused the heap', () => {
      const g = pool2dGeometry('maxPool2d', [1, 1, 9, 9], { kernelSize: 2 });
      const x = poolInput(7, 81, []);
      const dy = Float32Array.from({ length: 16 }, (_, i) => i + 1);
      const want = cpuBackend.readSync(cpuBackend.maxPool2dBackward(cpuBackend.fromArray(x), cpuBackend.fromArray(dy), g));
      for (let r = 0; r < 2; r++) {
        const junk = be().fromArray(new Float32Array(81).fill(123));
        be().dispose(junk);
        expectIdentical(be().readSync(be().maxPool2dBackward(be().fromArray(x), be().fromArray(dy), g)), want, `round ${r}`);
      }
    });
  });
}

/** 1-D shapes [B, C, L] for the 1×2 path: whole 4-window groups, a ragged end (rerun), odd L (uncovered last cell), under four windows (scalar). */
const SHAPES_1D: number[][] = [
  [2, 3, 16],
  [2, 3, 14],
  [3, 2, 13],
  [1, 4, 28],
  [2, 2, 7],
  [3, 1, 2],
  [4, 16, 9],
];

/** Forward and backward on wasm and cpu, bit for bit; x holds NaNs at `nans`. */
function checkMaxPool(be: ReturnType<typeof useWasmBackend>, g: Pool2dGeometry, n: number, seed: number, nans: readonly number[]): ArrayLike<number> {
  const x = poolInput(seed, n, nans);
  const rng = mulberry32(seed + 1000);
  const dy = Float32Array.from({ length: g.batch * g.channels * g.outH * g.outW }, (_, i) => (i % 7 === 3 ? -0 : randInt(rng, -3, 3) / 4));
  const wx = be().fromArray(x),
    wdy = be().fromArray(dy);
  const cx = cpuBackend.fromArray(x),
    cdy = cpuBackend.fromArray(dy);
  expectIdentical(be().readSync(be().maxPool2d(wx, g)), cpuBackend.readSync(cpuBackend.maxPool2d(cx, g)), 'forward');
  const dx = be().readSync(be().maxPool2dBackward(wx, wdy, g));
  expectIdentical(dx, cpuBackend.readSync(cpuBackend.maxPool2dBackward(cx, cdy, g)), 'backward');
  return dx;
}

for (const threads of WASM_THREADS) {
  describe(`wasm max pooling 1×2 stride 2 (maxPool1d k=2) threads=${threads}`, () => {
    const be = useWasmBackend(threads);

    SHAPES_1D.forEach((shape, s) => {
      it(`x=[${shape}] k=2: forward and backward identical to cpu (ties, NaN first and second in a window, ±0)`, () => {
        const g = pool1dGeometry('maxPool1d', shape, { kernelSize: 2 });
        const n = shape.reduce((a, b) => a * b, 1);
        const L = shape[2];
        const dx = checkMaxPool(be, g, n, 300 + s, [0, 3, L + 4, Math.floor(n / 2) + 1]);
        if (L % 2 === 1) {
          for (let r = 0; r < n / L; r++) expect(Object.is(dx[r * L + L - 1], 0), `row ${r}: uncovered last cell is +0`).to.equal(true);
        }
      });
    });

    it('a 2-D pool with 1×2 windows at stride [1, 2]: x=[2,3,5,11] (rows of one plane each pooled alone)', () => {
      const g = pool2dGeometry('maxPool2d', [2, 3, 5, 11], { kernelSize: [1, 2], stride: [1, 2] });
      checkMaxPool(be, g, 2 * 3 * 5 * 11, 400, [0, 12, 57]);
    });

    it('a dirty output buffer does not leak into dx: x=[2,3,9] twice, the second after other work reused the heap', () => {
      const g = pool1dGeometry('maxPool1d', [2, 3, 9], { kernelSize: 2 });
      for (let r = 0; r < 2; r++) {
        const junk = be().fromArray(new Float32Array(54).fill(123));
        be().dispose(junk);
        checkMaxPool(be, g, 54, 500, []);
      }
    });
  });
}
