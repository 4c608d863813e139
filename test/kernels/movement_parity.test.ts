// Reduce and movement parity: reduce, gather, pad and concat kernels of every backend against the cpu reference on seeded random geometries.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { REDUCE_OPS } from '../../kernels/elementwise.js';
import { concatGeometry, type PadGeometry } from '../../kernels/geometry/movement.js';
import { reduceGeometry } from '../../kernels/geometry/reduce.js';
import { type StridedView } from '../../kernels/geometry/strided.js';
import { contiguousStrides, sizeOf } from '../../core/shape.js';
import { expectClose } from '../helpers/close.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectRel, settleGc } from '../helpers/gpu.js';
import { mulberry32, pick, randInt } from '../helpers/rng.js';

// Float32 backends against the float64 reference (cpu_reduce / cpu_movement check the cpu backend itself).
const TOL = 1e-4;

function rand32(rng: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
}

function cpuOf(x: Float32Array) {
  return cpuBackend.fromArray(Float64Array.from(x));
}

function randShape(rng: () => number, rank: number, hi: number): number[] {
  return Array.from({ length: rank }, () => randInt(rng, 1, hi));
}

/** reduce: every op of REDUCE_OPS over random axes, the chunked mean, and the empty-axis identities. */
function suite0(be: () => AnyBackend): void {
  describe('reduce vs the cpu reference', () => {
    const rng = mulberry32(404);
    const cases: [number[], number[] | undefined][] = [
      [[3000], undefined],
      [[5, 2000], [1]],
      [[4, 1500, 2], [1]],
      [[64, 64], undefined],
      [[2, 3, 4], []],
    ];
    while (cases.length < 36) {
      const shape = randShape(rng, randInt(rng, 1, 4), 7);
      const axes = shape.map((_, i) => i).filter(() => rng() < 0.5);
      cases.push([shape, rng() < 0.15 ? undefined : axes]);
    }
    cases.forEach(([shape, axes], c) => {
      const op = REDUCE_OPS[c % REDUCE_OPS.length];
      it(`${op} x=[${shape}] axes=${axes === undefined ? 'all' : `[${axes}]`}`, async () => {
        const geo = reduceGeometry(`reduce(${op})`, shape, axes);
        const x = rand32(rng, sizeOf(shape));
        const want = cpuBackend.readSync(cpuBackend.reduce(cpuOf(x), op, geo));
        const g = be();
        const xs = g.fromArray(x);
        const y = g.reduce(xs, op, geo);
        const got = await g.read(y);
        if (op === 'sum' || op === 'mean') expectClose(got, want, TOL, op);
        else expectRel(got, want, 0, 0, op);
        g.dispose(xs);
        g.dispose(y);
      });
    });
    it('mean through the chunked two-pass path x=[3000] and x=[5,2000] axes=[1]: partial means then a sum', async () => {
      for (const [shape, axes] of [
        [[3000], undefined],
        [[5, 2000], [1]],
      ] as [number[], number[] | undefined][]) {
        const geo = reduceGeometry('reduce(mean)', shape, axes);
        const x = rand32(rng, sizeOf(shape));
        const g = be();
        const xs = g.fromArray(x);
        const y = g.reduce(xs, 'mean', geo);
        expectClose(await g.read(y), cpuBackend.readSync(cpuBackend.reduce(cpuOf(x), 'mean', geo)), TOL, 'mean');
        g.dispose(xs);
        g.dispose(y);
      }
    });
    it('empty reduction x=[3,0] axes=[1]: identities 0, -Infinity, Infinity', async () => {
      const g = be();
      const xs = g.fromArray(new Float32Array(0));
      const geo = reduceGeometry('reduce', [3, 0], [1]);
      expect(Array.from(await g.read(g.reduce(xs, 'sum', geo)))).to.deep.equal([0, 0, 0]);
      expect(Array.from(await g.read(g.reduce(xs, 'max', geo)))).to.deep.equal([-Infinity, -Infinity, -Infinity]);
      expect(Array.from(await g.read(g.reduce(xs, 'min', geo)))).to.deep.equal([Infinity, Infinity, Infinity]);
    });
  });
}

/** A random view onto a buffer of `n` elements: permuted, sliced, stepped, flipped or broadcast dims. */
function randView(rng: () => number, base: number[]): StridedView {
  const strides = contiguousStrides(base);
  const dims: number[] = [];
  const out: number[] = [];
  let offset = 0;
  const order = base.map((_, i) => i).sort(() => rng() - 0.5);
  for (const d of order) {
    const kind = pick(rng, ['full', 'slice', 'step', 'flip', 'broadcast'] as const);
    if (kind === 'broadcast') {
      dims.push(randInt(rng, 1, 3));
      out.push(0);
      offset += randInt(rng, 0, base[d] - 1) * strides[d];
    } else if (kind === 'slice') {
      const lo = randInt(rng, 0, base[d] - 1);
      dims.push(randInt(rng, 1, base[d] - lo));
      out.push(strides[d]);
      offset += lo * strides[d];
    } else if (kind === 'step') {
      const step = randInt(rng, 1, 3);
      dims.push(Math.ceil(base[d] / step));
      out.push(step * strides[d]);
    } else if (kind === 'flip') {
      dims.push(base[d]);
      out.push(-strides[d]);
      offset += (base[d] - 1) * strides[d];
    } else {
      dims.push(base[d]);
      out.push(strides[d]);
    }
  }
  return { dims, strides: out, offset };
}

/** gather: random strided views (permuted, sliced, stepped, flipped, broadcast), and one out of bounds. */
function suite1(be: () => AnyBackend): void {
  describe('gather vs the cpu reference', () => {
    const rng = mulberry32(505);
    const views: [number[], StridedView][] = [[[24], { dims: [], strides: [], offset: 7 }]];
    while (views.length < 32) {
      const base = randShape(rng, randInt(rng, 1, 4), 6);
      views.push([base, randView(rng, base)]);
    }
    for (const [base, v] of views) {
      it(`x=[${base}] view dims=[${v.dims}] strides=[${v.strides}] offset=${v.offset}`, async () => {
        const x = rand32(rng, sizeOf(base));
        const want = cpuBackend.readSync(cpuBackend.gather(cpuOf(x), v));
        const g = be();
        const xs = g.fromArray(x);
        const y = g.gather(xs, v);
        expectRel(await g.read(y), want, 0, 0, 'gather');
        g.dispose(xs);
        g.dispose(y);
      });
    }
    it('rejects a view reaching past the storage: dims [6] stride 5 over 24 elements', () => {
      const g = be();
      expect(() => g.gather(g.fromArray(new Float32Array(24)), { dims: [6], strides: [5], offset: 0 })).to.throw(new RegExp(`^${be().name}\\.gather: x view`));
    });
  });
}

/** pad: random paddings. */
function suite2(be: () => AnyBackend): void {
  describe('pad vs the cpu reference', () => {
    const rng = mulberry32(606);
    const cases: PadGeometry[] = [
      { inShape: [4, 4], outShape: [3, 3], before: [-1, 0], value: 0 },
      { inShape: [0, 3], outShape: [2, 5], before: [1, 1], value: 2.5 },
      { inShape: [], outShape: [], before: [], value: 1 },
    ];
    while (cases.length < 32) {
      const inShape = randShape(rng, randInt(rng, 1, 4), 5);
      const before = inShape.map((d) => randInt(rng, -Math.min(1, d - 1), 2));
      const outShape = inShape.map((d, i) => Math.max(1, d + before[i] + randInt(rng, -1, 2)));
      cases.push({ inShape, outShape, before, value: pick(rng, [0, -1.5, 3]) });
    }
    for (const geo of cases) {
      it(`x=[${geo.inShape}] → [${geo.outShape}] before=[${geo.before}] value=${geo.value}`, async () => {
        const x = rand32(rng, sizeOf(geo.inShape));
        const want = cpuBackend.readSync(cpuBackend.pad(cpuOf(x), geo));
        const g = be();
        const xs = g.fromArray(x);
        const y = g.pad(xs, geo);
        expectRel(await g.read(y), want, 0, 0, 'pad');
        g.dispose(xs);
        g.dispose(y);
      });
    }
  });
}

/** concat: random axes and part counts. */
function suite3(be: () => AnyBackend): void {
  describe('concat vs the cpu reference', () => {
    const rng = mulberry32(707);
    const cases: [number[][], number][] = [
      [Array.from({ length: 19 }, (_, i) => [2, i % 4, 3]), 1],
      [
        [
          [2, 0],
          [2, 3],
          [2, 0],
        ],
        1,
      ],
      [[[5]], 0],
    ];
    while (cases.length < 32) {
      const base = randShape(rng, randInt(rng, 1, 4), 4);
      const axis = randInt(rng, 0, base.length - 1);
      const n = randInt(rng, 1, 12);
      cases.push([Array.from({ length: n }, () => base.map((d, i) => (i === axis ? randInt(rng, 0, 4) : d))), axis]);
    }
    for (const [shapes, axis] of cases) {
      it(`${shapes.length} inputs [${shapes[0]}]… axis=${axis}`, async () => {
        const xs = shapes.map((s) => rand32(rng, sizeOf(s)));
        const geo = concatGeometry(shapes, axis);
        const want = cpuBackend.readSync(cpuBackend.concat(xs.map(cpuOf), geo));
        const g = be();
        await settleGc();
        const before = g.memory().liveBuffers as number;
        const gs = xs.map((x) => g.fromArray(x));
        const y = g.concat(gs, geo);
        expectRel(await g.read(y), want, 0, 0, 'concat');
        gs.forEach((s) => g.dispose(s));
        g.dispose(y);
        expect(g.memory().liveBuffers, 'folded intermediates are freed').to.equal(before);
      });
    }
  });
}

forEachBackend((tb) => {
  if (tb.name === 'cpu') return;
  const be = (): AnyBackend => tb.backend;
  suite0(be);
  suite1(be);
  suite2(be);
  suite3(be);
});
