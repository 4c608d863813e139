// Wasm conv2d kernels (forward, backward-input, backward-filter) against the cpu reference on seeded random configurations.

import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import {
  WINOGRAD_FILTER_BLOCKS,
  forceWinogradFilterSums,
  forceWinogradTile,
  isWinograd,
  isWinogradFilter,
  isWinogradFilterGemm,
  winoPlan,
  winogradTile,
} from '../../kernels/wasm/conv_choice.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, pick, randArray, randInt } from '../helpers/rng.js';
import { WASM_THREADS, useWasmBackend } from '../helpers/wasm.js';

interface ConvCase {
  x: number[];
  w: number[];
  opts: Conv2dOptions;
  perSample: boolean;
}

/** A random valid conv: groups (incl. depthwise with a multiplier), stride, dilation, asymmetric/'same'/'valid' padding. */
function randomCase(rng: () => number): ConvCase {
  for (;;) {
    const kind = pick(rng, ['plain', 'plain', 'grouped', 'depthwise', 'pointwise'] as const);
    const groups = kind === 'grouped' ? randInt(rng, 2, 3) : kind === 'depthwise' ? randInt(rng, 1, 6) : 1;
    const cpg = kind === 'depthwise' ? 1 : randInt(rng, 1, 5);
    const opg = kind === 'depthwise' ? randInt(rng, 1, 3) : randInt(rng, 1, 6);
    const k = kind === 'pointwise' ? [1, 1] : [randInt(rng, 1, 4), randInt(rng, 1, 4)];
    const x = [randInt(rng, 1, 3), groups * cpg, randInt(rng, 1, 12), randInt(rng, 1, 12)];
    const padKind = pick(rng, ['num', 'quad', 'same', 'valid'] as const);
    const padding =
      padKind === 'num'
        ? randInt(rng, 0, 2)
        : padKind === 'quad'
          ? ([randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2)] as [number, number, number, number])
          : padKind;
    const opts: Conv2dOptions = {
      stride: [pick(rng, [1, 1, 2, 3]), pick(rng, [1, 1, 2, 3])],
      dilation: [randInt(rng, 1, 2), randInt(rng, 1, 2)],
      padding,
      groups,
    };
    const w = [groups * opg, cpg, k[0], k[1]];
    try {
      conv2dGeometry('conv2d', x, w, opts);
      return { x, w, opts, perSample: rng() < 0.4 };
    } catch {
      // window larger than the padded input: draw again
    }
  }
}

/** A random depthwise 3×3 conv of the sweep kernels' family: stride 1 or 2, padding 0-2 per side or 'same', multipliers, sizes 1-23. */
function randomDepthwise3x3(rng: () => number): ConvCase {
  for (;;) {
    const groups = randInt(rng, 1, 4),
      mult = randInt(rng, 1, 3),
      stride = pick(rng, [1, 2]);
    const padding = pick(rng, [
      'same',
      1,
      [randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2)] as [number, number, number, number],
    ] as const);
    const x = [randInt(rng, 1, 2), groups, randInt(rng, 1, 23), randInt(rng, 1, 23)];
    const c: ConvCase = { x, w: [groups * mult, 1, 3, 3], opts: { padding, groups, stride }, perSample: rng() < 0.5 };
    try {
      conv2dGeometry('conv2d', c.x, c.w, c.opts);
      return c;
    } catch {
      // window larger than the padded input: draw again
    }
  }
}

/** Larger cases: several column blocks, many channels, batch 1 (threads split blocks), odd widths. */
const LARGE: ConvCase[] = [
  { x: [1, 16, 30, 30], w: [24, 16, 3, 3], opts: { padding: 'same' }, perSample: false },
  { x: [1, 16, 30, 30], w: [24, 16, 3, 3], opts: { padding: 'same' }, perSample: true },
  { x: [3, 20, 17, 23], w: [37, 20, 3, 3], opts: { padding: [1, 2, 0, 1] }, perSample: false },
  { x: [2, 12, 19, 21], w: [18, 4, 3, 3], opts: { padding: 1, groups: 3, stride: 2 }, perSample: true },
  { x: [2, 33, 15, 13], w: [17, 33, 1, 1], opts: {}, perSample: false },
  { x: [2, 40, 9, 9], w: [40, 40, 1, 1], opts: {}, perSample: true },
  { x: [2, 24, 21, 19], w: [48, 1, 3, 3], opts: { padding: 'same', groups: 24 }, perSample: false },
  { x: [2, 24, 21, 19], w: [24, 1, 5, 5], opts: { padding: 'same', groups: 24, stride: 2 }, perSample: true },
  // Depthwise 3×3 column sweeps: 'same' straight from the unpadded plane (any width >= 5: a width that is not a
  // multiple of 4 ends in an overlapping vector, masked where multipliers accumulate input gradients), else from a
  // padded plane (width 4 too; scalar below 4 output columns); one row, multipliers, per-sample kernels.
  { x: [2, 4, 7, 7], w: [4, 1, 3, 3], opts: { padding: 'same', groups: 4 }, perSample: true },
  { x: [2, 3, 14, 14], w: [9, 1, 3, 3], opts: { padding: 'same', groups: 3 }, perSample: true },
  { x: [1, 3, 9, 13], w: [6, 1, 3, 3], opts: { padding: 1, groups: 3 }, perSample: false },
  { x: [2, 2, 3, 4], w: [4, 1, 3, 3], opts: { padding: 'same', groups: 2 }, perSample: false },
  { x: [1, 2, 1, 5], w: [6, 1, 3, 3], opts: { padding: 'same', groups: 2 }, perSample: true },
  { x: [1, 2, 6, 6], w: [2, 1, 3, 3], opts: { padding: 'same', groups: 2 }, perSample: false },
  { x: [1, 2, 9, 11], w: [4, 1, 3, 3], opts: { padding: 0, groups: 2 }, perSample: true },
  { x: [2, 3, 6, 5], w: [3, 1, 3, 3], opts: { padding: 'valid', groups: 3 }, perSample: false },
  { x: [1, 2, 10, 10], w: [4, 1, 3, 3], opts: { padding: [0, 2, 1, 1], groups: 2 }, perSample: false },
  { x: [1, 2, 5, 9], w: [2, 1, 3, 3], opts: { padding: 2, groups: 2 }, perSample: true },
  { x: [2, 4, 5, 8], w: [8, 1, 3, 3], opts: { padding: 'same', groups: 4 }, perSample: false },
  { x: [1, 3, 1, 12], w: [3, 1, 3, 3], opts: { padding: 1, groups: 3 }, perSample: true },
  { x: [2, 5, 6, 16], w: [15, 1, 3, 3], opts: { padding: 'same', groups: 5 }, perSample: true },
  { x: [1, 2, 7, 20], w: [2, 1, 3, 3], opts: { padding: 1, groups: 2 }, perSample: false },
  { x: [2, 3, 8, 32], w: [6, 1, 3, 3], opts: { padding: 'same', groups: 3 }, perSample: false },
  { x: [1, 8, 40, 40], w: [8, 1, 3, 3], opts: { padding: 2, groups: 8, dilation: 2 }, perSample: false },
  // Depthwise 3×3 stride 2 sweeps: padding 1 or 0 before (TF 'same' on even sizes), odd sizes, overlapping last
  // strip, multipliers (the input gradient's sweep: padding 1 before, at most 1 after); and the shapes they leave
  // to the padded plane or the stride phases (3 output columns, 2-3 rows of padding after).
  { x: [2, 4, 28, 28], w: [4, 1, 3, 3], opts: { padding: 1, groups: 4, stride: 2 }, perSample: true },
  { x: [1, 3, 14, 14], w: [6, 1, 3, 3], opts: { padding: 'same', groups: 3, stride: 2 }, perSample: false },
  { x: [2, 2, 27, 13], w: [2, 1, 3, 3], opts: { padding: 1, groups: 2, stride: 2 }, perSample: true },
  { x: [1, 2, 9, 8], w: [4, 1, 3, 3], opts: { padding: 'same', groups: 2, stride: 2 }, perSample: true },
  { x: [2, 3, 11, 12], w: [3, 1, 3, 3], opts: { padding: 'valid', groups: 3, stride: 2 }, perSample: false },
  { x: [1, 2, 8, 30], w: [2, 1, 3, 3], opts: { padding: [1, 2, 0, 3], groups: 2, stride: 2 }, perSample: false },
  { x: [1, 2, 6, 6], w: [2, 1, 3, 3], opts: { padding: 1, groups: 2, stride: 2 }, perSample: false },
  { x: [1, 3, 13, 10], w: [6, 1, 3, 3], opts: { padding: 1, groups: 3, stride: 2 }, perSample: true },
  { x: [1, 2, 9, 9], w: [2, 1, 3, 3], opts: { padding: [1, 2, 1, 2], groups: 2, stride: 2 }, perSample: false },
  { x: [1, 2, 8, 8], w: [2, 1, 3, 3], opts: { padding: [1, 3, 1, 3], groups: 2, stride: 2 }, perSample: false },
  { x: [4, 64, 12, 12], w: [64, 64, 3, 3], opts: { padding: 1 }, perSample: false },
  { x: [2, 20, 16, 16], w: [12, 20, 1, 1], opts: {}, perSample: false },
  { x: [3, 20, 16, 16], w: [13, 20, 1, 1], opts: {}, perSample: true },
  { x: [2, 6, 20, 37], w: [6, 1, 3, 3], opts: { padding: 'same', groups: 6, stride: [1, 2] }, perSample: false },
  { x: [1, 5, 23, 18], w: [10, 1, 3, 5], opts: { padding: [0, 2, 3, 1], groups: 5, stride: 2, dilation: [1, 2] }, perSample: true },
  { x: [2, 9, 26, 29], w: [11, 9, 5, 3], opts: { padding: [3, 1, 0, 2], dilation: [2, 1] }, perSample: true },
  // Pointwise input gradients read the kernels transposed (no flip): groups, one output per group, P = 256 (packed columns).
  { x: [2, 12, 7, 7], w: [9, 4, 1, 1], opts: { groups: 3 }, perSample: true },
  { x: [3, 8, 5, 6], w: [4, 2, 1, 1], opts: { groups: 4 }, perSample: true },
  { x: [2, 17, 16, 16], w: [23, 17, 1, 1], opts: {}, perSample: true },
  { x: [2, 17, 16, 16], w: [23, 17, 1, 1], opts: {}, perSample: false },
  // Per-sample stride-1 input gradients pack the kernels flipped from w itself: 1-D (1x3), dilated 5x3, grouped, odd channels.
  { x: [3, 7, 1, 29], w: [5, 7, 1, 3], opts: { padding: [0, 0, 1, 1] }, perSample: true },
  { x: [2, 5, 13, 11], w: [9, 5, 5, 3], opts: { padding: [4, 1, 2, 0], dilation: [2, 1] }, perSample: true },
  { x: [2, 6, 9, 10], w: [9, 2, 3, 3], opts: { padding: 1, groups: 3 }, perSample: true },
  // Winograd F(2x2,3x3): several tile-row blocks, groups, 1-pixel and odd outputs, negative transposed padding.
  { x: [2, 48, 40, 38], w: [40, 48, 3, 3], opts: { padding: 'same' }, perSample: false },
  { x: [2, 16, 3, 5], w: [8, 8, 3, 3], opts: { groups: 2, padding: 'valid' }, perSample: false },
  { x: [1, 9, 2, 1], w: [10, 9, 3, 3], opts: { padding: 1 }, perSample: true },
  { x: [2, 24, 11, 9], w: [18, 8, 3, 3], opts: { groups: 3, padding: [2, 0, 1, 1] }, perSample: true },
  { x: [3, 10, 7, 6], w: [12, 10, 3, 3], opts: { padding: [3, 3, 0, 4] }, perSample: false },
];

function describeCase(c: ConvCase): string {
  return `x=[${c.x}] w=[${c.perSample ? `${c.x[0]},` : ''}${c.w}] ${JSON.stringify(c.opts)}${c.perSample ? ' per-sample' : ''}`;
}

function checkCase(getBe: () => ReturnType<ReturnType<typeof useWasmBackend>>, c: ConvCase, seed: number, dtype: DType): void {
  const be = getBe();
  const wShape = c.perSample ? [c.x[0], ...c.w] : c.w;
  const g = conv2dGeometry('conv2d', c.x, wShape, c.opts, c.perSample);
  const rng = mulberry32(seed);
  const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
  const x = randArray(rng, size(c.x), dtype),
    w = randArray(rng, size(wShape), dtype);
  const dy = randArray(rng, g.batch * g.outC * g.outH * g.outW, dtype);
  const [cx, cw, cdy] = [x, w, dy].map((a) => cpuBackend.fromArray(a));
  const [wx, ww, wdy] = [x, w, dy].map((a) => be.fromArray(a));
  const tol = dtype === 'float32' ? 1e-4 : 1e-12;
  expectClose(be.readSync(be.conv2d(wx, ww, g)), cpuBackend.readSync(cpuBackend.conv2d(cx, cw, g)), tol, 'forward');
  expectClose(be.readSync(be.conv2dBackwardInput(wdy, ww, g)), cpuBackend.readSync(cpuBackend.conv2dBackwardInput(cdy, cw, g)), tol, 'backward input');
  expectClose(be.readSync(be.conv2dBackwardFilter(wx, wdy, g)), cpuBackend.readSync(cpuBackend.conv2dBackwardFilter(cx, cdy, g)), tol, 'backward filter');
}

for (const threads of WASM_THREADS) {
  describe(`wasm conv2d threads=${threads}`, () => {
    const be = useWasmBackend(threads);
    const rng = mulberry32(1000 + threads);
    for (let i = 0; i < 45; i++) {
      const c = randomCase(rng);
      it(`random #${i} ${describeCase(c)} float32`, () => checkCase(be, c, i, 'float32'));
    }
    LARGE.forEach((c, i) => it(`large ${describeCase(c)} float32`, () => checkCase(be, c, 500 + i, 'float32')));
    const dwRng = mulberry32(77 + threads);
    for (let i = 0; i < 40; i++) {
      const c = randomDepthwise3x3(dwRng);
      it(`depthwise 3x3 #${i} ${describeCase(c)} float32`, () => checkCase(be, c, 900 + i, 'float32'));
    }
    it('float64 is delegated to the reference functions: x=[2,6,7,5] w=[4,3,3,2] groups=2 stride=2 per-sample', () => {
      checkCase(be, { x: [2, 6, 7, 5], w: [4, 3, 3, 2], opts: { groups: 2, stride: 2, padding: 'same' }, perSample: true }, 7, 'float64');
    });
    it('a wrong-size weight raises a CondgradError: x=[2,3,5,5] w=[4,3,3,3] given 107 elements', () => {
      const g = conv2dGeometry('conv2d', [2, 3, 5, 5], [4, 3, 3, 3]);
      const x = be().zeros('float32', 150),
        w = be().zeros('float32', 107);
      expect(() => be().conv2d(x, w, g)).to.throw(/wasm\.conv2d: w has 107 elements but w \[4,3,3,3\] needs 108/);
      expect(() => be().conv2dBackwardFilter(x, be().zeros('float32', 10), g)).to.throw(/CondgradError|dy has 10 elements/);
    });
  });
}

/**
 * Winograd filter gradients (isWinogradFilter holds for each): ragged channels (not a multiple of 4 or 16), odd
 * outputs, groups, batch 1 (slots split by blocks) and several tile-row blocks, per-sample and shared.
 */
const WINO_FILTER: ConvCase[] = [
  { x: [3, 10, 7, 7], w: [13, 10, 3, 3], opts: { padding: 'same' }, perSample: true },
  { x: [3, 10, 7, 7], w: [13, 10, 3, 3], opts: { padding: 'same' }, perSample: false },
  { x: [1, 20, 9, 13], w: [8, 20, 3, 3], opts: { padding: 'same' }, perSample: false },
  { x: [2, 24, 14, 14], w: [24, 8, 3, 3], opts: { padding: 1, groups: 3 }, perSample: true },
  { x: [1, 8, 42, 200], w: [9, 8, 3, 3], opts: { padding: 'same' }, perSample: false },
  { x: [3, 8, 42, 200], w: [9, 8, 3, 3], opts: { padding: 'same' }, perSample: true },
  { x: [5, 17, 8, 8], w: [16, 17, 3, 3], opts: { padding: 'same' }, perSample: true },
];

for (const sums of ['gemm', 'dot'] as const) {
  describe(`wasm Winograd filter gradient, tile sums as ${sums}`, () => {
    const be = useWasmBackend(2);
    let prev: 'gemm' | 'dot' | null = null;
    before(() => (prev = forceWinogradFilterSums(sums)));
    after(() => forceWinogradFilterSums(prev));
    WINO_FILTER.forEach((c, i) =>
      it(describeCase(c), () => {
        const g = conv2dGeometry('conv2d', c.x, c.perSample ? [c.x[0], ...c.w] : c.w, c.opts, c.perSample);
        expect(isWinogradFilter(g), 'takes the Winograd filter gradient').to.equal(true);
        checkCase(be, c, 700 + i, 'float32');
      }),
    );
    it('the cases include several tile-row blocks', () => {
      const g = conv2dGeometry('conv2d', [1, 8, 42, 200], [9, 8, 3, 3], { padding: 'same' });
      expect(winoPlan(g, 2, WINOGRAD_FILTER_BLOCKS).nBlk).to.be.at.least(2);
    });
  });
}

describe('wasm conv2d gives the same bits with 1 and 2 threads', () => {
  const one = useWasmBackend(1);
  const two = useWasmBackend(2);
  /** tile: F(4,3) forced on the forward and input gradient; sums: the Winograd filter gradient's tile sums forced. */
  const cases: (ConvCase & { tile?: 4; sums?: 'gemm' })[] = [
    { x: [6, 16, 14, 13], w: [24, 16, 3, 3], opts: { padding: 'same' }, perSample: false },
    { x: [3, 16, 14, 13], w: [24, 16, 3, 3], opts: { padding: 'same' }, perSample: true },
    { x: [1, 12, 21, 19], w: [10, 12, 3, 3], opts: { padding: 1, stride: 2 }, perSample: false },
    { x: [5, 8, 17, 15], w: [12, 8, 5, 5], opts: { padding: 2 }, perSample: false },
    { x: [2, 12, 20, 20], w: [12, 1, 3, 3], opts: { padding: 'same', groups: 12 }, perSample: false },
    // Depthwise 3x3 stride 2: the column sweeps of all three phases (ragged 10-column output, a multiplier of 2).
    { x: [2, 12, 21, 19], w: [12, 1, 3, 3], opts: { padding: 1, stride: 2, groups: 12 }, perSample: false },
    { x: [2, 12, 21, 19], w: [24, 1, 3, 3], opts: { padding: 1, stride: 2, groups: 12 }, perSample: true },
    { x: [3, 20, 17, 15], w: [18, 20, 3, 3], opts: { padding: 'same' }, perSample: true, tile: 4 },
    { x: [5, 17, 8, 8], w: [16, 17, 3, 3], opts: { padding: 'same' }, perSample: false, sums: 'gemm' },
    // One sample: the filter gradient's slots split tile-row blocks (private partial sums added in order).
    { x: [1, 8, 42, 200], w: [9, 8, 3, 3], opts: { padding: 'same' }, perSample: false, sums: 'gemm' },
  ];
  for (const c of cases) {
    const forced = c.tile ? ` (F(${c.tile},3) forced)` : c.sums ? ` (${c.sums} tile sums forced)` : '';
    it(`forward, input and filter gradients ${describeCase(c)}${forced}`, () => {
      const wShape = c.perSample ? [c.x[0], ...c.w] : c.w;
      const g = conv2dGeometry('conv2d', c.x, wShape, c.opts, c.perSample);
      const prevTile = forceWinogradTile(c.tile ?? null),
        prevSums = forceWinogradFilterSums(c.sums ?? null);
      try {
        if (c.tile) expect(isWinograd(g) && winogradTile(g, false), 'the forward runs the forced tile').to.equal(c.tile);
        if (c.sums) expect(isWinogradFilter(g) && isWinogradFilterGemm(g), 'the filter gradient sums as GEMMs').to.equal(true);
        if (c.opts.stride === 2 && c.opts.groups === c.x[1]) expect(g.depthwise, 'depthwise').to.equal(true);
        const rng = mulberry32(4242);
        const x = randArray(
          rng,
          c.x.reduce((a, b) => a * b, 1),
          'float32',
        );
        const w = randArray(
          rng,
          wShape.reduce((a, b) => a * b, 1),
          'float32',
        );
        const dy = randArray(rng, g.batch * g.outC * g.outH * g.outW, 'float32');
        const run = (be: ReturnType<typeof one>): Float32Array[] => {
          const [bx, bw, bdy] = [x, w, dy].map((a) => be.fromArray(a));
          return [be.conv2d(bx, bw, g), be.conv2dBackwardInput(bdy, bw, g), be.conv2dBackwardFilter(bx, bdy, g)].map((s) => be.readSync(s) as Float32Array);
        };
        const [a, b] = [run(one()), run(two())];
        for (let k = 0; k < 3; k++) expect(Array.from(b[k]), ['forward', 'input', 'filter'][k]).to.deep.equal(Array.from(a[k]));
      } finally {
        forceWinogradTile(prevTile);
        forceWinogradFilterSums(prevSums);
      }
    });
  }
});
