// maxPool1d, avgPool1d, globalAvgPool1d and adaptiveAvgPool1d: hand-computed values, equality with the 2-D pools at H = 1 on every backend, float64 gradchecks and bad input.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import type { Pool1dOptions } from '../../kernels/geometry/pool1d.js';
import { avgPool2d, maxPool2d } from '../../ops/pool.js';
import { adaptiveAvgPool1d, avgPool1d, globalAvgPool1d, maxPool1d } from '../../ops/pool1d.js';
import { forEachBackend, testBackends } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

const CASES: { x: number[]; opts: Pool1dOptions }[] = [
  { x: [2, 3, 8], opts: { kernelSize: 2 } },
  { x: [2, 3, 9], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { x: [1, 2, 7], opts: { kernelSize: 3, stride: 1, padding: [2, 0], countIncludePad: false } },
  { x: [3, 1, 10], opts: { kernelSize: 4, stride: 3, padding: 'same' } },
];

describe('ops/pool1d', () => {
  it('hand-computed: x=[1,1,5] k=2 (stride defaults to 2): max [2,4], avg [1.5,3.5]; k=3 p=1 countIncludePad=false', async () => {
    const x = mk([1, 2, 3, 4, 5], [1, 1, 5]);
    expect(Array.from(await read(maxPool1d(x, { kernelSize: 2 })))).to.deep.equal([2, 4]);
    expect(Array.from(await read(avgPool1d(x, { kernelSize: 2 })))).to.deep.equal([1.5, 3.5]);
    // windows [pad,1,2], [2,3,4], [4,5,pad]: divided by 2, 3, 2 in-bounds cells.
    expect(Array.from(await read(avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false })))).to.deep.equal([1.5, 3, 4.5]);
    expect(Array.from(await read(avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1 })))).to.deep.equal([1, 3, 3]);
  });
  it('adaptiveAvgPool1d x=[1,1,5] to 3: PyTorch windows [0,2), [1,4), [3,5)', async () => {
    const y = adaptiveAvgPool1d(mk([1, 2, 3, 4, 5], [1, 1, 5], 'float64'), 3);
    expect(y.shape).to.deep.equal([1, 1, 3]);
    expectClose(await read(y), [1.5, 3, 4.5], 1e-15);
    expect(adaptiveAvgPool1d(mk([1, 2, 3, 4, 5], [1, 1, 5]), 1).shape).to.deep.equal([1, 1, 1]);
  });

  forEachBackend((tb) => {
    const dtypes: DType[] = tb.float64 ? ['float32', 'float64'] : ['float32'];
    for (const dtype of dtypes) {
      for (const c of CASES) {
        it(`max and avg equal the 2-D pools at H = 1, forward and backward: x=[${c.x}] ${JSON.stringify(c.opts)} ${dtype}`, async () => {
          const [B, C, L] = c.x;
          const pad = c.opts.padding;
          const o2 = {
            kernelSize: [1, c.opts.kernelSize] as [number, number],
            stride: [1, c.opts.stride ?? c.opts.kernelSize] as [number, number],
            padding: (typeof pad === 'number' ? [0, 0, pad, pad] : Array.isArray(pad) ? [0, 0, pad[0], pad[1]] : pad) as [number, number, number, number],
            countIncludePad: c.opts.countIncludePad,
          };
          for (const [f1, f2] of [
            [maxPool1d, maxPool2d],
            [avgPool1d, avgPool2d],
          ] as const) {
            const x = rnd(1, c.x, dtype, tb, -1, 1, true);
            const x2 = rnd(1, [B, C, 1, L], dtype, tb, -1, 1, true);
            const y = f1(x, c.opts);
            const y2 = f2(x2, o2);
            expect(y.shape).to.deep.equal([B, C, y2.shape[3]]);
            expect(Array.from(await read(y))).to.deep.equal(Array.from(await read(y2)));
            const dy = rnd(2, y.shape, dtype, tb);
            y.backward(dy);
            y2.backward(mk(await read(dy), y2.shape, dtype, tb));
            expect(Array.from(await read(x.grad!))).to.deep.equal(Array.from(await read(x2.grad!)));
          }
        });
      }
      it(`globalAvgPool1d and adaptiveAvgPool1d against the window means: x=[2,3,11] n=4 ${dtype}`, async () => {
        const x = rnd(3, [2, 3, 11], dtype, tb);
        const xv = await read(x);
        const g = new Float64Array(6);
        const a = new Float64Array(24);
        for (let p = 0; p < 6; p++) {
          for (let l = 0; l < 11; l++) g[p] += xv[p * 11 + l] / 11;
          for (let i = 0; i < 4; i++) {
            const [lo, hi] = [Math.floor((i * 11) / 4), Math.ceil(((i + 1) * 11) / 4)];
            for (let l = lo; l < hi; l++) a[p * 4 + i] += xv[p * 11 + l] / (hi - lo);
          }
        }
        const tol = dtype === 'float32' ? 1e-6 : 1e-14;
        expectClose(await read(globalAvgPool1d(x)), g, tol, 'global');
        expectClose(await read(adaptiveAvgPool1d(x, 4)), a, tol, 'adaptive');
      });
    }
  });

  describe('float64 gradcheck', () => {
    for (const tb of testBackends.filter((t) => t.float64 && t.sync)) {
      for (const c of CASES) {
        it(`backend=${tb.name} maxPool1d and avgPool1d x=[${c.x}] ${JSON.stringify(c.opts)}`, () => {
          checkGrad((x) => maxPool1d(x, c.opts), [c.x], { on: tb });
          checkGrad((x) => avgPool1d(x, c.opts), [c.x], { on: tb });
        });
      }
      it(`backend=${tb.name} globalAvgPool1d and adaptiveAvgPool1d(·, 3) x=[2,3,7]`, () => {
        checkGrad((x) => globalAvgPool1d(x), [[2, 3, 7]], { on: tb });
        checkGrad((x) => adaptiveAvgPool1d(x, 3), [[2, 3, 7]], { on: tb });
      });
    }
  });

  describe('bad input', () => {
    const x = (): ReturnType<typeof rnd> => rnd(1, [2, 3, 6]);
    it('2-D shapes, a missing or pair kernel, padding not smaller than the kernel, a kernel longer than the input', () => {
      expectError(() => maxPool1d(rnd(1, [2, 3, 1, 6]), { kernelSize: 2 }), 'maxPool1d', 'x must be [B, C, L]', '[2,3,1,6]');
      expectError(() => avgPool1d(x(), {} as Pool1dOptions), 'avgPool1d', 'kernelSize is required', '[2,3,6]');
      expectError(() => maxPool1d(x(), { kernelSize: [1, 2] as unknown as number }), 'maxPool1d', 'kernelSize must be one integer for a 1-D op', '[2,3,6]');
      expectError(() => maxPool1d(x(), { kernelSize: 2, padding: 2 }), 'maxPool1d', 'padding [2, 2] must be smaller than the kernel 2', '[2,3,6]');
      expectError(() => avgPool1d(x(), { kernelSize: 7 }), 'avgPool1d', 'kernel 7 is larger than the padded input length 6', '[2,3,6]');
      expectError(() => avgPool1d(x(), { kernelSize: 2, stride: 0 }), 'avgPool1d', 'stride must be >= 1');
      expectError(() => avgPool1d(x(), { kernelSize: 2, countIncludePad: 1 as unknown as boolean }), 'avgPool1d', 'countIncludePad must be a boolean');
    });
    it('global and adaptive: rank, empty length, outputSize', () => {
      expectError(() => globalAvgPool1d(rnd(1, [2, 3])), 'globalAvgPool1d', 'x must be [B, C, L]', '[2,3]');
      expectError(() => globalAvgPool1d(mk([], [2, 3, 0])), 'globalAvgPool1d', 'empty length', '[2,3,0]');
      expectError(() => adaptiveAvgPool1d(x(), 0), 'adaptiveAvgPool1d', 'outputSize must be >= 1');
      expectError(() => adaptiveAvgPool1d(x(), 1.5), 'adaptiveAvgPool1d', 'outputSize must be an integer');
    });
  });
});
