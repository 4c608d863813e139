// CPU sum/max/min reductions over various axis sets against a naive multi-index loop.

import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { REDUCE_OPS, type ReduceOp } from '../../kernels/elementwise.js';
import { normalizeAxes, reduceGeometry } from '../../kernels/geometry/reduce.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randArray } from '../helpers/rng.js';

/** Folds x over `axes` by walking every input multi-index; output keeps the other dims in order. */
function naiveReduce(x: ArrayLike<number>, shape: readonly number[], axes: readonly number[], op: ReduceOp): Float64Array {
  const keptDims = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outSize = keptDims.reduce((a, d) => a * d, 1);
  const out = new Float64Array(outSize).fill(op === 'sum' || op === 'mean' ? 0 : op === 'max' ? -Infinity : Infinity);
  const n = shape.reduce((a, d) => a * d, 1);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let o = 0;
    let mul = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const id = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      if (!axes.includes(d)) {
        o += id * mul;
        mul *= shape[d];
      }
    }
    const v = x[i];
    out[o] = op === 'sum' || op === 'mean' ? out[o] + v : op === 'max' ? Math.max(out[o], v) : Math.min(out[o], v);
  }
  if (op === 'mean') for (let o = 0; o < outSize; o++) out[o] /= n / outSize;
  return out;
}

describe('cpu reduce vs naive multi-index fold', () => {
  const be = new CpuBackend();
  const rng = mulberry32(99);
  const cases: [number[], number | number[] | undefined][] = [
    [[2, 3, 4, 5], undefined],
    [[2, 3, 4, 5], []],
    [[2, 3, 4, 5], 0],
    [[2, 3, 4, 5], 3],
    [[2, 3, 4, 5], -1],
    [
      [2, 3, 4, 5],
      [1, 2],
    ],
    [
      [2, 3, 4, 5],
      [0, 2],
    ],
    [
      [2, 3, 4, 5],
      [0, 3],
    ],
    [
      [2, 3, 4, 5],
      [1, 3],
    ],
    [
      [2, 3, 4, 5],
      [0, 1, 2, 3],
    ],
    [[7, 9], 0],
    [[7, 9], 1],
    [[1, 5, 1], 1],
    [
      [4, 1, 3],
      [0, 1],
    ],
    [[6], 0],
    [
      [3, 1, 1, 2],
      [1, 2],
    ],
  ];
  cases.forEach(([shape, axes], ci) => {
    for (const op of REDUCE_OPS) {
      const dtype: DType = ci % 2 === 0 ? 'float32' : 'float64';
      it(`${op} x=[${shape}] axes=${JSON.stringify(axes)} ${dtype}`, () => {
        const g = reduceGeometry('reduce', shape, axes);
        const x = randArray(
          rng,
          shape.reduce((a, d) => a * d, 1),
          dtype,
        );
        const got = be.readSync(be.reduce(be.fromArray(x), op, g));
        expect(got.length).to.equal(g.outSize);
        expectClose(got, naiveReduce(x, shape, normalizeAxes('reduce', shape, axes), op), dtype === 'float32' ? 1e-6 : 1e-14);
      });
    }
  });
  it('max/min propagate NaN along the reduced axis x=[3,2] (axis 0) and x=[2,3] (axis 1)', () => {
    const x = new Float64Array([1, 2, NaN, 5, 3, 0]);
    for (const op of ['max', 'min'] as const) {
      const a0 = be.readSync(be.reduce(be.fromArray(x), op, reduceGeometry('reduce', [3, 2], 0)));
      expect(Number.isNaN(a0[0])).to.equal(true);
      expect(a0[1]).to.equal(op === 'max' ? 5 : 0);
      const a1 = be.readSync(be.reduce(be.fromArray(x), op, reduceGeometry('reduce', [2, 3], 1)));
      expect(Number.isNaN(a1[0])).to.equal(true);
      expect(a1[1]).to.equal(op === 'max' ? 5 : 0);
    }
  });
  it('sums float32 x=[4096] in float64 before rounding once', () => {
    const x = new Float32Array(4096).fill(0.1);
    const got = be.readSync(be.reduce(be.fromArray(x), 'sum', reduceGeometry('reduce', [4096])));
    expect(got[0]).to.equal(Math.fround(4096 * Math.fround(0.1)));
  });
});
