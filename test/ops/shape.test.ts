// Movement ops reshape, permute/transpose, expand, slice, concat, pad, cast, flatten: values, gradchecks, errors.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { Tensor } from '../../core/tensor.js';
import { mul } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';
import { cast, concat, flatten, pad, permute, reshape, slice, transpose } from '../../ops/shape.js';
import { expand } from '../../ops/broadcast.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { arr, naiveConcat, naivePad, naivePermute, naiveSlice } from '../helpers/naive.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

forEachBackendDtype((tb, dtype) => {
  describe('shape ops forward', () => {
    it('reshape [2,3] → [3,-1] keeps row-major order', async () => {
      const y = reshape(mk(iota(6), [2, 3], dtype, tb), [3, -1]);
      expect(y.shape).to.deep.equal([3, 2]);
      expectClose(await read(y), iota(6), 0);
    });
    it('transpose [2,3] = hand-computed; permute [2,3,4] by [2,0,1] matches the naive reference', async () => {
      expectClose(await read(transpose(mk(iota(6), [2, 3], dtype, tb))), [0, 3, 1, 4, 2, 5], 0);
      const x = rnd(4, [2, 3, 4], dtype, tb);
      const want = naivePermute(arr([2, 3, 4], await read(x)), [2, 0, 1])!;
      const y = permute(x, [2, 0, 1]);
      expect(y.shape).to.deep.equal([4, 2, 3]);
      expectClose(await read(y), want.data, 0);
    });
    it('expand [3,1] → [2,3,4]', async () => {
      const y = expand(mk([1, 2, 3], [3, 1], dtype, tb), [2, 3, 4]);
      expect(y.shape).to.deep.equal([2, 3, 4]);
      expectClose(await read(y), [...[1, 2, 3].flatMap((v) => [v, v, v, v]), ...[1, 2, 3].flatMap((v) => [v, v, v, v])], 0);
    });
    it('slice [3,4] begin=[1,1] size=[2,-1] = hand-computed; [2,3,4] matches the naive reference', async () => {
      expectClose(await read(slice(mk(iota(12), [3, 4], dtype, tb), [1, 1], [2, -1])), [5, 6, 7, 9, 10, 11], 0);
      const x = rnd(5, [2, 3, 4], dtype, tb);
      const want = naiveSlice(arr([2, 3, 4], await read(x)), [1, 0, 2], [1, 2, 2])!;
      expectClose(await read(slice(x, [1, 0, 2], [1, 2, 2])), want.data, 0);
    });
    it('concat [2,1] and [2,2] on axis 1 = hand-computed; three inputs on axis -3 match the reference', async () => {
      expectClose(await read(concat([mk([1, 2], [2, 1], dtype, tb), mk([3, 4, 5, 6], [2, 2], dtype, tb)], 1)), [1, 3, 4, 2, 5, 6], 0);
      const xs = [
        [1, 2, 2],
        [2, 2, 2],
        [0, 2, 2],
      ].map((s, i) => rnd(10 + i, s, dtype, tb));
      const want = naiveConcat(await Promise.all(xs.map(async (t) => arr(t.shape, await read(t)))), -3)!;
      const y = concat(xs, -3);
      expect(y.shape).to.deep.equal(want.shape);
      expectClose(await read(y), want.data, 0);
    });
    it('pad [2,2] with [[1,0],[0,2]] value 9', async () => {
      const y = pad(
        mk([1, 2, 3, 4], [2, 2], dtype, tb),
        [
          [1, 0],
          [0, 2],
        ],
        9,
      );
      expect(y.shape).to.deep.equal([3, 4]);
      expectClose(await read(y), [9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9], 0);
      const x = rnd(6, [2, 1, 3], dtype, tb);
      const want = naivePad(
        arr([2, 1, 3], await read(x)),
        [
          [0, 1],
          [2, 0],
          [1, 1],
        ],
        0,
      )!;
      expectClose(
        await read(
          pad(x, [
            [0, 1],
            [2, 0],
            [1, 1],
          ]),
        ),
        want.data,
        0,
      );
    });
    it('flatten [2,3,4] from dim 1 → [2,12]', () => {
      expect(flatten(rnd(1, [2, 3, 4], dtype, tb)).shape).to.deep.equal([2, 12]);
    });
    if (tb.float64 && dtype === 'float64') {
      it('cast float64 [3] → float32 rounds, → float64 copies', async () => {
        const x = mk([0.1, 1 / 3, 2], [3], 'float64', tb);
        const y = cast(x, 'float32');
        expect(y.dtype).to.equal('float32');
        expectClose(await read(y), [Math.fround(0.1), Math.fround(1 / 3), 2], 0);
        const z = cast(y, 'float64');
        expect(z.dtype).to.equal('float64');
        expectClose(await read(z), [Math.fround(0.1), Math.fround(1 / 3), 2], 0);
      });
      it('the gradient through cast float32 [2] → float64 comes back as float32', async () => {
        const x = mk([1, 2], [2], 'float32', tb, true);
        sum(mul(cast(x, 'float64'), 3)).backward();
        expect(x.grad!.dtype).to.equal('float32');
        expectClose(await read(x.grad!), [3, 3], 0);
      });
    }
  });

  describe('shape ops bad input', () => {
    const x = (): Tensor => mk(iota(6), [2, 3], dtype, tb);
    it('reshape to a different size, two -1s, negative or NaN sizes', () => {
      expectError(() => reshape(x(), [4, 2]), 'reshape', '[2,3]', '[4,2]');
      expectError(() => reshape(x(), [-1, -1]), 'reshape', '[-1,-1]');
      expectError(() => reshape(x(), [-2, -3]), 'reshape', '-2');
      expectError(() => reshape(x(), [NaN, 6]), 'reshape', 'NaN');
    });
    it('permute/transpose with a bad perm or dims', () => {
      expectError(() => permute(x(), [0, 0]), 'permute', '[0,0]', '[2,3]');
      expectError(() => permute(x(), [0]), 'permute', '[2,3]');
      expectError(() => transpose(x(), 0, 2), 'transpose', '[2,3]');
      expectError(() => transpose(x(), 0.5, 1), 'transpose', 'dim0', '0.5');
    });
    it('expand to an incompatible, negative or NaN shape', () => {
      expectError(() => expand(x(), [2, 4]), 'expand', '[2,3]', '[2,4]');
      expectError(() => expand(x(), [3]), 'expand', '[2,3]', '[3]');
      expectError(() => expand(mk([1], [1], dtype, tb), [-1]), 'expand', '[-1]');
      expectError(() => expand(mk([1], [1], dtype, tb), [NaN]), 'expand', '[NaN]');
    });
    it('slice out of bounds, wrong rank or fractional', () => {
      expectError(() => slice(x(), [0, 2], [1, 2]), 'slice', 'size[1]');
      expectError(() => slice(x(), [0], [1]), 'slice', '[2,3]');
      expectError(() => slice(x(), [0, 1.5], [1, 1]), 'slice', 'begin[1]', '1.5');
    });
    it('concat with mismatched shapes, mixed dtypes or a bad axis', () => {
      expectError(() => concat([x(), mk(iota(6), [3, 2], dtype, tb)], 1), 'concat', '[3,2]', '[2,3]');
      expectError(() => concat([x(), x()], 2), 'concat', 'axis');
      expectError(() => concat([], 0), 'concat', 'non-empty');
      if (tb.float64 && dtype === 'float64')
        expectError(() => concat([mk([1], [1], 'float32', tb), mk([1], [1], 'float64', tb)]), 'concat', 'float32', 'float64');
    });
    it('pad with the wrong number of pairs, malformed pairs or negative/NaN widths', () => {
      expectError(() => pad(x(), [[1, 1]]), 'pad', '[2,3]');
      expectError(() => pad(x(), [1, 2] as never), 'pad', 'pads[0]', '[2,3]');
      expectError(
        () =>
          pad(x(), [
            [0, -1],
            [0, 0],
          ]),
        'pad',
        'pads[0][1]',
      );
      expectError(
        () =>
          pad(x(), [
            [0, 0],
            [NaN, 0],
          ]),
        'pad',
        'pads[1][0]',
      );
      expectError(
        () =>
          pad(
            x(),
            [
              [0, 0],
              [0, 0],
            ],
            NaN,
          ),
        'pad',
        'value',
      );
    });
    it('cast to an unknown dtype; flatten from a bad dim', () => {
      expectError(() => cast(x(), 'int8' as never), 'cast', 'int8');
      expectError(() => flatten(x(), 5), 'flatten', 'startDim');
    });
  });

  if (dtype === 'float64' && tb.sync) {
    describe('shape ops gradcheck (float64)', () => {
      // A non-uniform weighting after each op makes every output position matter.
      const w = (t: Tensor): Tensor => mul(t, t);
      it('reshape [2,3,4] → [4,-1]', () => checkGrad((t) => w(reshape(t, [4, -1])), [[2, 3, 4]], { on: tb }));
      it('transpose [2,3,4] dims 0,2 and permute [2,0,1]', () => {
        checkGrad((t) => w(transpose(t, 0, 2)), [[2, 3, 4]], { on: tb });
        checkGrad((t) => w(permute(t, [2, 0, 1])), [[2, 3, 4]], { on: tb });
      });
      it('expand [3,1] → [2,3,4]', () => checkGrad((t) => w(expand(t, [2, 3, 4])), [[3, 1]], { on: tb }));
      it('slice [3,4,5] begin=[1,0,2] size=[2,-1,2]', () => checkGrad((t) => w(slice(t, [1, 0, 2], [2, -1, 2])), [[3, 4, 5]], { on: tb }));
      it('concat [2,1,3] [2,2,3] axis 1', () =>
        checkGrad(
          (a, b) => w(concat([a, b], 1)),
          [
            [2, 1, 3],
            [2, 2, 3],
          ],
          { on: tb },
        ));
      it('pad [2,3] [[1,2],[0,1]]', () =>
        checkGrad(
          (t) =>
            w(
              pad(
                t,
                [
                  [1, 2],
                  [0, 1],
                ],
                0.5,
              ),
            ),
          [[2, 3]],
          { on: tb },
        ));
      it('cast float64 → float64 and flatten [2,3,4]', () => {
        checkGrad((t) => w(cast(t, 'float64')), [[2, 3]], { on: tb });
        checkGrad((t) => w(flatten(t)), [[2, 3, 4]], { on: tb });
      });
    });
  }
});
