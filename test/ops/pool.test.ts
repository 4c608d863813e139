// Pooling: max, average (with/without counted padding) and global average, against hand-computed and naive references.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { Tensor } from '../../core/tensor.js';
import type { Pool2dOptions } from '../../kernels/geometry/pool.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../ops/pool.js';
import { sum } from '../../ops/broadcast.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { tfSamePads } from '../helpers/naive_conv.js';
import { arr, naiveReduce } from '../helpers/naive.js';
import { naivePool } from '../helpers/naive_nn.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** [x shape, options, explicit [top, bottom, left, right] padding for the reference]. */
const CASES: [number[], Pool2dOptions, [number, number, number, number]][] = [
  [[2, 3, 4, 4], { kernelSize: 2 }, [0, 0, 0, 0]],
  [[1, 2, 5, 5], { kernelSize: 3, stride: 2, padding: 1 }, [1, 1, 1, 1]],
  [[1, 2, 5, 6], { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0] }, [1, 1, 0, 0]],
  [[2, 1, 7, 5], { kernelSize: 3, stride: 2, padding: 'same' }, [...tfSamePads(7, 3, 2, 1), ...tfSamePads(5, 3, 2, 1)] as [number, number, number, number]],
  [[1, 1, 6, 6], { kernelSize: 4, stride: 1, padding: [1, 2, 3, 0] }, [1, 2, 3, 0]],
  [[1, 2, 3, 3], { kernelSize: 3, padding: 'valid' }, [0, 0, 0, 0]],
];

const tag = (s: number[], o: Pool2dOptions): string =>
  `x=${JSON.stringify(s)} k=${JSON.stringify(o.kernelSize)} s=${JSON.stringify(o.stride ?? o.kernelSize)} p=${JSON.stringify(o.padding ?? 0)}`;

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;

  describe('pooling forward', () => {
    it('maxPool2d x=[1,1,4,4] k=2 and avgPool2d k=2 = hand-computed', async () => {
      const x = mk(iota(16), [1, 1, 4, 4], dtype, tb);
      const m = maxPool2d(x, { kernelSize: 2 });
      expect(m.shape).to.deep.equal([1, 1, 2, 2]);
      expectClose(await read(m), [5, 7, 13, 15], 0);
      expectClose(await read(avgPool2d(x, { kernelSize: 2 })), [2.5, 4.5, 10.5, 12.5], 0);
    });
    it('avgPool2d x=[1,1,3,3] of ones k=3 s=1 p=1: countIncludePad divides by 9, else by the in-bounds count', async () => {
      const x = mk(new Array(9).fill(1), [1, 1, 3, 3], dtype, tb);
      expectClose(
        await read(avgPool2d(x, { kernelSize: 3, stride: 1, padding: 1 })),
        [4, 6, 4, 6, 9, 6, 4, 6, 4].map((v) => v / 9),
        tol,
      );
      expectClose(await read(avgPool2d(x, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false })), new Array(9).fill(1), tol);
    });
    it('maxPool2d: padded cells never win over negative inputs x=[1,1,2,2] k=2 s=1 p=1', async () => {
      expectClose(
        await read(maxPool2d(mk([-1, -2, -3, -4], [1, 1, 2, 2], dtype, tb), { kernelSize: 2, stride: 1, padding: 1 })),
        [-1, -1, -2, -1, -1, -2, -3, -3, -4],
        0,
      );
    });
    for (const [shape, opts, pads] of CASES) {
      for (const mode of ['max', 'avg'] as const) {
        for (const countIncludePad of mode === 'avg' ? [true, false] : [true]) {
          it(`${mode}Pool2d ${tag(shape, opts)}${mode === 'avg' ? ` countIncludePad=${countIncludePad}` : ''} matches the naive reference`, async () => {
            const x = rnd(9, shape, dtype, tb);
            const o = { kernelSize: opts.kernelSize, stride: opts.stride ?? opts.kernelSize };
            const k = (typeof o.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] : o.kernelSize) as [number, number];
            const s = (typeof o.stride === 'number' ? [o.stride, o.stride] : o.stride) as [number, number];
            const want = naivePool(arr(shape, await read(x)), { k, stride: s, pad: pads, mode, countIncludePad })!;
            const y = mode === 'max' ? maxPool2d(x, opts) : avgPool2d(x, { ...opts, countIncludePad });
            expect(y.shape).to.deep.equal(want.shape);
            expectClose(await read(y), want.data, tol);
          });
        }
      }
    }
    it('globalAvgPool2d x=[2,3,4,5] → [2,3] spatial means; empty batch [0,3,2,2] → [0,3]', async () => {
      const x = rnd(3, [2, 3, 4, 5], dtype, tb);
      const y = globalAvgPool2d(x);
      expect(y.shape).to.deep.equal([2, 3]);
      expectClose(await read(y), naiveReduce(arr([2, 3, 4, 5], await read(x)), [2, 3], false, 'mean')!.data, tol);
      expect(globalAvgPool2d(mk([], [0, 3, 2, 2], dtype, tb)).shape).to.deep.equal([0, 3]);
    });
  });

  describe('pooling bad input', () => {
    const x = (): Tensor => rnd(1, [1, 2, 4, 4], dtype, tb);
    it('x of rank 3 [2,4,4], and globalAvgPool2d of rank 3 or empty spatial extent', () => {
      expectError(() => maxPool2d(rnd(1, [2, 4, 4], dtype, tb), { kernelSize: 2 }), 'maxPool2d', '[2,4,4]');
      expectError(() => avgPool2d(rnd(1, [2, 4, 4], dtype, tb), { kernelSize: 2 }), 'avgPool2d', '[2,4,4]');
      expectError(() => globalAvgPool2d(rnd(1, [2, 4, 4], dtype, tb)), 'globalAvgPool2d', '[2,4,4]');
      expectError(() => globalAvgPool2d(mk([], [1, 2, 0, 3], dtype, tb)), 'globalAvgPool2d', '[1,2,0,3]');
      expectError(() => maxPool2d(mk([], [1, 1, 0, 3], dtype, tb), { kernelSize: 2, padding: 1 }), 'maxPool2d', 'empty', '[1,1,0,3]');
      expectError(() => avgPool2d(mk([], [1, 1, 3, 0], dtype, tb), { kernelSize: 2, padding: 1 }), 'avgPool2d', 'empty', '[1,1,3,0]');
    });
    it('missing, zero, negative, NaN or fractional kernel sizes and strides name the argument and x', () => {
      expectError(() => maxPool2d(x(), undefined as never), 'maxPool2d', 'kernelSize', '[1,2,4,4]');
      expectError(() => maxPool2d(x(), {} as never), 'maxPool2d', 'kernelSize', '[1,2,4,4]');
      expectError(() => maxPool2d(x(), { kernelSize: 0 }), 'maxPool2d', 'kernelSize', '[1,2,4,4]');
      expectError(() => avgPool2d(x(), { kernelSize: NaN }), 'avgPool2d', 'kernelSize', 'NaN', '[1,2,4,4]');
      expectError(() => avgPool2d(x(), { kernelSize: [2, 1.5] }), 'avgPool2d', 'kernelSize[1]', '[1,2,4,4]');
      expectError(() => maxPool2d(x(), { kernelSize: 2, stride: -1 }), 'maxPool2d', 'stride', '[1,2,4,4]');
      expectError(() => maxPool2d(x(), { kernelSize: 2, stride: 0 }), 'maxPool2d', 'stride', '[1,2,4,4]');
    });
    it('padding >= kernel, negative padding, a window larger than x, a non-boolean countIncludePad', () => {
      expectError(() => maxPool2d(x(), { kernelSize: 2, padding: 2 }), 'maxPool2d', 'padding', '[1,2,4,4]');
      expectError(() => maxPool2d(x(), { kernelSize: 2, padding: -1 }), 'maxPool2d', 'padding', '[1,2,4,4]');
      expectError(() => avgPool2d(x(), { kernelSize: 5 }), 'avgPool2d', 'height', '[1,2,4,4]');
      expectError(() => avgPool2d(x(), { kernelSize: 2, countIncludePad: 'yes' as never }), 'avgPool2d', 'countIncludePad', '[1,2,4,4]');
    });
  });

  if (dtype === 'float64' && tb.sync) {
    describe('pooling gradcheck (float64)', () => {
      for (const [shape, opts] of CASES) {
        it(`maxPool2d ${tag(shape, opts)}`, () => checkGrad((t) => maxPool2d(t, opts), [shape], { on: tb }));
        for (const countIncludePad of [true, false]) {
          it(`avgPool2d ${tag(shape, opts)} countIncludePad=${countIncludePad}`, () =>
            checkGrad((t) => avgPool2d(t, { ...opts, countIncludePad }), [shape], { on: tb }));
        }
      }
      it('globalAvgPool2d x=[2,3,4,5]', () => checkGrad(globalAvgPool2d, [[2, 3, 4, 5]], { on: tb }));
      it('maxPool2d routes a tied window [[1,1],[1,0]] to its first maximum', async () => {
        const x = mk([1, 1, 1, 0], [1, 1, 2, 2], 'float64', tb, true);
        sum(maxPool2d(x, { kernelSize: 2 })).backward();
        expectClose(await read(x.grad!), [1, 0, 0, 0], 0);
      });
    });
  }
});
