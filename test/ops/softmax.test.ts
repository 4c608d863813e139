// softmax/logSoftmax with temperature, crossEntropy with label smoothing, nllLoss: values, stability, gradchecks, errors.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { Tensor } from '../../core/tensor.js';
import { crossEntropy, logSoftmax, nllLoss, softmax } from '../../ops/softmax.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { arr } from '../helpers/naive.js';
import { naiveCrossEntropy, naiveSoftmax } from '../helpers/naive_nn.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;

  describe('softmax / logSoftmax forward', () => {
    it('softmax [[1,2,3],[1,1,1]] = hand-computed', async () => {
      const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
      const s = e[0] + e[1] + e[2];
      expectClose(await read(softmax(mk([1, 2, 3, 1, 1, 1], [2, 3], dtype, tb))), [...e.map((v) => v / s), 1 / 3, 1 / 3, 1 / 3], tol);
    });
    for (const axis of [0, 1, -1]) {
      for (const T of [1, 0.5, 3]) {
        it(`x=[2,3,4] axis=${axis} T=${T} matches the naive reference`, async () => {
          const x = rnd(5, [2, 3, 4], dtype, tb, -3, 3);
          const xa = arr([2, 3, 4], await read(x));
          expectClose(await read(softmax(x, axis, T)), naiveSoftmax(xa, axis, T, false).data, tol);
          expectClose(await read(logSoftmax(x, axis, T)), naiveSoftmax(xa, axis, T, true).data, tol);
        });
      }
    }
    it('is stable for large logits [1000, 1001, -1000] and a tiny temperature 1e-3', async () => {
      const x = mk([1000, 1001, -1000], [3], dtype, tb);
      const p = await read(softmax(x));
      expectClose(p, [1 / (1 + Math.E), Math.E / (1 + Math.E), 0], 1e-6);
      expectClose(await read(logSoftmax(x)), [-Math.log1p(Math.E), -Math.log1p(1 / Math.E), -2001 - Math.log1p(1 / Math.E)], 1e-5);
      const q = await read(softmax(mk([1, 1.01, 0.5], [3], dtype, tb), -1, 1e-3));
      expect(q.every(Number.isFinite)).to.equal(true);
      expectClose(q, [0, 1, 0], 1e-4);
    });
    it('an empty softmax axis [2,0] gives an empty result', () => {
      expect(softmax(mk([], [2, 0], dtype, tb)).shape).to.deep.equal([2, 0]);
      expect(logSoftmax(mk([], [2, 0], dtype, tb), 1).shape).to.deep.equal([2, 0]);
    });
  });

  describe('crossEntropy / nllLoss forward', () => {
    it('logits [[1,2,3],[1,1,1]] labels [2,0] mean = (−log softmax₂ + log 3) / 2', async () => {
      const want = (-Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3))) + Math.log(3)) / 2;
      const loss = crossEntropy(mk([1, 2, 3, 1, 1, 1], [2, 3], dtype, tb), [2, 0]);
      expect(loss.shape).to.deep.equal([]);
      expectClose(await read(loss), [want], tol);
    });
    for (const reduction of ['mean', 'sum'] as const) {
      for (const smoothing of [0, 0.1, 1]) {
        it(`logits=[5,4] reduction=${reduction} labelSmoothing=${smoothing} matches the reference`, async () => {
          const x = rnd(8, [5, 4], dtype, tb, -2, 2);
          const labels = Int32Array.from([3, 0, 1, 1, 2]);
          const want = naiveCrossEntropy(arr([5, 4], await read(x)), labels, smoothing, reduction);
          expectClose(await read(crossEntropy(x, labels, { reduction, labelSmoothing: smoothing })), [want], tol);
        });
      }
    }
    it('nllLoss of logSoftmax equals crossEntropy; sum over an empty batch [0,3] is 0', async () => {
      const x = rnd(9, [3, 4], dtype, tb);
      expectClose(await read(nllLoss(logSoftmax(x), [1, 2, 3])), await read(crossEntropy(x, [1, 2, 3])), tol);
      expectClose(await read(nllLoss(mk([0, 1, 2, 3, 4, 5], [2, 3], dtype, tb), [0, 2], { reduction: 'sum' })), [-5], tol);
      expectClose(await read(crossEntropy(mk([], [0, 3], dtype, tb), [], { reduction: 'sum' })), [0], 0);
    });
  });

  describe('softmax / losses bad input', () => {
    const x = (): Tensor => rnd(1, [2, 3], dtype, tb);
    it('temperature 0, negative, NaN or infinite; axis out of range or fractional; a scalar x', () => {
      expectError(() => softmax(x(), -1, 0), 'softmax', 'temperature', '[2,3]');
      expectError(() => logSoftmax(x(), -1, -2), 'logSoftmax', 'temperature', '[2,3]');
      expectError(() => softmax(x(), -1, NaN), 'softmax', 'temperature', 'NaN');
      expectError(() => softmax(x(), -1, Infinity), 'softmax', 'temperature', 'Infinity');
      expectError(() => softmax(x(), 2), 'softmax', 'axis 2', '[2,3]');
      expectError(() => logSoftmax(x(), 0.5), 'logSoftmax', 'axis 0.5', '[2,3]');
      expectError(() => softmax(mk([1], [], dtype, tb)), 'softmax', '[]');
    });
    it('labels of the wrong length, out of range, negative, fractional or NaN name the index and logits shape', () => {
      expectError(() => crossEntropy(x(), [0]), 'crossEntropy', 'length 1', '[2,3]');
      expectError(() => crossEntropy(x(), [0, 3]), 'crossEntropy', 'labels[1] = 3', '[0, 3)', '[2,3]');
      expectError(() => crossEntropy(x(), [-1, 0]), 'crossEntropy', 'labels[0] = -1', '[2,3]');
      expectError(() => crossEntropy(x(), [0, 1.5]), 'crossEntropy', 'labels[1] = 1.5', '[2,3]');
      expectError(() => crossEntropy(x(), [NaN, 1]), 'crossEntropy', 'labels[0] = NaN', '[2,3]');
      expectError(() => crossEntropy(x(), 'ab' as never), 'crossEntropy', 'labels', '[2,3]');
      expectError(() => nllLoss(x(), [0, 5]), 'nllLoss', 'labels[1] = 5', '[2,3]');
    });
    it('logits not [B, C], bad labelSmoothing or reduction, mean over an empty batch', () => {
      expectError(() => crossEntropy(rnd(1, [2, 3, 4], dtype, tb), [0, 1]), 'crossEntropy', '[2,3,4]');
      expectError(() => crossEntropy(x(), [0, 1], { labelSmoothing: 1.5 }), 'crossEntropy', 'labelSmoothing', '1.5', '[2,3]');
      expectError(() => crossEntropy(x(), [0, 1], { labelSmoothing: NaN }), 'crossEntropy', 'labelSmoothing', 'NaN');
      expectError(() => crossEntropy(x(), [0, 1], { reduction: 'none' as never }), 'crossEntropy', 'reduction', 'none');
      expectError(() => crossEntropy(mk([], [0, 3], dtype, tb), []), 'crossEntropy', '[0,3]', 'empty');
    });
  });

  if (dtype === 'float64' && tb.sync) {
    describe('softmax / losses gradcheck (float64)', () => {
      for (const axis of [0, -1]) {
        for (const T of [1, 0.5, 2]) {
          it(`softmax and logSoftmax x=[2,3,4] axis=${axis} T=${T}`, () => {
            checkGrad((t) => softmax(t, axis, T), [[2, 3, 4]], { lo: -2, hi: 2, on: tb });
            checkGrad((t) => logSoftmax(t, axis, T), [[2, 3, 4]], { lo: -2, hi: 2, on: tb });
          });
        }
      }
      for (const reduction of ['mean', 'sum'] as const) {
        for (const labelSmoothing of [0, 0.2]) {
          it(`crossEntropy logits=[4,5] reduction=${reduction} labelSmoothing=${labelSmoothing}`, () => {
            checkGrad((t) => crossEntropy(t, [4, 0, 2, 2], { reduction, labelSmoothing }), [[4, 5]], { lo: -2, hi: 2, on: tb });
          });
        }
      }
      it('nllLoss logProbs=[3,4]', () => checkGrad((t) => nllLoss(t, [0, 3, 1]), [[3, 4]], { on: tb }));
      it('crossEntropy gradient = (softmax − onehot) / B exactly', async () => {
        const x = mk([1, 2, 3, 1, 1, 1], [2, 3], 'float64', tb, true);
        crossEntropy(x, [2, 0]).backward();
        const p = await read(softmax(x));
        const onehot = [0, 0, 1, 1, 0, 0];
        expectClose(
          await read(x.grad!),
          Array.from(p, (v, i) => (v - onehot[i]) / 2),
          1e-12,
        );
      });
    });
  }
});
