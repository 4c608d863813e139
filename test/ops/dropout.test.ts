// Dropout: seeded, reproducible inverted masks, identity in eval, gradient through the mask, bad p.

import '../../kernels/register.js';
import { expect } from 'chai';
import { manualSeed, Rng } from '../../core/random.js';
import { dropout } from '../../ops/dropout.js';
import { sum } from '../../ops/broadcast.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

/** The expected mask: one Rng draw per element in row-major order, dropped when below p. */
function mask(rng: Rng, n: number, p: number): number[] {
  return Array.from({ length: n }, () => (rng.next() < p ? 0 : 1 / (1 - p)));
}

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-15 : 1e-6;

  describe('dropout', () => {
    it('x=[4,5] p=0.3 seed=11 zeroes exactly the elements the Rng stream drops and scales the rest by 1/0.7', async () => {
      const x = rnd(1, [4, 5], dtype, tb, 1, 2);
      const xv = await read(x);
      const m = mask(new Rng(11), 20, 0.3);
      const y = dropout(x, 0.3, { seed: 11 });
      expect(y.shape).to.deep.equal([4, 5]);
      expectClose(
        await read(y),
        Array.from(xv, (v, i) => v * m[i]),
        tol,
      );
      expectClose(await read(dropout(x, 0.3, { seed: 11 })), await read(y), 0);
      expect(Array.from(await read(dropout(x, 0.3, { seed: 12 })))).to.not.deep.equal(Array.from(await read(y)));
    });

    it('draws from a given rng and from the global generator after manualSeed', async () => {
      const x = mk(new Array(8).fill(1), [8], dtype, tb);
      const rng = new Rng(5);
      const first = await read(dropout(x, 0.5, { rng }));
      const second = await read(dropout(x, 0.5, { rng }));
      const ref = new Rng(5);
      expectClose(first, mask(ref, 8, 0.5), tol);
      expectClose(second, mask(ref, 8, 0.5), tol);
      manualSeed(77);
      const g = await read(dropout(x, 0.25));
      expectClose(g, mask(new Rng(77), 8, 0.25), tol);
    });

    it('keeps about 1 − p of x=[10000] with p=0.2 and preserves the mean', async () => {
      const y = await read(dropout(mk(new Array(10000).fill(1), [10000], dtype, tb), 0.2, { seed: 3 }));
      const kept = y.filter((v) => v !== 0).length;
      expect(kept).to.be.within(7800, 8200);
      expect(y.reduce((s, v) => s + v, 0) / 10000).to.be.within(0.97, 1.03);
    });

    it('is the identity (the same tensor) in eval and for p = 0', () => {
      const x = rnd(1, [3, 3], dtype, tb);
      expect(dropout(x, 0.5, { training: false })).to.equal(x);
      expect(dropout(x, 0, { seed: 1 })).to.equal(x);
    });

    it('rejects p outside [0, 1), NaN p, non-boolean training and NaN seeds, naming x', () => {
      const x = rnd(1, [2, 3], dtype, tb);
      expectError(() => dropout(x, 1), 'dropout', 'p', '[2,3]');
      expectError(() => dropout(x, -0.1), 'dropout', 'p', '[2,3]');
      expectError(() => dropout(x, NaN), 'dropout', 'NaN', '[2,3]');
      expectError(() => dropout(x, '0.5' as never), 'dropout', 'p', '[2,3]');
      expectError(() => dropout(x, 0.5, { training: 'yes' as never }), 'dropout', 'training');
      expectError(() => dropout(x, 0.5, { seed: NaN }), 'dropout', 'seed');
      expectError(() => dropout(null as never, 0.5), 'dropout', 'x must be a Tensor');
    });

    if (dtype === 'float64' && tb.sync) {
      it('gradient x=[3,4] p=0.4 seed=2 is the mask (gradcheck, and exact values)', async () => {
        checkGrad((t) => dropout(t, 0.4, { seed: 2 }), [[3, 4]], { on: tb });
        const x = rnd(4, [3, 4], 'float64', tb, -1, 1, true);
        sum(dropout(x, 0.4, { seed: 2 })).backward();
        expectClose(await read(x.grad!), mask(new Rng(2), 12, 0.4), 1e-15);
      });
    }
  });
});
