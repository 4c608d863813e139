// Wasm Winograd F(4x4, 3x3) (forced on every Winograd forward and input gradient) against the cpu reference on seeded shapes.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, transposedConvGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { forceWinogradTile, isWinograd, winogradTile } from '../../kernels/wasm/conv_choice.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randArray } from '../helpers/rng.js';
import { WASM_THREADS, useWasmBackend } from '../helpers/wasm.js';

interface Case {
  x: number[];
  w: number[];
  opts: Conv2dOptions;
  perSample: boolean;
  /** The input gradient's tile under the force, where not F(4,3): its transposed conv sums more than 128 channels. */
  inputTile?: 2;
}

const CASES: Case[] = [
  // Ragged tiles on both edges (11 columns: 3 tiles of 4, padded to 4 lanes), odd channels on both sides.
  { x: [2, 17, 13, 11], w: [13, 17, 3, 3], opts: { padding: 'same' }, perSample: false },
  // Several tile-row blocks (15 tile rows in blocks of 3), one sample.
  { x: [1, 48, 60, 40], w: [40, 48, 3, 3], opts: { padding: 'same' }, perSample: false },
  { x: [2, 40, 50, 21], w: [36, 40, 3, 3], opts: { padding: 1 }, perSample: true },
  // Groups, asymmetric and negative transposed padding, per-sample kernels.
  { x: [2, 24, 11, 9], w: [27, 8, 3, 3], opts: { groups: 3, padding: [2, 0, 1, 1] }, perSample: true },
  { x: [2, 16, 3, 5], w: [18, 8, 3, 3], opts: { groups: 2, padding: 'valid' }, perSample: false },
  // 1-pixel and odd outputs.
  { x: [1, 9, 3, 3], w: [10, 9, 3, 3], opts: { padding: 'valid' }, perSample: true },
  { x: [1, 9, 2, 1], w: [10, 9, 3, 3], opts: { padding: 1 }, perSample: false },
  { x: [3, 10, 7, 6], w: [12, 10, 3, 3], opts: { padding: [3, 3, 0, 4] }, perSample: false },
  { x: [3, 12, 17, 23], w: [11, 12, 3, 3], opts: { padding: 2 }, perSample: true },
  // Many channels: chunked channel sums (32 per GEMM pass) on the forward and the input gradient.
  { x: [4, 64, 12, 12], w: [64, 64, 3, 3], opts: { padding: 1 }, perSample: false },
  { x: [3, 64, 16, 16], w: [64, 64, 3, 3], opts: { padding: 1 }, perSample: true },
  { x: [2, 128, 8, 8], w: [128, 128, 3, 3], opts: { padding: 1 }, perSample: true },
  { x: [1, 33, 14, 14], w: [70, 33, 3, 3], opts: { padding: 1 }, perSample: false },
  // The input gradient sums 160 channels: F(2,3) though F(4,3) is forced (the forward sums 64 and runs F(4,3)).
  { x: [1, 64, 8, 8], w: [160, 64, 3, 3], opts: { padding: 1 }, perSample: false, inputTile: 2 },
];

const describeCase = (c: Case): string =>
  `x=[${c.x}] w=[${c.perSample ? `${c.x[0]},` : ''}${c.w}] ${JSON.stringify(c.opts)}${c.perSample ? ' per-sample' : ''}`;

for (const threads of WASM_THREADS) {
  describe(`wasm Winograd F(4x4,3x3) threads=${threads}`, () => {
    const be = useWasmBackend(threads);
    let prev: ReturnType<typeof forceWinogradTile> = null;
    before(() => {
      prev = forceWinogradTile(4);
    });
    after(() => {
      forceWinogradTile(prev);
    });
    CASES.forEach((c, i) => {
      it(`forward and input gradient ${describeCase(c)}`, () => {
        const wShape = c.perSample ? [c.x[0], ...c.w] : c.w;
        const g = conv2dGeometry('conv2d', c.x, wShape, c.opts, c.perSample);
        // Each case's forward runs F(4,3), and so does its input gradient (the stride-1 transposed conv, which is
        // Winograd wherever the forward is) except the one case marked inputTile: 2.
        const tg = transposedConvGeometry(g);
        expect(isWinograd(g) && winogradTile(g, false), 'the forward runs F(4,3)').to.equal(4);
        expect(isWinograd(tg) && winogradTile(tg, true), 'the input gradient runs F(m,3)').to.equal(c.inputTile ?? 4);
        const rng = mulberry32(7100 + i);
        const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
        const x = randArray(rng, size(c.x), 'float32'),
          w = randArray(rng, size(wShape), 'float32');
        const dy = randArray(rng, g.batch * g.outC * g.outH * g.outW, 'float32');
        const [cx, cw, cdy] = [x, w, dy].map((a) => cpuBackend.fromArray(a));
        const [wx, ww, wdy] = [x, w, dy].map((a) => be().fromArray(a));
        expectClose(be().readSync(be().conv2d(wx, ww, g)), cpuBackend.readSync(cpuBackend.conv2d(cx, cw, g)), 1e-4, 'forward');
        const dx = be().readSync(be().conv2dBackwardInput(wdy, ww, g));
        expectClose(dx, cpuBackend.readSync(cpuBackend.conv2dBackwardInput(cdy, cw, g)), 1e-4, 'backward input');
      });
    });
  });
}
