// CPU gather (transpose, slice, broadcast, flip), constant padding and concatenation against naive index loops.

import { expect } from 'chai';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { concatGeometry, type PadGeometry } from '../../kernels/geometry/movement.js';
import { type StridedView } from '../../kernels/geometry/strided.js';
import { contiguousStrides } from '../../core/shape.js';
import { mulberry32, randArray } from '../helpers/rng.js';

/** Element i of a view by the definition: decompose i row-major over dims, dot with strides. */
function naiveGather(x: ArrayLike<number>, v: StridedView): number[] {
  const n = v.dims.reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let rem = i,
      off = v.offset;
    for (let d = v.dims.length - 1; d >= 0; d--) {
      off += (rem % v.dims[d]) * v.strides[d];
      rem = Math.floor(rem / v.dims[d]);
    }
    out.push(x[off]);
  }
  return out;
}

describe('cpu gather of strided views', () => {
  const be = new CpuBackend();
  const x = randArray(mulberry32(3), 24, 'float64'); // read as [2,3,4] contiguous
  const views: [string, StridedView][] = [
    ['transpose [2,3,4]→[4,2,3]', { dims: [4, 2, 3], strides: [1, 12, 4], offset: 0 }],
    ['transpose last two [2,3,4]→[2,4,3]', { dims: [2, 4, 3], strides: [12, 1, 4], offset: 0 }],
    ['slice [2,3,4][:, 1:3, 1:3]', { dims: [2, 2, 2], strides: [12, 4, 1], offset: 5 }],
    ['strided slice [2,3,4][:, :, ::2]', { dims: [2, 3, 2], strides: [12, 4, 2], offset: 0 }],
    ['broadcast [4]→[3,4] (stride 0)', { dims: [3, 4], strides: [0, 1], offset: 8 }],
    ['broadcast [3,1]→[3,5] (inner stride 0)', { dims: [3, 5], strides: [4, 0], offset: 0 }],
    ['flip [24] (negative stride)', { dims: [24], strides: [-1], offset: 23 }],
    ['scalar element 7 (0-d)', { dims: [], strides: [], offset: 7 }],
    ['contiguous copy [2,3,4]', { dims: [2, 3, 4], strides: [12, 4, 1], offset: 0 }],
  ];
  for (const [name, v] of views) {
    it(name, () => {
      const got = be.readSync(be.gather(be.fromArray(x), v));
      expect(Array.from(got)).to.deep.equal(naiveGather(x, v));
    });
  }
  it('rejects a view reaching past the storage (dims [6] stride 5 over 24 elements)', () => {
    expect(() => be.gather(be.fromArray(x), { dims: [6], strides: [5], offset: 0 })).to.throw(/gather: x view/);
  });
});

/** y[i] = x[i - before] where inside x, else value, by walking every output multi-index. */
function naivePad(x: ArrayLike<number>, g: PadGeometry): number[] {
  const n = g.outShape.reduce((p, d) => p * d, 1);
  const xs = contiguousStrides(g.inShape);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let rem = i,
      off = 0,
      inside = true;
    for (let d = g.outShape.length - 1; d >= 0; d--) {
      const xi = (rem % g.outShape[d]) - g.before[d];
      rem = Math.floor(rem / g.outShape[d]);
      if (xi < 0 || xi >= g.inShape[d]) inside = false;
      off += xi * xs[d];
    }
    out.push(inside ? x[off] : g.value);
  }
  return out;
}

describe('cpu pad', () => {
  const be = new CpuBackend();
  const rng = mulberry32(8);
  const cases: PadGeometry[] = [
    { inShape: [2, 3], outShape: [4, 5], before: [1, 0], value: 7 },
    { inShape: [5], outShape: [9], before: [2], value: 0 },
    { inShape: [2, 3, 4], outShape: [3, 6, 5], before: [0, 2, 1], value: -1.5 },
    { inShape: [1, 2, 3, 3], outShape: [1, 2, 6, 4], before: [0, 0, 1, 0], value: 0 },
    { inShape: [3, 4], outShape: [3, 4], before: [0, 0], value: 9 },
    { inShape: [4, 4], outShape: [3, 3], before: [-1, 0], value: 0 },
  ];
  for (const g of cases) {
    it(`x=[${g.inShape}] → [${g.outShape}] before=[${g.before}] value=${g.value}`, () => {
      const x = randArray(
        rng,
        g.inShape.reduce((p, d) => p * d, 1),
        'float32',
      );
      const got = be.readSync(be.pad(be.fromArray(x), g));
      expect(got).to.be.instanceOf(Float32Array);
      expect(Array.from(got)).to.deep.equal(naivePad(x, g).map((v) => Math.fround(v)));
    });
  }
  it('x=[2,2] → [3,4] before=[1,1] hand-computed', () => {
    const got = be.readSync(be.pad(be.fromArray(new Float64Array([1, 2, 3, 4])), { inShape: [2, 2], outShape: [3, 4], before: [1, 1], value: 0 }));
    expect(Array.from(got)).to.deep.equal([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0]);
  });
});

describe('cpu concat', () => {
  const be = new CpuBackend();
  const rng = mulberry32(12);
  const cases: [number[][], number][] = [
    [
      [
        [2, 3, 4],
        [2, 1, 4],
        [2, 2, 4],
      ],
      1,
    ],
    [
      [
        [2, 3],
        [4, 3],
      ],
      0,
    ],
    [
      [
        [2, 3, 4],
        [2, 3, 1],
        [2, 3, 70],
      ],
      2,
    ],
    [
      [
        [1, 64, 2],
        [1, 40, 2],
      ],
      1,
    ],
    [[[5]], 0],
  ];
  cases.forEach(([shapes, axis], ci) => {
    const dtype = ci % 2 === 0 ? 'float64' : 'float32';
    it(`${shapes.map((s) => `[${s}]`).join(' + ')} axis=${axis} ${dtype}`, () => {
      const xs = shapes.map((s) =>
        randArray(
          rng,
          s.reduce((p, d) => p * d, 1),
          dtype,
        ),
      );
      const g = concatGeometry(shapes, axis);
      const got = be.readSync(
        be.concat(
          xs.map((x) => be.fromArray(x)),
          g,
        ),
      );
      // Naive: walk the output multi-index and find which input owns the axis coordinate.
      const want: number[] = [];
      const outShape = g.outShape;
      const n = outShape.reduce((p, d) => p * d, 1);
      for (let i = 0; i < n; i++) {
        const idx: number[] = [];
        let rem = i;
        for (let d = outShape.length - 1; d >= 0; d--) {
          idx[d] = rem % outShape[d];
          rem = Math.floor(rem / outShape[d]);
        }
        let k = 0;
        while (idx[axis] >= shapes[k][axis]) {
          idx[axis] -= shapes[k][axis];
          k++;
        }
        const st = contiguousStrides(shapes[k]);
        want.push(xs[k][idx.reduce((p, v, d) => p + v * st[d], 0)]);
      }
      expect(Array.from(got)).to.deep.equal(want);
    });
  });
  it('rejects mixed dtypes [2] float64 + [2] float32, naming concat', () => {
    const g = concatGeometry([[2], [2]], 0);
    expect(() => be.concat([be.fromArray(new Float64Array(2)), be.fromArray(new Float32Array(2))], g)).to.throw(/concat.*float64.*float32/);
  });
});
