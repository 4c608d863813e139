// Reductions sum/mean/max/min over axes with keepDims: naive reference values, tie gradients, gradchecks, errors.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { Tensor } from '../../core/tensor.js';
import { max, mean, min } from '../../ops/reduce.js';
import { expand, sum, sumToShape } from '../../ops/broadcast.js';
import { div, mul } from '../../ops/arithmetic.js';
import { reshape } from '../../ops/shape.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { arr, naiveReduce, type NaiveReduce } from '../helpers/naive.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

type Reducer = (x: Tensor, axes?: number | readonly number[], keepDims?: boolean) => Tensor;
const OPS: [NaiveReduce, Reducer][] = [
  ['sum', sum],
  ['mean', mean],
  ['max', max],
  ['min', min],
];
const AXES: (number | number[] | undefined)[] = [undefined, 0, -1, [0, 2], [1], [2, 0], []];

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;

  describe('reduce forward x=[2,3,4]', () => {
    for (const [name, f] of OPS) {
      for (const axes of AXES) {
        for (const keepDims of [false, true]) {
          it(`${name} axes=${JSON.stringify(axes)} keepDims=${keepDims}`, async () => {
            const x = rnd(3, [2, 3, 4], dtype, tb);
            const list = axes === undefined ? undefined : typeof axes === 'number' ? [axes] : axes;
            const want = naiveReduce(arr([2, 3, 4], await read(x)), list, keepDims, name)!;
            const y = f(x, axes, keepDims);
            expect(y.shape).to.deep.equal(want.shape);
            expectClose(await read(y), want.data, tol);
          });
        }
      }
    }
    it('sum [[1,2],[3,4]] over axis 0 = [4,6]; mean of all = 2.5; sum over an empty axis [2,0] = [0,0]', async () => {
      const x = mk([1, 2, 3, 4], [2, 2], dtype, tb);
      expectClose(await read(sum(x, 0)), [4, 6], 0);
      expectClose(await read(mean(x)), [2.5], 0);
      expectClose(await read(sum(mk([], [2, 0], dtype, tb), 1)), [0, 0], 0);
    });
  });

  describe('reduce bad input', () => {
    it('axes out of range, repeated or fractional name the op and shape', () => {
      const x = rnd(1, [2, 3], dtype, tb);
      expectError(() => sum(x, 2), 'sum', 'axis 2', '[2,3]');
      expectError(() => mean(x, [0, -2]), 'mean', 'repeated', '[2,3]');
      expectError(() => max(x, 0.5), 'max', 'axis 0.5', '[2,3]');
      expectError(() => min(x, NaN), 'min', 'axis NaN', '[2,3]');
    });
    it('max/min/mean over an empty axis [2,0] are errors', () => {
      const e = mk([], [2, 0], dtype, tb);
      expectError(() => max(e, 1), 'max', '[2,0]');
      expectError(() => min(e), 'min', '[2,0]');
      expectError(() => mean(e, 1), 'mean', '[2,0]');
    });
  });

  describe('sum and mean backward: the same values as expand(div(reshape(dy, kept), n), shape)', () => {
    for (const [name, f] of OPS.slice(0, 2)) {
      const cases: [number[], number[]][] = [
        [
          [2, 3, 4],
          [0, 2],
        ],
        [
          [5, 6, 3, 3],
          [2, 3],
        ],
      ];
      for (const [shape, axes] of cases) {
        it(`${name} x=[${shape}] axes=[${axes}]`, async () => {
          const x = rnd(3, shape, dtype, tb, -1, 1, true);
          const y = f(x, axes);
          const dy = rnd(4, y.shape, dtype, tb);
          sum(mul(y, dy)).backward();
          const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const n = name === 'mean' ? axes.reduce((a, i) => a * shape[i], 1) : 1;
          const want = expand(div(reshape(dy, kept), n), shape);
          expect(Array.from(await read(x.grad!))).to.deep.equal(Array.from(await read(want)));
        });
      }
    }
  });

  if (dtype === 'float64' && tb.sync) {
    describe('reduce gradcheck (float64) x=[2,3,4]', () => {
      for (const [name, f] of OPS) {
        for (const axes of [undefined, 1, [0, 2]]) {
          for (const keepDims of [false, true]) {
            it(`${name} axes=${JSON.stringify(axes)} keepDims=${keepDims}`, () => checkGrad((x) => f(x, axes, keepDims), [[2, 3, 4]], { on: tb }));
          }
        }
      }
      it('max with a tie [3,3,1] shares the gradient equally', async () => {
        const x = mk([3, 3, 1], [3], 'float64', tb, true);
        max(x).backward();
        expectClose(await read(x.grad!), [0.5, 0.5, 0], 0);
      });
      it('sumToShape [2,4,3] → [2,1,3] sums the broadcast dim', async () => {
        const g = sumToShape(
          mk(
            Array.from({ length: 24 }, (_, i) => i),
            [2, 4, 3],
            'float64',
            tb,
          ),
          [2, 1, 3],
        );
        expect(g.shape).to.deep.equal([2, 1, 3]);
        expectClose(await read(g), [18, 22, 26, 66, 70, 74], 0);
      });
    });
  }
});
