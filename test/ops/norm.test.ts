// batchNorm2d: training and eval forward against the naive reference, running-stat updates, gradchecks, errors.

import '../../kernels/register.js';
import { expect } from 'chai';
import { batchNorm2d, scaledStats } from '../../ops/norm.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { arr } from '../helpers/naive.js';
import { naiveBatchNorm, naiveBatchNormEval } from '../helpers/naive_nn.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-10 : 1e-4;

  describe('batchNorm2d forward', () => {
    it('x=[2,1,1,1] values [1,3] in training: mean 2, var 1 → [-1, 1]/√(1+eps)', async () => {
      const y = batchNorm2d(mk([1, 3], [2, 1, 1, 1], dtype, tb), { training: true, eps: 1e-5 });
      const s = 1 / Math.sqrt(1 + 1e-5);
      expectClose(await read(y), [-s, s], tol);
    });

    for (const affine of [true, false]) {
      it(`training x=[2,3,4,5] ${affine ? 'with' : 'without'} weight/bias matches the reference; running stats updated (momentum 0.3)`, async () => {
        const shape = [2, 3, 4, 5];
        const x = rnd(1, shape, dtype, tb, -2, 3);
        const w = affine ? mk([0.5, -1, 2], [3], dtype, tb) : null;
        const b = affine ? mk([0.1, 0.2, -0.3], [3], dtype, tb) : null;
        const rm = mk([1, 2, 3], [3], dtype, tb);
        const rv = mk([1, 1, 2], [3], dtype, tb);
        const y = batchNorm2d(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: true, momentum: 0.3 });
        const want = naiveBatchNorm(arr(shape, await read(x)), affine ? [0.5, -1, 2] : null, affine ? [0.1, 0.2, -0.3] : null, 1e-5);
        expect(y.shape).to.deep.equal(shape);
        expectClose(await read(y), want.y.data, tol);
        const n = 2 * 4 * 5;
        expectClose(
          await read(rm),
          [1, 2, 3].map((v, c) => 0.7 * v + 0.3 * want.mean[c]),
          tol,
        );
        expectClose(
          await read(rv),
          [1, 1, 2].map((v, c) => 0.7 * v + (0.3 * want.variance[c] * n) / (n - 1)),
          tol,
        );
        expect(rm.requiresGrad).to.equal(false);
        expect(rm.node).to.equal(null);
      });
    }

    it('eval x=[2,3,2,2] uses the running statistics and leaves them unchanged', async () => {
      const shape = [2, 3, 2, 2];
      const x = rnd(2, shape, dtype, tb);
      const rm = mk([0.1, -0.2, 0.3], [3], dtype, tb);
      const rv = mk([0.5, 2, 1], [3], dtype, tb);
      const y = batchNorm2d(x, {
        weight: mk([1, 2, 3], [3], dtype, tb),
        bias: mk([0, 1, 0], [3], dtype, tb),
        runningMean: rm,
        runningVar: rv,
        training: false,
        eps: 1e-3,
      });
      const want = naiveBatchNormEval(arr(shape, await read(x)), [0.1, -0.2, 0.3], [0.5, 2, 1], [1, 2, 3], [0, 1, 0], 1e-3);
      expectClose(await read(y), want.data, tol);
      expectClose(await read(rm), [0.1, -0.2, 0.3], tol);
      expectClose(await read(rv), [0.5, 2, 1], tol);
    });

    it('eval with a single value per channel x=[1,2,1,1] is fine', async () => {
      const y = batchNorm2d(mk([1, 2], [1, 2, 1, 1], dtype, tb), {
        runningMean: mk([0, 0], [2], dtype, tb),
        runningVar: mk([1, 1], [2], dtype, tb),
        training: false,
        eps: 0.25,
      });
      expectClose(await read(y), [1 / Math.sqrt(1.25), 2 / Math.sqrt(1.25)], tol);
    });
  });

  describe('batchNorm2d bad input', () => {
    const x = () => rnd(1, [2, 3, 2, 2], dtype, tb);
    const c3 = () => mk([1, 1, 1], [3], dtype, tb);
    it('x not rank 4, or weight/bias/running stats not [C]', () => {
      expectError(() => batchNorm2d(rnd(1, [2, 3, 4], dtype, tb), { training: true }), 'batchNorm2d', '[2,3,4]');
      expectError(() => batchNorm2d(x(), { training: true, weight: mk([1, 1, 1, 1], [4], dtype, tb) }), 'batchNorm2d', 'weight', '[3]', '[4]', '[2,3,2,2]');
      expectError(() => batchNorm2d(x(), { training: true, bias: mk([1, 1, 1], [1, 3], dtype, tb) }), 'batchNorm2d', 'bias', '[1,3]');
      expectError(() => batchNorm2d(x(), { training: false, runningMean: c3(), runningVar: mk([1, 1], [2], dtype, tb) }), 'batchNorm2d', 'runningVar', '[2]');
    });
    if (tb.float64 && dtype === 'float64') {
      it('weight of another dtype than x', () => {
        const other = dtype === 'float64' ? 'float32' : 'float64';
        expectError(() => batchNorm2d(x(), { training: true, weight: mk([1, 1, 1], [3], other, tb) }), 'batchNorm2d', 'weight', other, dtype);
      });
    }
    it('training with a single value per channel x=[1,3,1,1] (B·H·W = 1), as PyTorch', () => {
      expectError(() => batchNorm2d(rnd(1, [1, 3, 1, 1], dtype, tb), { training: true }), 'batchNorm2d', '[1,3,1,1]', 'more than one value');
      expectError(() => batchNorm2d(mk([], [0, 3, 2, 2], dtype, tb), { training: true }), 'batchNorm2d', '[0,3,2,2]');
    });
    it('eval without running statistics; missing or non-boolean training', () => {
      expectError(() => batchNorm2d(x(), { training: false, runningMean: c3() }), 'batchNorm2d', 'runningVar', '[2,3,2,2]');
      expectError(() => batchNorm2d(x(), {} as never), 'batchNorm2d', 'training');
      expectError(() => batchNorm2d(x(), { training: 1 as never }), 'batchNorm2d', 'training');
    });
    it('NaN or out-of-range momentum, zero/negative/NaN eps', () => {
      expectError(() => batchNorm2d(x(), { training: true, momentum: NaN }), 'batchNorm2d', 'momentum', 'NaN', '[2,3,2,2]');
      expectError(() => batchNorm2d(x(), { training: true, momentum: 1.5 }), 'batchNorm2d', 'momentum', '1.5');
      expectError(() => batchNorm2d(x(), { training: true, eps: 0 }), 'batchNorm2d', 'eps');
      expectError(() => batchNorm2d(x(), { training: true, eps: -1e-5 }), 'batchNorm2d', 'eps');
      expectError(() => batchNorm2d(x(), { training: true, eps: NaN }), 'batchNorm2d', 'eps', 'NaN');
    });
  });

  if (dtype === 'float64' && tb.sync) {
    describe('batchNorm2d gradcheck (float64)', () => {
      it('training x=[2,3,2,3] weight=[3] bias=[3]', () => {
        checkGrad((x, w, b) => batchNorm2d(x, { weight: w, bias: b, training: true }), [[2, 3, 2, 3], [3], [3]], { on: tb });
      });
      it('training x=[3,2,1,2] without weight/bias, updating running stats', () => {
        const rm = mk([0, 0], [2], 'float64', tb);
        const rv = mk([1, 1], [2], 'float64', tb);
        checkGrad((x) => batchNorm2d(x, { runningMean: rm, runningVar: rv, training: true }), [[3, 2, 1, 2]], { on: tb });
      });
      it('the scaled statistics (s = max|x| > 1: x in [−50, 50]) x=[2,3,2,3]: gradients and values equal the plain form', async () => {
        checkGrad((x) => scaledStats(x, 1e-5).xhat, [[2, 3, 2, 3]], { on: tb, lo: -50, hi: 50 });
        const x = rnd(3, [2, 3, 2, 3], 'float64', tb, -50, 50);
        const scaled = scaledStats(x, 1e-5);
        const plain = batchNorm2d(x, { training: true });
        expectClose(await read(scaled.xhat), await read(plain), 1e-12);
      });
      it('eval x=[2,3,2,2] weight=[3] bias=[3] with constant running stats', () => {
        const rm = mk([0.1, 0.2, 0.3], [3], 'float64', tb);
        const rv = mk([0.5, 1, 2], [3], 'float64', tb);
        checkGrad((x, w, b) => batchNorm2d(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: false }), [[2, 3, 2, 2], [3], [3]], { on: tb });
      });
    });
  }
});
