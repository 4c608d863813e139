// NaN in, NaN out on every backend: activations, maximum/minimum in either order, max/min reductions and max pooling.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import { clamp, maximum, minimum, sign, unary } from '../../ops/arithmetic.js';
import { relu, relu6 } from '../../ops/activations.js';
import { max, min } from '../../ops/reduce.js';
import { maxPool2d } from '../../ops/pool.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { read } from '../helpers/tensors.js';

/** Nine values (two SIMD vectors and a tail) with NaN at positions 1 and 8. */
const WITH_NAN = [-2, NaN, 0, 3, 7, -0.5, 5, 1, NaN];
const isNaNAt = (a: ArrayLike<number>, idx: readonly number[]): boolean[] => idx.map((i) => Number.isNaN(a[i]));

forEachBackendDtype((tb, dtype) => {
  const t = (v: number[], shape?: number[]): Tensor => tensor(v, shape, { backend: tb.backend, dtype });

  describe('NaN propagation', () => {
    it('relu, relu6, sign, clamp of [-2, NaN, 0, 3, 7, -0.5, 5, 1, NaN]: NaN at 1 and 8, the rest unchanged', async () => {
      const x = t(WITH_NAN);
      const want: Record<string, number[]> = {
        relu: [0, NaN, 0, 3, 7, 0, 5, 1, NaN],
        relu6: [0, NaN, 0, 3, 6, 0, 5, 1, NaN],
        sign: [-1, NaN, 0, 1, 1, -1, 1, 1, NaN],
        clamp: [-1, NaN, 0, 2, 2, -0.5, 2, 1, NaN],
      };
      const got: Record<string, Tensor> = { relu: relu(x), relu6: relu6(x), sign: sign(x), clamp: clamp(x, -1, 2) };
      for (const [name, y] of Object.entries(got)) {
        const v = [...(await read(y))];
        expect(
          v.map((u) => (Number.isNaN(u) ? 'NaN' : u + 0)),
          name,
        ).to.deep.equal(want[name].map((u) => (Number.isNaN(u) ? 'NaN' : u)));
      }
      expect(isNaNAt(await read(unary(x, { name: 'abs' })), [1, 8])).to.deep.equal([true, true]);
    });

    it('maximum/minimum with NaN on either side give NaN: same shape, and broadcast against a scalar both ways', async () => {
      const a = t(WITH_NAN);
      const b = t([0, 0, NaN, 0, 0, 0, 0, NaN, 0]);
      for (const f of [maximum, minimum]) {
        for (const y of [f(a, b), f(b, a)]) {
          const v = await read(y);
          expect(isNaNAt(v, [0, 1, 2, 3, 7, 8]), f.name).to.deep.equal([false, true, true, false, true, true]);
        }
        const zero = t([0]);
        expect(isNaNAt(await read(f(a, zero)), [0, 1, 8])).to.deep.equal([false, true, true]);
        expect(isNaNAt(await read(f(zero, a)), [0, 1, 8])).to.deep.equal([false, true, true]);
        expect(isNaNAt(await read(f(a, 0)), [1, 8])).to.deep.equal([true, true]);
      }
      expect([...(await read(maximum(t([NaN]), 0)))].map(Number.isNaN)).to.deep.equal([true]);
      expect([...(await read(maximum(0, t([NaN]))))].map(Number.isNaN)).to.deep.equal([true]);
    });

    it('max/min over an axis containing NaN are NaN, both reduction layouts', async () => {
      const x = t([1, NaN, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 6]);
      expect(isNaNAt(await read(max(x, 1)), [0, 1])).to.deep.equal([true, false]);
      expect(isNaNAt(await read(min(x, 1)), [0, 1])).to.deep.equal([true, false]);
      expect(isNaNAt(await read(max(x, 0)), [0, 1, 2])).to.deep.equal([false, true, false]);
      expect(isNaNAt(await read(min(x, 0)), [0, 1, 2])).to.deep.equal([false, true, false]);
    });

    it('maxPool2d: a window holding NaN gives NaN wherever the NaN sits (2×2/2 fast path x=[1,1,4,8] and 3×3/1)', async () => {
      const v = Array.from({ length: 32 }, (_, i) => i);
      v[0] = NaN; // first cell of window 0
      v[11] = NaN; // second row, last cell of window (0, 1)
      const x = t(v, [1, 1, 4, 8]);
      const y = await read(maxPool2d(x, { kernelSize: 2 }));
      expect(isNaNAt(y, [0, 1, 2, 3, 4])).to.deep.equal([true, true, false, false, false]);
      const y3 = await read(maxPool2d(x, { kernelSize: 3, stride: 1 }));
      // Windows (0, ox) for ox 0..5 cover rows 0-2: NaN at column 0 (ox 0) and column 3 (ox 1..3).
      expect(isNaNAt(y3, [0, 1, 2, 3, 4, 5])).to.deep.equal([true, true, true, true, false, false]);
    });
  });
});
