// backward() frees each intermediate gradient once it is used: only the leaves' .grad stay, on every backend; the seed, shared gradients and accumulation keep working.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import { add, mul } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';
import { exp } from '../../ops/arithmetic.js';
import { forEachBackend } from '../helpers/backends.js';
import { read } from '../helpers/tensors.js';

forEachBackend((tb) => {
  const on = { backend: tb.backend };
  const live = (): number | null => tb.backend.memory().liveBuffers;

  describe('backward frees intermediate gradients', () => {
    it('after backward the only new live buffers are the two leaves’ grads; the grads are right', async function () {
      if (live() === null) this.skip(); // GC-managed storage: nothing to count
      const x = tensor([0.5, -1, 2], undefined, { ...on, requiresGrad: true });
      const w = tensor([1, 0.25, -0.5], undefined, { ...on, requiresGrad: true });
      // a = x·w, b = a², loss = Σ exp(b + a): seven ops, every gradient between them made and dropped.
      const a = mul(x, w);
      const b = mul(a, a);
      const loss = sum(exp(add(b, a)));
      const before = live()!;
      loss.backward();
      expect(live()! - before).to.equal(2);
      // d loss / d a = exp(a² + a)·(2a + 1); dx = that·w, dw = that·x.
      const xs = [0.5, -1, 2],
        ws = [1, 0.25, -0.5];
      const da = xs.map((xi, i) => {
        const ai = xi * ws[i];
        return Math.exp(ai * ai + ai) * (2 * ai + 1);
      });
      const close = (got: ArrayLike<number>, want: number[]): void => want.forEach((v, i) => expect(got[i]).to.be.closeTo(v, 1e-5 * Math.max(1, Math.abs(v))));
      close(
        await read(x.grad!),
        da.map((d, i) => d * ws[i]),
      );
      close(
        await read(w.grad!),
        da.map((d, i) => d * xs[i]),
      );
      for (const t of [x, w, a, b, loss]) t.dispose();
    });

    it('a user seed given for several inputs survives, and each leaf gets its own copy', async () => {
      const x = tensor([1, 2], undefined, { ...on, requiresGrad: true });
      const y = tensor([3, 4], undefined, { ...on, requiresGrad: true });
      const seed = tensor([5, 7], undefined, on);
      const z = add(x, y); // backward returns the seed itself for both inputs
      z.backward(seed);
      expect([...(await read(seed))]).to.deep.equal([5, 7]);
      expect([...(await read(x.grad!))]).to.deep.equal([5, 7]);
      expect([...(await read(y.grad!))]).to.deep.equal([5, 7]);
      expect(x.grad).to.not.equal(y.grad);
      expect(x.grad).to.not.equal(seed);
      for (const t of [x, y, seed, z]) t.dispose();
    });

    it('one tensor used twice by one op and by two ops, backward run twice: grads sum and accumulate right', async () => {
      const x = tensor([1, -2, 3], undefined, { ...on, requiresGrad: true });
      const d = add(x, x); // one gradient object for both inputs of one op
      const e = mul(d, x); // 2x², x reached again
      const loss = sum(add(e, d)); // 2x² + 2x: dloss/dx = 4x + 2
      loss.backward();
      expect([...(await read(x.grad!))]).to.deep.equal([6, -6, 14]);
      loss.backward(); // the tape is kept: the forward tensors were not freed
      expect([...(await read(x.grad!))]).to.deep.equal([12, -12, 28]);
      for (const t of [x, d, e, loss]) t.dispose();
    });
  });
});
