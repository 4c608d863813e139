// conv1d, depthwiseConv1d and conv1dPerSample ops: hand-computed forwards, naive-loop agreement, bitwise equality with conv2d at H = 1, float64 gradchecks and bad input.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { Conv1dOptions } from '../../kernels/geometry/conv1d.js';
import type { Conv2dOptions } from '../../kernels/geometry/conv.js';
import { conv2d, conv2dPerSample, depthwiseConv2d } from '../../ops/conv.js';
import { conv1d, conv1dPerSample, depthwiseConv1d } from '../../ops/conv1d.js';
import { forEachBackend, testBackends } from '../helpers/backends.js';
import { naiveConv1d, naivePads } from '../helpers/cond1d.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

interface Case {
  x: number[];
  w: number[];
  opts: Conv1dOptions;
  bias: boolean;
  dw?: boolean;
}
const CASES: Case[] = [
  { x: [2, 4, 9], w: [3, 4, 3], opts: { stride: 2, padding: 1 }, bias: true },
  { x: [2, 2, 11], w: [3, 2, 3], opts: { dilation: 2, padding: 2 }, bias: true },
  { x: [2, 4, 7], w: [6, 2, 3], opts: { groups: 2, padding: [2, 0] }, bias: true },
  { x: [2, 3, 8], w: [2, 3, 2], opts: { padding: 'same' }, bias: true },
  { x: [1, 3, 10], w: [2, 3, 4], opts: { padding: 'same', stride: 3, dilation: 2 }, bias: false },
  { x: [2, 3, 7], w: [6, 1, 3], opts: { padding: 1 }, bias: true, dw: true },
  { x: [2, 2, 12], w: [4, 1, 5], opts: { stride: 2, dilation: 2, padding: [1, 3] }, bias: false, dw: true },
  { x: [2, 3, 6], w: [4, 3, 3], opts: { padding: 'valid' }, bias: false },
  { x: [3, 5, 6], w: [4, 5, 1], opts: {}, bias: true },
];

const caseLabel = (c: Case): string => `x=[${c.x}] w=[${c.w}] ${JSON.stringify(c.opts)}${c.dw ? ' depthwise' : ''}${c.bias ? ' bias' : ' no bias'}`;

const run1d = (c: Case, x: Tensor, w: Tensor, b: Tensor | null): Tensor => (c.dw ? depthwiseConv1d(x, w, b, c.opts) : conv1d(x, w, b, c.opts));

/** The same conv as a 2-D one on a 1×L image: stride [1, s], dilation [1, d], padding [0, 0, left, right]. */
function opts2d(c: Case): Conv2dOptions {
  const [l, r] = naivePads(c.x[2], c.w[2], c.opts);
  const o: Conv2dOptions = { stride: [1, c.opts.stride ?? 1], dilation: [1, c.opts.dilation ?? 1], padding: [0, 0, l, r] };
  return c.dw ? o : { ...o, groups: c.opts.groups ?? 1 };
}

describe('ops/conv1d', () => {
  describe('hand-computed forward', () => {
    it('x=[1,1,5] w=[1,1,2] valid: y[t] = x[t] - x[t+1] = -1', async () => {
      const y = conv1d(mk([1, 2, 3, 4, 5], [1, 1, 5]), mk([1, -1], [1, 1, 2]));
      expect(y.shape).to.deep.equal([1, 1, 4]);
      expect(Array.from(await read(y))).to.deep.equal([-1, -1, -1, -1]);
    });
    it("x=[1,1,5] w=[1,1,2] s=2 p='same' bias=10: out = ceil(5/2) = 3, the odd pad on the right", async () => {
      // total pad = (3-1)*2 + 2 - 5 = 1 → [0, 1]: windows (x0,x1), (x2,x3), (x4,0).
      const y = conv1d(mk([1, 2, 3, 4, 5], [1, 1, 5]), mk([1, 10], [1, 1, 2]), mk([10], [1]), { stride: 2, padding: 'same' });
      expect(Array.from(await read(y))).to.deep.equal([31, 53, 15]);
    });
    it('x=[1,1,5] w=[1,1,2] d=3 p=[1,0]: y[t] = x[t-1] + 2·x[t+2]', async () => {
      const y = conv1d(mk([1, 2, 3, 4, 5], [1, 1, 5]), mk([1, 2], [1, 1, 2]), null, { dilation: 3, padding: [1, 0] });
      expect(Array.from(await read(y))).to.deep.equal([0 + 2 * 3, 1 + 2 * 4, 2 + 2 * 5]);
    });
    it('depthwise x=[1,2,3] w=[4,1,1] multiplier 2: out channel 2c + j = w[2c + j]·x[c]', async () => {
      const y = depthwiseConv1d(mk([1, 2, 3, 4, 5, 6], [1, 2, 3]), mk([2, -1, 3, 10], [4, 1, 1]));
      expect(y.shape).to.deep.equal([1, 4, 3]);
      expect(Array.from(await read(y))).to.deep.equal([2, 4, 6, -1, -2, -3, 12, 15, 18, 40, 50, 60]);
    });
  });

  forEachBackend((tb) => {
    const dtypes: DType[] = tb.float64 ? ['float32', 'float64'] : ['float32'];
    for (const dtype of dtypes) {
      for (const c of CASES) {
        it(`against the naive loop: ${caseLabel(c)} ${dtype}`, async () => {
          const x = rnd(1, c.x, dtype, tb);
          const w = rnd(2, c.w, dtype, tb);
          const b = c.bias ? rnd(3, [c.w[0]], dtype, tb) : null;
          const opts = c.dw ? { ...c.opts, groups: c.x[1] } : c.opts;
          const want = naiveConv1d(await read(x), await read(w), c.x, c.w, opts);
          if (b) {
            const bv = await read(b);
            const outL = want.length / (c.x[0] * c.w[0]);
            want.forEach((v, i) => {
              want[i] = v + bv[Math.floor(i / outL) % c.w[0]];
            });
          }
          const y = run1d(c, x, w, b);
          expect(y.shape).to.deep.equal([c.x[0], c.w[0], want.length / (c.x[0] * c.w[0])]);
          expectClose(await read(y), want, dtype === 'float32' ? 1e-5 : 1e-12);
        });
        it(`equals conv2d at H = 1 exactly, forward and backward: ${caseLabel(c)} ${dtype}`, async () => {
          const x = rnd(1, c.x, dtype, tb, -1, 1, true);
          const w = rnd(2, c.w, dtype, tb, -1, 1, true);
          const b = c.bias ? rnd(3, [c.w[0]], dtype, tb, -1, 1, true) : null;
          const x2 = rnd(1, [c.x[0], c.x[1], 1, c.x[2]], dtype, tb, -1, 1, true);
          const w2 = rnd(2, [c.w[0], c.w[1], 1, c.w[2]], dtype, tb, -1, 1, true);
          const b2 = c.bias ? rnd(3, [c.w[0]], dtype, tb, -1, 1, true) : null;
          const y = run1d(c, x, w, b);
          const y2 = c.dw ? depthwiseConv2d(x2, w2, b2, opts2d(c)) : conv2d(x2, w2, b2, opts2d(c));
          expect(Array.from(await read(y))).to.deep.equal(Array.from(await read(y2)));
          const dy = rnd(4, y.shape, dtype, tb);
          y.backward(dy);
          y2.backward(mk(await read(dy), y2.shape, dtype, tb));
          expect(Array.from(await read(x.grad!)), 'dx').to.deep.equal(Array.from(await read(x2.grad!)));
          expect(Array.from(await read(w.grad!)), 'dw').to.deep.equal(Array.from(await read(w2.grad!)));
          if (b) expect(Array.from(await read(b.grad!)), 'dbias').to.deep.equal(Array.from(await read(b2!.grad!)));
        });
      }
      it(`conv1dPerSample x=[3,4,9] w=[3,6,2,3] g=2 s=2 p=same against the naive loop and conv2dPerSample, ${dtype}`, async () => {
        const opts: Conv1dOptions = { groups: 2, stride: 2, padding: 'same' };
        const x = rnd(4, [3, 4, 9], dtype, tb);
        const w = rnd(5, [3, 6, 2, 3], dtype, tb);
        const want = naiveConv1d(await read(x), await read(w), x.shape, w.shape, opts, true);
        const y = conv1dPerSample(x, w, opts);
        expectClose(await read(y), want, dtype === 'float32' ? 1e-5 : 1e-12);
        const y2 = conv2dPerSample(mk(await read(x), [3, 4, 1, 9], dtype, tb), mk(await read(w), [3, 6, 2, 1, 3], dtype, tb), {
          groups: 2,
          stride: [1, 2],
          padding: 'same',
        });
        expect(Array.from(await read(y))).to.deep.equal(Array.from(await read(y2)));
      });
    }
  });

  describe('float64 gradcheck (x, weight, bias) on every float64 backend', () => {
    for (const tb of testBackends.filter((t) => t.float64 && t.sync)) {
      for (const c of CASES) {
        it(`backend=${tb.name} ${caseLabel(c)}`, () => {
          const shapes = c.bias ? [c.x, c.w, [c.w[0]]] : [c.x, c.w];
          checkGrad((x, w, b) => run1d(c, x, w, b ?? null), shapes, { seed: 11, on: tb });
        });
      }
      it(`backend=${tb.name} conv1dPerSample x=[2,4,9] w=[2,4,2,3] g=2 d=2 p=2: x and per-sample weights`, () => {
        checkGrad(
          (x, w) => conv1dPerSample(x, w, { groups: 2, dilation: 2, padding: 2 }),
          [
            [2, 4, 9],
            [2, 4, 2, 3],
          ],
          { on: tb },
        );
      });
    }
    it("conv1dPerSample's weight gradient is per sample, not summed: x=[2,1,4] w=[2,1,1,2]", () => {
      const x = rnd(1, [2, 1, 4], 'float64', undefined, -1, 1, true);
      const w = rnd(2, [2, 1, 1, 2], 'float64', undefined, -1, 1, true);
      const y = conv1dPerSample(x, w);
      y.backward(mk(new Float64Array(y.size).fill(1), y.shape, 'float64'));
      const xv = x.dataSync();
      // dW_b[j] = Σ_t x_b[t + j] with dy = 1 (outL = 3).
      const want = new Float64Array(4);
      for (let b = 0; b < 2; b++) for (let j = 0; j < 2; j++) for (let t = 0; t < 3; t++) want[b * 2 + j] += xv[b * 4 + t + j];
      expectClose(w.grad!.dataSync(), want, 1e-12);
    });
  });

  describe('bad input (the 2-D bad-input cases, in 1-D terms)', () => {
    const x = (): Tensor => rnd(1, [2, 3, 5], 'float32');
    it('channels not divisible by groups: x=[2,3,5] w=[4,1,3] g=2', () => {
      expectError(() => conv1d(x(), rnd(2, [4, 1, 3], 'float32'), null, { groups: 2 }), 'conv1d', 'groups 2', 'input channels 3', '[2,3,5]');
      expectError(
        () => conv1d(rnd(1, [2, 4, 5], 'float32'), rnd(2, [3, 2, 3], 'float32'), null, { groups: 2 }),
        'conv1d',
        'groups 2 does not divide the output channels 3',
        '[3,2,3]',
      );
      expectError(() => conv1d(x(), rnd(2, [4, 2, 3], 'float32')), 'conv1d', 'weight has 2 input channels per group', '[2,3,5]', '[4,2,3]');
    });
    it('kernel larger than the padded input: x=[2,3,5] w=[4,3,7] p=0, and k=3 d=3', () => {
      expectError(() => conv1d(x(), rnd(2, [4, 3, 7], 'float32')), 'conv1d', 'larger than the padded input length 5', '[2,3,5]', '[4,3,7]');
      expectError(() => conv1d(x(), rnd(2, [4, 3, 3], 'float32'), null, { dilation: 3 }), 'conv1d', 'kernel extent 7', 'dilation 3');
    });
    it('wrong rank: x=[2,3,1,5] and w=[4,3,1,3] are 2-D shapes', () => {
      expectError(() => conv1d(rnd(1, [2, 3, 1, 5], 'float32'), rnd(2, [4, 3, 3], 'float32')), 'conv1d', 'x must be [B, C, L]', '[2,3,1,5]');
      expectError(() => conv1d(x(), rnd(2, [4, 3, 1, 3], 'float32')), 'conv1d', 'weight must be [O, C/groups, k]', '[4,3,1,3]', '[2,3,5]');
      expectError(() => depthwiseConv1d(rnd(1, [2, 3, 1, 5], 'float32'), rnd(2, [3, 1, 3], 'float32')), 'depthwiseConv1d', 'x must be [B, C, L]');
    });
    it('NaN, non-integer and pair stride / dilation; bad padding', () => {
      const w = rnd(2, [4, 3, 3], 'float32');
      expectError(() => conv1d(x(), w, null, { stride: NaN }), 'conv1d', 'stride', 'NaN');
      expectError(() => conv1d(x(), w, null, { stride: 1.5 }), 'conv1d', 'stride must be an integer', '1.5');
      expectError(() => conv1d(x(), w, null, { dilation: 0 }), 'conv1d', 'dilation must be >= 1');
      expectError(() => conv1d(x(), w, null, { stride: [1, 2] as unknown as number }), 'conv1d', 'stride must be one integer for a 1-D op', '[1,2]');
      expectError(() => conv1d(x(), w, null, { padding: -1 }), 'conv1d', 'padding must be >= 0');
      expectError(
        () => conv1d(x(), w, null, { padding: [0, 0, 1, 1] as unknown as number }),
        'conv1d',
        "padding must be a number, [left, right], 'same' or 'valid'",
        '[0,0,1,1]',
      );
      expectError(() => conv1d(x(), w, null, { padding: [1, 0.5] }), 'conv1d', 'padding[1] must be an integer');
    });
    it('float32 x=[2,3,5] mixed with float64 w=[4,3,3] or bias', () => {
      expectError(() => conv1d(x(), rnd(2, [4, 3, 3], 'float64')), 'conv1d', 'float32', 'float64', '[2,3,5]', '[4,3,3]');
      expectError(() => conv1d(x(), rnd(2, [4, 3, 3], 'float32'), rnd(3, [4], 'float64')), 'conv1d', 'bias', 'float64');
    });
    it('bias of the wrong shape: w=[4,3,3] bias=[3] and [1,4]', () => {
      expectError(() => conv1d(x(), rnd(2, [4, 3, 3], 'float32'), rnd(3, [3], 'float32')), 'conv1d', 'bias must be [O] = [4]', '[3]', '[2,3,5]');
      expectError(() => depthwiseConv1d(x(), rnd(2, [3, 1, 3], 'float32'), rnd(3, [1, 3], 'float32')), 'depthwiseConv1d', 'bias must be [O] = [3]', '[1,3]');
    });
    it('depthwise weight first dim not a multiple of C: x=[2,3,5] w=[4,1,3]; groups given ≠ C', () => {
      expectError(() => depthwiseConv1d(x(), rnd(2, [4, 1, 3], 'float32')), 'depthwiseConv1d', 'multiple of 3', '[4,1,3]');
      expectError(() => depthwiseConv1d(x(), rnd(2, [3, 2, 3], 'float32')), 'depthwiseConv1d', '[C*multiplier, 1, k]', '[3,2,3]');
      expectError(() => depthwiseConv1d(x(), rnd(2, [3, 1, 3], 'float32'), null, { groups: 1 }), 'depthwiseConv1d', 'groups is fixed to the input channels 3');
    });
    it('per-sample weights whose batch differs or rank is wrong: x=[2,3,5] w=[3,4,3,3] and [4,3,3]', () => {
      expectError(() => conv1dPerSample(x(), rnd(2, [3, 4, 3, 3], 'float32')), 'conv1dPerSample', 'batch 3', 'batch 2');
      expectError(() => conv1dPerSample(x(), rnd(2, [4, 3, 3], 'float32')), 'conv1dPerSample', 'weight must be [B, O, C/groups, k]', '[4,3,3]');
    });
    it('opts not an object; a disposed x', () => {
      expectError(() => conv1d(x(), rnd(2, [4, 3, 3], 'float32'), null, null as unknown as Conv1dOptions), 'conv1d', 'opts must be an object');
      const xd = x();
      xd.dispose();
      expectError(() => conv1d(xd, rnd(2, [4, 3, 3], 'float32')), 'conv1d', 'x [2,3,5] was disposed');
    });
  });
});
