// Extreme finite inputs on every backend: losses, means and BatchNorm statistics stay finite where the math is.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import type { DType } from '../../core/dtype.js';
import { crossEntropy, logSoftmax, nllLoss } from '../../ops/softmax.js';
import { mean } from '../../ops/reduce.js';
import { sum } from '../../ops/broadcast.js';
import { batchNorm2d } from '../../ops/norm.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { read } from '../helpers/tensors.js';

/** The largest magnitude the test uses per dtype: near the top of its range. */
const BIG: Record<DType, number> = { float32: 3e38, float64: 1e308 };

const allFinite = (a: ArrayLike<number>): boolean => Array.from(a).every(Number.isFinite);

forEachBackendDtype((tb, dtype) => {
  const big = BIG[dtype];
  const on = { backend: tb.backend, dtype };
  const rel = dtype === 'float64' ? 1e-12 : 1e-6;

  describe(`extreme finite values (±${big})`, () => {
    it(`crossEntropy([[${big}, ${-big}]], [0]) = 0 with gradient [0, 0]; label 1 gives its true size or Infinity`, async () => {
      const x = tensor([[big, -big]], undefined, { ...on, requiresGrad: true });
      const loss = crossEntropy(x, [0]);
      expect([...(await read(loss))]).to.deep.equal([0]);
      loss.backward();
      expect([...(await read(x.grad!))]).to.deep.equal([0, 0]);
      const x2 = tensor(
        [
          [big, -big],
          [1, 2],
        ],
        undefined,
        { ...on, requiresGrad: true },
      );
      const l2 = crossEntropy(x2, [1, 0], { reduction: 'sum' });
      const v = (await read(l2))[0];
      expect(Number.isNaN(v), 'loss is not NaN').to.equal(false);
      expect(v).to.be.greaterThan(big);
      l2.backward();
      const g = await read(x2.grad!);
      expect(allFinite(g), `finite gradient, got ${[...g].join(',')}`).to.equal(true);
      // d/dx of the first row is softmax − onehot(1) = [1, −1].
      expect([g[0], g[1]]).to.deep.equal([1, -1]);
    });

    it('crossEntropy with label smoothing 0.1 of [[big, −big]] = 0.1·big, gradient softmax − target = [0.05, −0.05]', async () => {
      const x = tensor([[big, -big]], undefined, { ...on, requiresGrad: true });
      const loss = crossEntropy(x, [0], { labelSmoothing: 0.1 });
      const v = (await read(loss))[0];
      expect(Math.abs(v - 0.1 * big) / (0.1 * big), `loss ${v}`).to.be.lessThan(rel * 10);
      loss.backward();
      const g = await read(x.grad!);
      expect(Math.abs(g[0] - 0.05)).to.be.lessThan(1e-6);
      expect(Math.abs(g[1] + 0.05)).to.be.lessThan(1e-6);
    });

    it(`mean([${big}, ${big}]) = ${big}; mean over an axis of [[big, big, big, big·2/3]] is finite`, async () => {
      const m = await read(mean(tensor([big, big], undefined, on)));
      expect(Math.abs(m[0] - big) / big).to.be.lessThan(rel);
      const m2 = await read(
        mean(
          tensor(
            [
              [big, big, big, big * (2 / 3)],
              [1, 2, 3, 4],
            ],
            undefined,
            on,
          ),
          1,
        ),
      );
      expect(Math.abs(m2[0] - big * (11 / 12)) / big).to.be.lessThan(rel * 4);
      expect(Math.abs(m2[1] - 2.5)).to.be.lessThan(1e-6);
    });

    it('the gradient of mean over a huge value is 1/n (finite)', async () => {
      const x = tensor([big, big, -big], undefined, { ...on, requiresGrad: true });
      mean(x).backward();
      const g = await read(x.grad!);
      for (const v of g) expect(Math.abs(v - 1 / 3)).to.be.lessThan(1e-7);
    });

    it('batchNorm2d training of x=[1,1,2,2] = [big, big, big, big·2/3] is finite: [1, 1, 1, −3]/√3 · (1 − ε-correction)', async () => {
      const x = tensor([big, big, big, big * (2 / 3)], [1, 1, 2, 2], { ...on, requiresGrad: true });
      const y = batchNorm2d(x, { training: true });
      const v = await read(y);
      expect(allFinite(v), `finite output, got ${[...v].join(',')}`).to.equal(true);
      const want = [1, 1, 1, -3].map((u) => u / Math.sqrt(3));
      for (let i = 0; i < 4; i++) expect(Math.abs(v[i] - want[i]), `y[${i}] = ${v[i]}`).to.be.lessThan(1e-3);
      sum(y).backward();
      expect(allFinite(await read(x.grad!)), 'finite gradient').to.equal(true);
    });
  });
});

forEachBackendDtype((tb, dtype) => {
  describe('sums with cancellation', () => {
    it('Σ of eight copies of [1e8, 1, −1e8] = 8 (and the mean 8/24), as with a float64 accumulator', async () => {
      const v = Array.from({ length: 8 }, () => [1e8, 1, -1e8]).flat();
      expect([...(await read(sum(tensor(v, undefined, { backend: tb.backend, dtype }))))]).to.deep.equal([8]);
      const m = (await read(mean(tensor(v, undefined, { backend: tb.backend, dtype }))))[0];
      expect(Math.abs(m - 1 / 3)).to.be.lessThan(1e-6);
      // Along an axis in both reduction layouts: rows (contiguous reduced dim) and columns.
      const rows = await read(sum(tensor([v, v], undefined, { backend: tb.backend, dtype }), 1));
      expect([...rows]).to.deep.equal([8, 8]);
      const cols = await read(
        sum(
          tensor(
            v.map((x) => [x, x, x, x, x]),
            undefined,
            { backend: tb.backend, dtype },
          ),
          0,
        ),
      );
      expect([...cols]).to.deep.equal([8, 8, 8, 8, 8]);
    });
  });
});

forEachBackendDtype((tb, dtype) => {
  describe('long sums with cancellation: 8000 copies of [1e8, 1, −1e8] (24000 elements)', () => {
    const v = Array.from({ length: 8000 }, () => [1e8, 1, -1e8]).flat();
    it(
      tb.name === 'gpu'
        ? 'gpu: within the documented bound Σ_chunks 2⁻²⁴·|partial| + 2⁻²⁴·|sum| (chunks of ⌈n / ⌈n/1024⌉⌉ elements)'
        : 'exactly 8000 (float64 accumulation)',
      async () => {
        const got = (await read(sum(tensor(v, undefined, { backend: tb.backend, dtype }))))[0];
        if (tb.name !== 'gpu') {
          expect(got).to.equal(8000);
          return;
        }
        const chunks = Math.ceil(v.length / 1024);
        const len = Math.ceil(v.length / chunks);
        let bound = 2 ** -24 * 8000;
        for (let c = 0; c < chunks; c++) bound += 2 ** -24 * Math.abs(v.slice(c * len, (c + 1) * len).reduce((a, b) => a + b, 0));
        expect(Math.abs(got - 8000), `got ${got}, bound ${bound}`).to.be.at.most(bound);
      },
    );
  });
});

forEachBackendDtype((tb, dtype) => {
  describe('nllLoss with −∞ log-probabilities at other classes', () => {
    it('nllLoss(logSoftmax([[big, −big], [1, 2]]), [0, 1]) is finite with gradient −1/B at the labels', async () => {
      const big = BIG[dtype];
      const lp = tensor(
        [
          [0, -Infinity],
          [-Infinity, -0.5],
        ],
        undefined,
        { backend: tb.backend, dtype, requiresGrad: true },
      );
      const loss = nllLoss(lp, [0, 1]);
      expect([...(await read(loss))]).to.deep.equal([0.25]);
      loss.backward();
      expect([...(await read(lp.grad!))]).to.deep.equal([-0.5, 0, 0, -0.5]);
      const x = tensor(
        [
          [big, -big],
          [1, 2],
        ],
        undefined,
        { backend: tb.backend, dtype },
      );
      const l2 = (await read(nllLoss(logSoftmax(x, 1), [0, 1], { reduction: 'sum' })))[0];
      expect(Math.abs(l2 - Math.log(1 + Math.exp(-1)))).to.be.lessThan(1e-6);
    });
  });
});
