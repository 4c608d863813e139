// Wasm matmul, elementwise, reduce and pooling kernels against the cpu reference on seeded random shapes.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { BINARY_OPS, REDUCE_OPS, type UnaryOp } from '../../kernels/elementwise.js';
import { binaryGeometry } from '../../kernels/geometry/broadcast.js';
import { matmulGeometry } from '../../kernels/geometry/matmul.js';
import { pool2dGeometry, type Pool2dOptions } from '../../kernels/geometry/pool.js';
import { reduceGeometry } from '../../kernels/geometry/reduce.js';
import { expectClose } from '../helpers/close.js';
import { unaryCases } from '../helpers/elementwise.js';
import { mulberry32, pick, randArray, randInt } from '../helpers/rng.js';
import { WASM_THREADS, useWasmBackend } from '../helpers/wasm.js';

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

// Every unary op: those with a wasm kernel, and those that run the reference loop on the wasm heap
// (see WASM_UNARY); affine 0.1/0.3 has constants float32 cannot hold, so it takes the loop too.
const UNARY: UnaryOp[] = unaryCases({
  clamp: [{ min: -0.5, max: 0.75 }],
  powScalar: [{ exponent: 3 }],
  affine: [
    { scale: 2.5, shift: -1 },
    { scale: 0.1, shift: 0.3 },
  ],
});
const BINARY = BINARY_OPS;

/** Broadcast pairs: same shape (incl. > 8192 elements), bias along channels or features, scalars, rank 5. */
const PAIRS: [number[], number[]][] = [
  [[37], [37]],
  [
    [3, 5, 7],
    [3, 5, 7],
  ],
  [[9001], [9001]],
  [
    [2, 5, 3, 3],
    [1, 5, 1, 1],
  ],
  [[6, 10], [10]],
  [
    [6, 10],
    [6, 1],
  ],
  [[4, 7], [1]],
  [[1], [4, 7]],
  [
    [2, 1, 3],
    [4, 1],
  ],
  [
    [2, 3, 2, 3, 5],
    [3, 1, 3, 1],
  ],
  [
    [8, 16, 9],
    [16, 1],
  ],
  [
    [3, 4, 5],
    [3, 1, 5],
  ],
];

const REDUCE: [number[], number | number[] | undefined][] = [
  [[2, 3, 4, 5], undefined],
  [[2, 3, 4, 5], 3],
  [[2, 3, 4, 5], 0],
  [
    [2, 3, 4, 5],
    [0, 2, 3],
  ],
  [
    [2, 3, 4, 5],
    [1, 2],
  ],
  [
    [2, 3, 4, 5],
    [0, 2],
  ],
  [[7, 9], 0],
  [[7, 9], 1],
  [[33, 17], 0],
  [[5, 1000], 1],
  [[1, 5, 1], 1],
  [
    [2, 3, 4, 5, 6],
    [0, 2, 4],
  ],
];

for (const threads of WASM_THREADS) {
  describe(`wasm matmul/elementwise/reduce/pool threads=${threads}`, () => {
    const be = useWasmBackend(threads);
    const rng = mulberry32(77 + threads);

    for (let i = 0; i < 12; i++) {
      const M = randInt(rng, 1, i < 3 ? 150 : 40),
        N = randInt(rng, 1, i < 3 ? 300 : 40),
        K = randInt(rng, 0, i < 3 ? 600 : 40);
      const batchA = pick(rng, [1, 2, 3]),
        batchB = batchA === 1 ? pick(rng, [1, 3]) : pick(rng, [1, batchA]);
      const tA = rng() < 0.5,
        tB = rng() < 0.5;
      it(`matmul #${i} a=[${batchA},${tA ? [K, M] : [M, K]}]${tA ? 'ᵀ' : ''} b=[${batchB},${tB ? [N, K] : [K, N]}]${tB ? 'ᵀ' : ''}`, () => {
        const g = matmulGeometry('matmul', batchA, batchB, tA ? [K, M] : [M, K], tB ? [N, K] : [K, N], tA, tB);
        const a = randArray(rng, batchA * M * K, 'float32'),
          b = randArray(rng, batchB * K * N, 'float32');
        expectClose(
          be().readSync(be().matmul(be().fromArray(a), be().fromArray(b), g)),
          cpuBackend.readSync(cpuBackend.matmul(cpuBackend.fromArray(a), cpuBackend.fromArray(b), g)),
          1e-4,
        );
      });
    }

    for (const op of BINARY) {
      for (const [as, bs] of PAIRS) {
        it(`binary ${op} a=[${as}] b=[${bs}]`, () => {
          const g = binaryGeometry(op, as, bs);
          const a = randArray(rng, size(as), 'float32', op === 'pow' ? 0.1 : -2, 2);
          const b = randArray(rng, size(bs), 'float32', -2, 2);
          if (op === 'eq') for (let j = 0; j < Math.min(a.length, b.length); j += 3) a[j] = b[j];
          const got = be().readSync(be().binary(be().fromArray(a), be().fromArray(b), op, g));
          const want = cpuBackend.readSync(cpuBackend.binary(cpuBackend.fromArray(a), cpuBackend.fromArray(b), op, g));
          expectClose(got, want, 0, `${op}`);
        });
      }
    }
    it('binary maximum/minimum keep the reference NaN rule (a >= b ? a : b) x=[8]', () => {
      const a = new Float32Array([NaN, 1, NaN, 2, 0, -0, 3, NaN]),
        b = new Float32Array([1, NaN, NaN, 2, -0, 0, 4, 5]);
      for (const op of ['maximum', 'minimum'] as const) {
        const g = binaryGeometry(op, [8], [8]);
        expectClose(
          be().readSync(be().binary(be().fromArray(a), be().fromArray(b), op, g)),
          cpuBackend.readSync(cpuBackend.binary(cpuBackend.fromArray(a), cpuBackend.fromArray(b), op, g)),
          0,
          op,
        );
      }
    });

    for (const op of UNARY) {
      it(`unary ${op.name}${'min' in op ? JSON.stringify(op) : ''} and its backward x=[1031] incl. NaN, ±0 and the kinks`, () => {
        const x = randArray(rng, 1031, 'float32', -8, 8);
        x.set([NaN, 0, -0, 6, -0.5, 0.75, 1e-30, -Infinity, Infinity]);
        if (op.name === 'sqrt' || op.name === 'log') for (let j = 9; j < x.length; j++) x[j] = Math.abs(x[j]);
        const dy = randArray(rng, x.length, 'float32');
        const y = be().unary(be().fromArray(x), op);
        const cy = cpuBackend.unary(cpuBackend.fromArray(x), op);
        expectClose(be().readSync(y), cpuBackend.readSync(cy), 1e-6, 'forward');
        expectClose(
          be().readSync(be().unaryBackward(be().fromArray(x), y, be().fromArray(dy), op)),
          cpuBackend.readSync(cpuBackend.unaryBackward(cpuBackend.fromArray(x), cy, cpuBackend.fromArray(dy), op)),
          1e-6,
          'backward',
        );
      });
    }

    for (const [shape, axes] of REDUCE) {
      for (const op of REDUCE_OPS) {
        it(`reduce ${op} x=[${shape}] axes=${JSON.stringify(axes)}`, () => {
          const g = reduceGeometry('reduce', shape, axes);
          const x = randArray(rng, size(shape), 'float32');
          expectClose(be().readSync(be().reduce(be().fromArray(x), op, g)), cpuBackend.readSync(cpuBackend.reduce(cpuBackend.fromArray(x), op, g)), 1e-5);
        });
      }
    }
    it('reduce max/min propagate NaN x=[3,9] axis 0 and axis 1', () => {
      const x = randArray(rng, 27, 'float32');
      x[4] = NaN;
      for (const op of ['max', 'min'] as const) {
        for (const axis of [0, 1]) {
          const g = reduceGeometry('reduce', [3, 9], axis);
          expectClose(be().readSync(be().reduce(be().fromArray(x), op, g)), cpuBackend.readSync(cpuBackend.reduce(cpuBackend.fromArray(x), op, g)), 0);
        }
      }
    });

    for (let i = 0; i < 14; i++) {
      const k = [randInt(rng, 1, 4), randInt(rng, 1, 4)] as [number, number];
      const opts: Pool2dOptions = {
        kernelSize: k,
        stride: [randInt(rng, 1, 3), randInt(rng, 1, 3)],
        padding: [randInt(rng, 0, k[0] - 1), randInt(rng, 0, k[1] - 1)],
        countIncludePad: rng() < 0.5,
      };
      const x = [randInt(rng, 1, 3), randInt(rng, 1, 4), randInt(rng, k[0], 13), randInt(rng, k[1], 13)];
      it(`pool #${i} x=[${x}] ${JSON.stringify(opts)} max/avg forward and backward`, () => {
        const g = pool2dGeometry('pool', x, opts);
        const xv = randArray(rng, size(x), 'float32');
        if (i % 3 === 0) xv[5] = NaN;
        const dy = randArray(rng, g.batch * g.channels * g.outH * g.outW, 'float32');
        const [wx, wdy] = [be().fromArray(xv), be().fromArray(dy)];
        const [cx, cdy] = [cpuBackend.fromArray(xv), cpuBackend.fromArray(dy)];
        expectClose(be().readSync(be().maxPool2d(wx, g)), cpuBackend.readSync(cpuBackend.maxPool2d(cx, g)), 0, 'max');
        expectClose(be().readSync(be().maxPool2dBackward(wx, wdy, g)), cpuBackend.readSync(cpuBackend.maxPool2dBackward(cx, cdy, g)), 1e-6, 'max backward');
        if (i % 3 !== 0) expectClose(be().readSync(be().avgPool2d(wx, g)), cpuBackend.readSync(cpuBackend.avgPool2d(cx, g)), 1e-6, 'avg');
        expectClose(be().readSync(be().avgPool2dBackward(wdy, g)), cpuBackend.readSync(cpuBackend.avgPool2dBackward(cdy, g)), 1e-6, 'avg backward');
      });
    }

    it('a wrong-size operand raises a CondgradError: binary add a=[6] b=[5] with a [6]+[6] geometry', () => {
      const g = binaryGeometry('add', [6], [6]);
      expect(() => be().binary(be().zeros('float32', 6), be().zeros('float32', 5), 'add', g)).to.throw(
        /wasm\.binary\(add\): b has 5 elements but the output needs 6/,
      );
      expect(() => be().binary(be().zeros('float32', 6), be().zeros('float64', 6), 'add', g)).to.throw(/a is float32 but b is float64/);
    });
  });
}
