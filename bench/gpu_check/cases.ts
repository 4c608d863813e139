// The real-GPU check's kernel cases: a few seeded random configs per Backend kernel, each runnable on any backend.

import type { AnyBackend, Storage } from '../../core/backend.js';
import type { BinaryOp, ReduceOp, UnaryOp } from '../../kernels/elementwise.js';
import { unaryScalar } from '../../kernels/elementwise.js';
import { binaryGeometry } from '../../kernels/geometry/broadcast.js';
import { conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { matmulGeometry } from '../../kernels/geometry/matmul.js';
import { concatGeometry } from '../../kernels/geometry/movement.js';
import { pool2dGeometry, type Pool2dOptions } from '../../kernels/geometry/pool.js';
import { reduceGeometry } from '../../kernels/geometry/reduce.js';
import { type StridedView } from '../../kernels/geometry/strided.js';
import { contiguousStrides, sizeOf } from '../../core/shape.js';
import { mulberry32, randInt } from '../../test/helpers/rng.js';

/** One kernel call on fixed float32 inputs; `run` uploads nothing, it gets the inputs as storages. */
export interface KernelCase {
  readonly kernel: string;
  readonly config: string;
  readonly inputs: readonly Float32Array[];
  /** Largest max|Δ| / max|ref| accepted. */
  readonly tol: number;
  run(be: AnyBackend, xs: readonly Storage[]): Storage;
}

const TOL = 1e-4;
type Rng = () => number;

function data(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
}
const shp = (s: readonly number[]): string => `[${s.join(',')}]`;

function unaryCases(rng: Rng): KernelCase[] {
  const ops: [UnaryOp, number, number][] = [
    [{ name: 'relu' }, -1, 1],
    [{ name: 'sigmoid' }, -6, 6],
    [{ name: 'tanh' }, -3, 3],
    [{ name: 'exp' }, -4, 4],
    [{ name: 'log' }, 0.05, 4],
    [{ name: 'silu' }, -5, 5],
    [{ name: 'affine', scale: 2.5, shift: -0.5 }, -1, 1],
    [{ name: 'clamp', min: -0.3, max: 0.4 }, -1, 1],
    [{ name: 'powScalar', exponent: 1.5 }, 0, 3],
  ];
  const out: KernelCase[] = ops.map(([op, lo, hi]) => {
    const n = randInt(rng, 1000, 70000);
    return { kernel: 'unary', config: `${op.name} n=${n}`, inputs: [data(rng, n, lo, hi)], tol: TOL, run: (be, [x]) => be.unary(x, op) };
  });
  for (const op of [{ name: 'relu' }, { name: 'sigmoid' }, { name: 'tanh' }] as UnaryOp[]) {
    const n = randInt(rng, 1000, 40000);
    const x = data(rng, n, -3, 3);
    const f = unaryScalar(op);
    out.push({
      kernel: 'unaryBackward',
      config: `${op.name} n=${n}`,
      inputs: [x, x.map(f), data(rng, n)],
      tol: TOL,
      run: (be, [a, y, dy]) => be.unaryBackward(a, y, dy, op),
    });
  }
  return out;
}

function binaryCases(rng: Rng): KernelCase[] {
  const shapes: [number[], number[]][] = [
    [
      [8, 64, 32, 32],
      [1, 64, 1, 1],
    ],
    [
      [4, 1, 7, 9],
      [3, 1, 9],
    ],
    [[1000], [1000]],
    [
      [5, 1, 33],
      [1, 17, 1],
    ],
    [[2, 3, 4, 5], []],
  ];
  const ops: BinaryOp[] = ['add', 'mul', 'eq', 'maximum', 'pow', 'gt', 'sub', 'minimum', 'div'];
  return ops.map((op, i) => {
    const [a, b] = shapes[i % shapes.length];
    const g = binaryGeometry(op, a, b);
    const posA = op === 'pow';
    const inputs = [data(rng, sizeOf(a), posA ? 0.1 : -1, posA ? 3 : 1), op === 'div' ? data(rng, sizeOf(b), 0.5, 2) : data(rng, sizeOf(b))];
    // eq on equal shapes: every third pair equal, so both outcomes occur.
    if (op === 'eq') inputs[1] = inputs[1].map((v, j) => (j % 3 === 0 ? inputs[0][j] : v));
    return { kernel: 'binary', config: `${op} a=${shp(a)} b=${shp(b)}`, inputs, tol: TOL, run: (be, [x, y]) => be.binary(x, y, op, g) };
  });
}

function reduceCases(rng: Rng): KernelCase[] {
  const cases: [ReduceOp, number[], number[] | undefined][] = [
    ['sum', [3000], undefined],
    ['sum', [5, 2000], [1]],
    ['max', [8, 64, 32, 32], [0, 2, 3]],
    ['min', [4, 1500, 2], [1]],
    ['sum', [8, 64, 32, 32], [0, 2, 3]],
    ['sum', [64, 64], [0]],
    ['max', [2, 3, 4], []],
  ];
  return cases.map(([op, s, axes]) => {
    const g = reduceGeometry(`reduce(${op})`, s, axes);
    return {
      kernel: 'reduce',
      config: `${op} x=${shp(s)} axes=${axes ? shp(axes) : 'all'}`,
      inputs: [data(rng, sizeOf(s))],
      tol: TOL,
      run: (be, [x]) => be.reduce(x, op, g),
    };
  });
}

/** A view of a contiguous `base`: dims permuted, some sliced, stepped, flipped or broadcast. */
function randView(rng: Rng, base: readonly number[]): StridedView {
  const st = contiguousStrides(base);
  const dims: number[] = [];
  const strides: number[] = [];
  let offset = 0;
  for (const d of base.map((_, i) => i).sort(() => rng() - 0.5)) {
    const kind = randInt(rng, 0, 4);
    if (kind === 0) {
      dims.push(randInt(rng, 1, 3));
      strides.push(0);
      offset += randInt(rng, 0, base[d] - 1) * st[d];
    } else if (kind === 1) {
      const lo = randInt(rng, 0, base[d] - 1);
      dims.push(randInt(rng, 1, base[d] - lo));
      strides.push(st[d]);
      offset += lo * st[d];
    } else if (kind === 2) {
      const step = randInt(rng, 1, 3);
      dims.push(Math.ceil(base[d] / step));
      strides.push(step * st[d]);
    } else if (kind === 3) {
      dims.push(base[d]);
      strides.push(-st[d]);
      offset += (base[d] - 1) * st[d];
    } else {
      dims.push(base[d]);
      strides.push(st[d]);
    }
  }
  return { dims, strides, offset };
}

function movementCases(rng: Rng): KernelCase[] {
  const out: KernelCase[] = [];
  for (const base of [
    [8, 64, 32, 32],
    [5, 7, 9],
    [31, 17],
    [2, 3, 4, 5, 6],
  ]) {
    const v = randView(rng, base);
    out.push({
      kernel: 'gather',
      config: `x=${shp(base)} dims=${shp(v.dims)} strides=${shp(v.strides)} off=${v.offset}`,
      inputs: [data(rng, sizeOf(base))],
      tol: 0,
      run: (be, [x]) => be.gather(x, v),
    });
  }
  for (const [s, before, after] of [
    [
      [8, 64, 32, 32],
      [0, 0, 1, 1],
      [0, 0, 1, 1],
    ],
    [
      [3, 5, 7],
      [1, 0, 2],
      [0, 3, 1],
    ],
    [[1000], [7], [0]],
  ] as number[][][]) {
    const g = { inShape: s, outShape: s.map((d, i) => d + before[i] + after[i]), before, value: 0.25 };
    out.push({
      kernel: 'pad',
      config: `x=${shp(s)} before=${shp(before)} after=${shp(after)}`,
      inputs: [data(rng, sizeOf(s))],
      tol: 0,
      run: (be, [x]) => be.pad(x, g),
    });
  }
  const concats: [number[][], number][] = [
    [
      [
        [8, 64, 32, 32],
        [8, 64, 32, 32],
      ],
      1,
    ],
    [
      [
        [2, 3, 5],
        [2, 1, 5],
        [2, 4, 5],
      ],
      1,
    ],
    [Array.from({ length: 11 }, (_, i) => [3, i + 1]), 1],
    [
      [
        [4, 6],
        [2, 6],
      ],
      0,
    ],
  ];
  for (const [shapes, axis] of concats) {
    const g = concatGeometry(shapes, axis);
    out.push({
      kernel: 'concat',
      config: `${shapes.length} inputs ${shp(shapes[0])}… axis=${axis}`,
      inputs: shapes.map((s) => data(rng, sizeOf(s))),
      tol: 0,
      run: (be, xs) => be.concat(xs, g),
    });
  }
  return out;
}

function matmulCases(rng: Rng): KernelCase[] {
  const cases: [number, number, number, number, number, boolean, boolean][] = [
    [1, 1, 256, 256, 256, false, false],
    [1, 1, 8, 4, 36864, false, false],
    [1, 1, 8, 36864, 4, false, false],
    [4, 1, 33, 17, 65, true, false],
    [1, 3, 64, 128, 96, false, true],
    [8, 8, 1, 576, 8, true, true],
  ];
  return cases.map(([ba, bb, M, K, N, ta, tb]) => {
    const g = matmulGeometry('matmul', ba, bb, ta ? [K, M] : [M, K], tb ? [N, K] : [K, N], ta, tb);
    return {
      kernel: 'matmul',
      config: `batch ${ba}×${bb} M=${M} K=${K} N=${N}${ta ? ' transA' : ''}${tb ? ' transB' : ''}`,
      inputs: [data(rng, ba * M * K), data(rng, bb * K * N)],
      tol: TOL,
      run: (be, [a, b]) => be.matmul(a, b, g),
    };
  });
}

function convCases(rng: Rng): KernelCase[] {
  const cases: [string, number[], number[], Conv2dOptions, boolean][] = [
    ['plain', [8, 64, 32, 32], [64, 64, 3, 3], { padding: 1 }, false],
    ['plain small (split filter sum)', [4, 16, 12, 12], [32, 16, 3, 3], { padding: 'same' }, false],
    ['stride 2 dilation 2', [2, 8, 17, 15], [12, 8, 3, 3], { stride: 2, dilation: 2, padding: [1, 2, 0, 1] }, false],
    ['grouped g=4 5x5', [3, 16, 11, 11], [8, 4, 5, 5], { groups: 4, padding: 2 }, false],
    ['depthwise', [8, 128, 32, 32], [128, 1, 3, 3], { groups: 128, padding: 1 }, false],
    ['depthwise ×2 stride 2', [2, 12, 15, 15], [24, 1, 3, 3], { groups: 12, stride: 2, padding: 'same' }, false],
    ['per-sample W', [8, 64, 32, 32], [8, 64, 64, 3, 3], { padding: 1 }, true],
    ['per-sample depthwise', [4, 32, 16, 16], [4, 32, 1, 3, 3], { groups: 32, padding: 1 }, true],
  ];
  const out: KernelCase[] = [];
  for (const [name, xs, ws, opts, ps] of cases) {
    const g = conv2dGeometry('conv2d', xs, ws, opts, ps);
    const x = data(rng, sizeOf(xs));
    const w = data(rng, sizeOf(ws));
    const dy = data(rng, g.batch * g.outC * g.outH * g.outW);
    const config = `${name} x=${shp(xs)} w=${shp(ws)}`;
    out.push({ kernel: 'conv2d', config, inputs: [x, w], tol: TOL, run: (be, [a, b]) => be.conv2d(a, b, g) });
    out.push({ kernel: 'conv2dBackwardInput', config, inputs: [dy, w], tol: TOL, run: (be, [a, b]) => be.conv2dBackwardInput(a, b, g) });
    out.push({ kernel: 'conv2dBackwardFilter', config, inputs: [x, dy], tol: TOL, run: (be, [a, b]) => be.conv2dBackwardFilter(a, b, g) });
  }
  return out;
}

function poolCases(rng: Rng): KernelCase[] {
  const cases: [number[], Pool2dOptions][] = [
    [[8, 64, 32, 32], { kernelSize: 2 }],
    [[2, 3, 13, 11], { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }],
    [[4, 16, 9, 9], { kernelSize: [2, 3], stride: [1, 2], padding: 'same' }],
  ];
  const out: KernelCase[] = [];
  for (const [xs, opts] of cases) {
    const g = pool2dGeometry('pool2d', xs, opts);
    const x = data(rng, sizeOf(xs));
    const dy = data(rng, g.batch * g.channels * g.outH * g.outW);
    const config = `x=${shp(xs)} ${JSON.stringify(opts)}`;
    out.push({ kernel: 'maxPool2d', config, inputs: [x], tol: 0, run: (be, [a]) => be.maxPool2d(a, g) });
    out.push({ kernel: 'maxPool2dBackward', config, inputs: [x, dy], tol: TOL, run: (be, [a, b]) => be.maxPool2dBackward(a, b, g) });
    out.push({ kernel: 'avgPool2d', config, inputs: [x], tol: TOL, run: (be, [a]) => be.avgPool2d(a, g) });
    out.push({ kernel: 'avgPool2dBackward', config, inputs: [dy], tol: TOL, run: (be, [a]) => be.avgPool2dBackward(a, g) });
  }
  return out;
}

/**
 * Every case, from one seed. `small` keeps only the cases whose inputs are below 100k elements
 * (for a software adapter under a short budget).
 */
export function kernelCases(seed: number, small: boolean): KernelCase[] {
  const rng = mulberry32(seed);
  const all = [...unaryCases(rng), ...binaryCases(rng), ...reduceCases(rng), ...movementCases(rng), ...matmulCases(rng), ...convCases(rng), ...poolCases(rng)];
  return small ? all.filter((c) => c.inputs.every((x) => x.length < 100_000)) : all;
}
