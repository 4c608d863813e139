// Elementwise arithmetic: broadcast values against the naive reference, gradchecks, and bad-input messages.

import '../../kernels/register.js';
import { expect } from 'chai';
import { abs, add, affine, clamp, div, eq, exp, ge, gt, log, maximum, minimum, mul, neg, pow, sign, sqrt, square, sub } from '../../ops/arithmetic.js';
import type { Tensor } from '../../core/tensor.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { arr, naiveBinary } from '../helpers/naive.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

const BIN: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['pow', pow, Math.pow],
  ['maximum', maximum, Math.max],
  ['minimum', minimum, Math.min],
  ['gt', gt, (x, y) => (x > y ? 1 : 0)],
];

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;

  describe('arithmetic forward', () => {
    it('add [2,3] + [3] = hand-computed', async () => {
      const y = add(mk([1, 2, 3, 4, 5, 6], [2, 3], dtype, tb), mk([10, 20, 30], [3], dtype, tb));
      expect(y.shape).to.deep.equal([2, 3]);
      expectClose(await read(y), [11, 22, 33, 14, 25, 36], 0);
    });

    for (const [name, fn, f] of BIN) {
      for (const [sa, sb] of [
        [
          [2, 1, 3],
          [4, 1],
        ],
        [[3], [2, 3]],
        [
          [2, 3],
          [2, 3],
        ],
        [[1], [5]],
        [[], [2, 2]],
      ] as number[][][]) {
        it(`${name} a=${JSON.stringify(sa)} b=${JSON.stringify(sb)} matches the naive broadcast`, async () => {
          const a = rnd(1, sa, dtype, tb, 0.5, 2);
          const b = rnd(2, sb, dtype, tb, 0.5, 2);
          const want = naiveBinary(arr(sa, await read(a)), arr(sb, await read(b)), f)!;
          const y = fn(a, b);
          expect(y.shape).to.deep.equal(want.shape);
          expectClose(await read(y), want.data, tol);
        });
      }
    }

    it('scalar operands: 2 − x, x / 4, x ** 2, eq and ge', async () => {
      const x = mk([1, 2, 4], [3], dtype, tb);
      expectClose(await read(sub(2, x)), [1, 0, -2], 0);
      expectClose(await read(div(x, 4)), [0.25, 0.5, 1], 0);
      expectClose(await read(pow(x, 2)), [1, 4, 16], tol);
      expectClose(await read(eq(x, 2)), [0, 1, 0], 0);
      expectClose(await read(ge(x, 2)), [0, 1, 1], 0);
    });

    it('unary math [5]: neg, exp, log, sqrt, abs, square, sign, clamp, affine', async () => {
      const v = [0.25, 1, 2, 3.5, 9];
      const x = mk(v, [5], dtype, tb);
      const m = mk([-2, -0.5, 0, 0.5, 2], [5], dtype, tb);
      expectClose(
        await read(neg(x)),
        v.map((a) => -a),
        0,
      );
      expectClose(await read(exp(x)), v.map(Math.exp), tol);
      expectClose(await read(log(x)), v.map(Math.log), tol);
      expectClose(await read(sqrt(x)), [0.5, 1, Math.SQRT2, Math.sqrt(3.5), 3], tol);
      expectClose(await read(abs(m)), [2, 0.5, 0, 0.5, 2], 0);
      expectClose(await read(square(m)), [4, 0.25, 0, 0.25, 4], 0);
      expectClose(await read(sign(m)), [-1, -1, 0, 1, 1], 0);
      expectClose(await read(clamp(m, -1, 1)), [-1, -0.5, 0, 0.5, 1], 0);
      expectClose(await read(clamp(m, 0)), [0, 0, 0, 0.5, 2], 0);
      expectClose(await read(affine(m, 2, 1)), [-3, 0, 1, 2, 5], 0);
    });
  });

  describe('arithmetic bad input', () => {
    it('non-broadcastable [2,3] + [4] names the op and both shapes', () => {
      expectError(() => add(mk([1, 2, 3, 4, 5, 6], [2, 3], dtype, tb), mk([1, 2, 3, 4], [4], dtype, tb)), 'add', '[2,3]', '[4]');
      expectError(() => mul(rnd(1, [2, 3, 4], dtype, tb), rnd(2, [3, 3], dtype, tb)), 'mul', '[2,3,4]', '[3,3]');
    });
    if (tb.float64 && dtype === 'float64') {
      it('float32 [2] mixed with float64 [2] asks for an explicit cast', () => {
        expectError(() => sub(mk([1, 2], [2], 'float32', tb), mk([1, 2], [2], 'float64', tb)), 'sub', '[2]', 'float32', 'float64', 'cast');
      });
    }
    it('NaN scalars, two numbers and bad clamp/affine configuration are rejected', () => {
      const x = mk([1, 2], [2], dtype, tb);
      expectError(() => add(x, NaN), 'add', 'NaN');
      expectError(() => pow(x, NaN), 'pow', 'exponent', 'NaN', '[2]');
      expectError(() => pow(x, Infinity), 'pow', 'exponent', '[2]');
      expectError(() => add(1, 2), 'add', 'Tensor');
      expectError(() => clamp(x, 2, 1), 'clamp', 'min=2', '[2]');
      expectError(() => clamp(x, NaN, 1), 'clamp', 'NaN', '[2]');
      expectError(() => affine(x, Infinity), 'affine', 'Infinity');
      expectError(() => add(x, null as never), 'add', 'b must be a Tensor');
    });
  });

  if (dtype === 'float64' && tb.sync) {
    describe('arithmetic gradcheck (float64)', () => {
      for (const [sa, sb] of [
        [
          [2, 1, 3],
          [4, 1],
        ],
        [[3], [2, 3]],
        [
          [2, 3],
          [2, 3],
        ],
        [[], [2, 2]],
      ] as number[][][]) {
        const tag = `a=${JSON.stringify(sa)} b=${JSON.stringify(sb)}`;
        it(`add/sub/mul/div ${tag}`, () => {
          for (const f of [add, sub, mul, div]) checkGrad(f, [sa, sb], { lo: 0.5, hi: 2, on: tb });
        });
        it(`pow/maximum/minimum ${tag}`, () => {
          for (const f of [pow, maximum, minimum]) checkGrad(f, [sa, sb], { lo: 0.5, hi: 2, on: tb });
        });
      }
      it('grad of only one operand when the other is constant: mul a=[2,3] b=[3]', () => {
        checkGrad(mul, [[2, 3], [3]], { constant: [1], on: tb });
        checkGrad(mul, [[2, 3], [3]], { constant: [0], on: tb });
      });
      it('unary [3,4]: neg, exp, abs, square, clamp(-0.5, 0.5), affine(3, 1), pow(x, 3)', () => {
        for (const f of [neg, exp, abs, square, (x: Tensor) => clamp(x, -0.5, 0.5), (x: Tensor) => affine(x, 3, 1), (x: Tensor) => pow(x, 3)]) {
          checkGrad(f, [[3, 4]], { on: tb });
        }
      });
      it('unary on positive x [3,4]: log, sqrt, pow(x, -1.5), pow(2, x)', () => {
        for (const f of [log, sqrt, (x: Tensor) => pow(x, -1.5), (x: Tensor) => pow(2, x)]) checkGrad(f, [[3, 4]], { lo: 0.5, hi: 2, on: tb });
      });
    });
  }
});
