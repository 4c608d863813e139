// CPU unary, unary-backward, broadcast binary and cast kernels against the scalar definitions.

import { expect } from 'chai';
import type { DType, FloatArray } from '../../core/dtype.js';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { BINARY_OPS, binaryScalar, unaryDerivative, unaryScalar, type BinaryOp, type UnaryOp } from '../../kernels/elementwise.js';
import { unaryCases } from '../helpers/elementwise.js';
import { binaryGeometry } from '../../kernels/geometry/broadcast.js';
import { mulberry32, randArray } from '../helpers/rng.js';

const UNARY = unaryCases({
  clamp: [{ min: -0.5, max: 0.75 }],
  powScalar: [{ exponent: 3 }, { exponent: 0.5 }, { exponent: 0 }],
  affine: [{ scale: 2.5, shift: -1 }],
});
const POSITIVE_ONLY = new Set(['log', 'sqrt']);
const BINARY = BINARY_OPS;

function like(dtype: DType, n: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** Inputs for op: random values plus the kinks and bounds of every op, in the op's domain. */
function unaryInputs(op: UnaryOp, dtype: DType, rng: () => number): FloatArray {
  const special = [0, 6, -0.5, 0.75, 1, -1, 7, -8, 30, -30];
  const vals = [...special, ...randArray(rng, 40, dtype, -8, 8)];
  const positive = POSITIVE_ONLY.has(op.name) || (op.name === 'powScalar' && !Number.isInteger(op.exponent));
  const out = like(dtype, vals.length);
  vals.forEach((v, i) => {
    out[i] = positive ? Math.abs(v) + 0.01 : v;
  });
  return out;
}

function opLabel(op: UnaryOp): string {
  const { name, ...params } = op;
  return Object.keys(params).length ? `${name}${JSON.stringify(params)}` : name;
}

describe('cpu unary and unaryBackward vs unaryScalar / unaryDerivative', () => {
  const be = new CpuBackend();
  const rng = mulberry32(5);
  for (const op of UNARY) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${opLabel(op)} x=[50] ${dtype}`, () => {
        const x = unaryInputs(op, dtype, rng);
        const f = unaryScalar(op);
        const want = like(dtype, x.length);
        x.forEach((v, i) => {
          want[i] = f(v);
        });
        const ys = be.unary(be.fromArray(x), op);
        const y = be.readSync(ys);
        expect(y).to.be.instanceOf(dtype === 'float32' ? Float32Array : Float64Array);
        expect(Array.from(y)).to.deep.equal(Array.from(want));
        const dy = randArray(rng, x.length, dtype);
        const d = unaryDerivative(op);
        const wantDx = like(dtype, x.length);
        x.forEach((v, i) => {
          wantDx[i] = dy[i] * d(v, y[i]);
        });
        const dx = be.readSync(be.unaryBackward(be.fromArray(x), ys, be.fromArray(dy), op));
        expect(Array.from(dx)).to.deep.equal(Array.from(wantDx));
        expect(dx.every((v) => Number.isFinite(v))).to.equal(true);
      });
    }
  }
});

/** a op b over broadcast shapes by the definition: right-align shapes, index 0 on size-1 dims. */
function naiveBinary(a: ArrayLike<number>, aShape: number[], b: ArrayLike<number>, bShape: number[], op: BinaryOp): { shape: number[]; out: number[] } {
  const n = Math.max(aShape.length, bShape.length);
  const A = [...Array<number>(n - aShape.length).fill(1), ...aShape];
  const B = [...Array<number>(n - bShape.length).fill(1), ...bShape];
  const shape = A.map((d, i) => Math.max(d, B[i]));
  const size = shape.reduce((p, d) => p * d, 1);
  const f = binaryScalar(op);
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    let rem = i,
      ia = 0,
      ib = 0,
      ma = 1,
      mb = 1;
    for (let d = n - 1; d >= 0; d--) {
      const id = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
      ia += (A[d] === 1 ? 0 : id) * ma;
      ma *= A[d];
      ib += (B[d] === 1 ? 0 : id) * mb;
      mb *= B[d];
    }
    out.push(f(a[ia], b[ib]));
  }
  return { shape, out };
}

describe('cpu binary with broadcasting vs binaryScalar', () => {
  const be = new CpuBackend();
  const rng = mulberry32(17);
  const shapes: [number[], number[]][] = [
    [
      [2, 1, 3],
      [4, 1],
    ],
    [
      [2, 3],
      [2, 3],
    ],
    [[4, 5], [5]],
    [
      [4, 5],
      [4, 1],
    ],
    [[], [3, 2]],
    [[3, 2], []],
    [
      [1, 3, 1, 2],
      [5, 1, 4, 1],
    ],
    [
      [6, 1],
      [1, 7],
    ],
    [
      [2, 3, 4],
      [2, 1, 4],
    ],
  ];
  shapes.forEach(([aShape, bShape], si) => {
    const dtype: DType = si % 2 === 0 ? 'float32' : 'float64';
    it(`a=[${aShape}] b=[${bShape}] all ops ${dtype}`, () => {
      const g = binaryGeometry('binary', aShape, bShape);
      const na = aShape.reduce((p, d) => p * d, 1),
        nb = bShape.reduce((p, d) => p * d, 1);
      // Values in [0.5, 2) keep pow real; a few exact repeats exercise eq.
      const a = randArray(rng, na, dtype, 0.5, 2);
      const b = randArray(rng, nb, dtype, 0.5, 2);
      if (na > 1 && nb > 1) b[1] = a[1];
      for (const op of BINARY) {
        const { shape, out } = naiveBinary(a, aShape, b, bShape, op);
        expect(g.outShape).to.deep.equal(shape);
        const want = like(dtype, out.length);
        want.set(out);
        const got = be.readSync(be.binary(be.fromArray(a), be.fromArray(b), op, g));
        expect(Array.from(got), op).to.deep.equal(Array.from(want));
      }
    });
  });
  it('[2,1,3]+[4,1] hand-computed', () => {
    const g = binaryGeometry('add', [2, 1, 3], [4, 1]);
    const a = new Float64Array([0, 1, 2, 10, 11, 12]);
    const b = new Float64Array([100, 200, 300, 400]);
    const got = Array.from(be.readSync(be.binary(be.fromArray(a), be.fromArray(b), 'add', g)));
    expect(got).to.deep.equal([100, 101, 102, 200, 201, 202, 300, 301, 302, 400, 401, 402, 110, 111, 112, 210, 211, 212, 310, 311, 312, 410, 411, 412]);
  });
  it('rejects a float32 with b float64, naming the kernel and both dtypes (a=[3] b=[3])', () => {
    const g = binaryGeometry('add', [3], [3]);
    expect(() => be.binary(be.fromArray(new Float32Array(3)), be.fromArray(new Float64Array(3)), 'add', g)).to.throw(/binary\(add\).*float32.*float64/);
  });
  it('rejects an operand storage smaller than its view (a=[2,3] given 4 elements)', () => {
    const g = binaryGeometry('add', [2, 3], [3]);
    expect(() => be.binary(be.fromArray(new Float64Array(4)), be.fromArray(new Float64Array(3)), 'add', g)).to.throw(/binary\(add\): a view/);
  });
});

describe('cpu cast', () => {
  const be = new CpuBackend();
  it('float64 → float32 rounds to nearest, float32 → float64 is exact (x=[4])', () => {
    const x = new Float64Array([0.1, -1 / 3, 1e-50, 3e38]);
    const y = be.readSync(be.cast(be.fromArray(x), 'float32'));
    expect(y).to.be.instanceOf(Float32Array);
    expect(Array.from(y)).to.deep.equal(Array.from(x, (v) => Math.fround(v)));
    const z = be.readSync(be.cast(be.fromArray(y), 'float64'));
    expect(z).to.be.instanceOf(Float64Array);
    expect(Array.from(z)).to.deep.equal(Array.from(y));
  });
  it('same-dtype cast copies (x=[3])', () => {
    const xs = be.fromArray(new Float32Array([1, 2, 3]));
    const ys = be.cast(xs, 'float32');
    expect(ys).to.not.equal(xs);
    expect(ys.data).to.not.equal(xs.data);
    expect(Array.from(be.readSync(ys))).to.deep.equal([1, 2, 3]);
  });
});
