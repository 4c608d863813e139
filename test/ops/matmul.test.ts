// Batched matmul with broadcast batches and transposed operands: reference values, gradchecks, errors.

import '../../kernels/register.js';
import { expect } from 'chai';
import { matmul } from '../../ops/matmul.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { arr, naiveMatmul } from '../helpers/naive.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

const CASES: [number[], number[], boolean, boolean][] = [
  [[2, 3], [3, 4], false, false],
  [[3, 2], [3, 4], true, false],
  [[2, 3], [4, 3], false, true],
  [[3, 2], [4, 3], true, true],
  [[5, 2, 3], [5, 3, 4], false, false],
  [[5, 2, 3], [3, 4], false, false],
  [[2, 3], [5, 3, 4], false, false],
  [[2, 1, 2, 3], [1, 4, 3, 2], false, false],
  [[3, 1, 3, 2], [4, 2, 3], true, true],
  [[1, 1], [1, 1], false, false],
  [[2, 0], [0, 3], false, false],
  [[0, 2, 3], [1, 3, 2], false, false],
];
const tag = ([a, b, ta, tbb]: (typeof CASES)[number]): string => `a=${JSON.stringify(a)}${ta ? 'ᵀ' : ''} b=${JSON.stringify(b)}${tbb ? 'ᵀ' : ''}`;

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;

  describe('matmul forward', () => {
    it('[2,2]·[2,2] = hand-computed', async () => {
      expectClose(await read(matmul(mk([1, 2, 3, 4], [2, 2], dtype, tb), mk([5, 6, 7, 8], [2, 2], dtype, tb))), [19, 22, 43, 50], 0);
    });
    for (const c of CASES) {
      it(`${tag(c)} matches the naive reference`, async () => {
        const [sa, sb, ta, tbb] = c;
        const a = rnd(1, sa, dtype, tb);
        const b = rnd(2, sb, dtype, tb);
        const want = naiveMatmul(arr(sa, await read(a)), arr(sb, await read(b)), ta, tbb)!;
        const y = matmul(a, b, { transA: ta, transB: tbb });
        expect(y.shape).to.deep.equal(want.shape);
        expectClose(await read(y), want.data, tol);
      });
    }
  });

  describe('matmul bad input', () => {
    it('inner dims differ: [2,3]·[2,3] names both shapes', () => {
      expectError(() => matmul(rnd(1, [2, 3], dtype, tb), rnd(2, [2, 3], dtype, tb)), 'matmul', '[2,3]', 'K=3', 'K=2');
    });
    it('rank 1 operand and unbroadcastable batches [2,2,3]·[3,3,2]', () => {
      expectError(() => matmul(rnd(1, [3], dtype, tb), rnd(2, [3, 2], dtype, tb)), 'matmul', '[3]', 'rank');
      expectError(() => matmul(rnd(1, [2, 2, 3], dtype, tb), rnd(2, [3, 3, 2], dtype, tb)), 'matmul', '[2,2,3]', '[3,3,2]');
    });
    if (tb.float64 && dtype === 'float64') {
      it('float32 · float64 asks for a cast', () => {
        expectError(() => matmul(rnd(1, [2, 2], 'float32', tb), rnd(2, [2, 2], 'float64', tb)), 'matmul', 'float32', 'float64');
      });
    }
  });

  if (dtype === 'float64' && tb.sync) {
    describe('matmul gradcheck (float64)', () => {
      for (const c of CASES.slice(0, 9)) {
        it(tag(c), () => checkGrad((a, b) => matmul(a, b, { transA: c[2], transB: c[3] }), [c[0], c[1]], { on: tb }));
      }
    });
  }
});
