// conv2d, depthwiseConv2d and conv2dPerSample ops: hand-computed forwards, naive-loop agreement, float64 gradchecks and bad input.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import { conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { conv2d, conv2dPerSample, depthwiseConv2d } from '../../ops/conv.js';
import { forEachBackend, testBackends } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { naiveConv2d, type NaiveConvParams } from '../helpers/naive_conv.js';
import { checkGrad, expectError, mk, read, rnd } from '../helpers/tensors.js';

/** Naive parameters for x/w shapes and options, padding resolved by the shared geometry. */
function naiveParams(xs: readonly number[], ws: readonly number[], opts: Conv2dOptions, perSample = false): NaiveConvParams {
  const g = conv2dGeometry('test', xs, ws, opts, perSample);
  return {
    batch: g.batch,
    inC: g.inC,
    inH: g.inH,
    inW: g.inW,
    outC: g.outC,
    kH: g.kH,
    kW: g.kW,
    stride: [g.strideH, g.strideW],
    dilation: [g.dilationH, g.dilationW],
    pad: [g.padTop, g.padBottom, g.padLeft, g.padRight],
    groups: g.groups,
    perSampleWeights: perSample,
  };
}

interface Case {
  x: number[];
  w: number[];
  opts: Conv2dOptions;
  bias: boolean;
  dw?: boolean;
}
const CASES: Case[] = [
  { x: [2, 4, 6, 6], w: [3, 4, 3, 3], opts: { stride: 2, padding: 1 }, bias: true },
  { x: [2, 2, 7, 7], w: [3, 2, 3, 3], opts: { dilation: 2, padding: 2 }, bias: true },
  { x: [2, 4, 5, 5], w: [6, 2, 3, 3], opts: { groups: 2, padding: [1, 0] }, bias: true },
  { x: [2, 3, 5, 6], w: [2, 3, 2, 2], opts: { padding: 'same' }, bias: true },
  { x: [1, 3, 6, 5], w: [2, 3, 4, 2], opts: { padding: 'same', stride: 2 }, bias: false },
  { x: [2, 3, 5, 5], w: [6, 1, 3, 3], opts: { padding: 1 }, bias: true, dw: true },
  { x: [2, 2, 6, 6], w: [2, 1, 3, 3], opts: { stride: 2, dilation: [1, 2], padding: [1, 2, 0, 1] }, bias: false, dw: true },
  { x: [2, 3, 4, 4], w: [4, 3, 3, 3], opts: { padding: 'valid' }, bias: false },
];

const caseLabel = (c: Case): string => `x=[${c.x}] w=[${c.w}] ${JSON.stringify(c.opts)}${c.dw ? ' depthwise' : ''}${c.bias ? ' bias' : ' no bias'}`;

const run = (c: Case, x: Tensor, w: Tensor, b: Tensor | null): Tensor => (c.dw ? depthwiseConv2d(x, w, b, c.opts) : conv2d(x, w, b, c.opts));

describe('ops/conv', () => {
  describe('hand-computed forward', () => {
    const x = (): Tensor => mk([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = (): Tensor => mk([1, 0, 0, -1], [1, 1, 2, 2]);
    it('x=[1,1,3,3] w=[1,1,2,2] valid: y = x[i,j] - x[i+1,j+1] = -4', async () => {
      const y = conv2d(x(), w());
      expect(y.shape).to.deep.equal([1, 1, 2, 2]);
      expect(Array.from(await read(y))).to.deep.equal([-4, -4, -4, -4]);
    });
    it('x=[1,1,3,3] w=[1,1,2,2] s=2 p=1 bias=10', async () => {
      // Padded 5x5 windows at (0,0),(0,2),(2,0),(2,2): -x00, -x02, -x20, x11 - x22; plus 10.
      const y = conv2d(x(), w(), mk([10], [1]), { stride: 2, padding: 1 });
      expect(Array.from(await read(y))).to.deep.equal([9, 7, 3, 6]);
    });
    it('x=[1,2,2,2] w=[2,1,1,1] g=2 scales each channel by its own weight', async () => {
      const y = conv2d(mk([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]), mk([2, -1], [2, 1, 1, 1]), null, { groups: 2 });
      expect(Array.from(await read(y))).to.deep.equal([2, 4, 6, 8, -5, -6, -7, -8]);
    });
    it('depthwise x=[1,1,2,2] w=[2,1,1,1] multiplier 2: out channel j = w_j * x', async () => {
      const y = depthwiseConv2d(mk([1, 2, 3, 4], [1, 1, 2, 2]), mk([3, -2], [2, 1, 1, 1]));
      expect(y.shape).to.deep.equal([1, 2, 2, 2]);
      expect(Array.from(await read(y))).to.deep.equal([3, 6, 9, 12, -2, -4, -6, -8]);
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
          const p = naiveParams(c.x, c.w, opts);
          const want = naiveConv2d(await read(x), await read(w), p);
          if (b) {
            const bv = await read(b);
            const plane = want.length / (p.batch * p.outC);
            want.forEach((v, i) => {
              want[i] = v + bv[Math.floor(i / plane) % p.outC];
            });
          }
          expectClose(await read(run(c, x, w, b)), want, dtype === 'float32' ? 1e-5 : 1e-12);
        });
      }
      it(`conv2dPerSample x=[3,4,5,5] w=[3,6,2,3,3] g=2 s=2 p=same against the naive loop, ${dtype}`, async () => {
        const opts: Conv2dOptions = { groups: 2, stride: 2, padding: 'same' };
        const x = rnd(4, [3, 4, 5, 5], dtype, tb);
        const w = rnd(5, [3, 6, 2, 3, 3], dtype, tb);
        const want = naiveConv2d(await read(x), await read(w), naiveParams(x.shape, w.shape, opts, true));
        expectClose(await read(conv2dPerSample(x, w, opts)), want, dtype === 'float32' ? 1e-5 : 1e-12);
      });
    }
  });

  describe('float64 gradcheck (x, weight, bias)', () => {
    if (!testBackends.some((tb) => tb.float64 && tb.sync)) return;
    for (const c of CASES) {
      it(caseLabel(c), () => {
        const shapes = c.bias ? [c.x, c.w, [c.w[0]]] : [c.x, c.w];
        checkGrad((x, w, b) => run(c, x, w, b ?? null), shapes, { seed: 11 });
      });
    }
    it('conv2dPerSample x=[2,4,5,5] w=[2,4,2,3,3] g=2 d=2 p=2: x and per-sample weights', () => {
      checkGrad(
        (x, w) => conv2dPerSample(x, w, { groups: 2, dilation: 2, padding: 2 }),
        [
          [2, 4, 5, 5],
          [2, 4, 2, 3, 3],
        ],
      );
    });
    it("conv2dPerSample's weight gradient is per sample, not summed: x=[2,1,3,3] w=[2,1,1,2,2]", () => {
      const x = rnd(1, [2, 1, 3, 3], 'float64', undefined, -1, 1, true);
      const w = rnd(2, [2, 1, 1, 2, 2], 'float64', undefined, -1, 1, true);
      const y = conv2dPerSample(x, w);
      y.backward(mk(new Float64Array(y.size).fill(1), y.shape, 'float64'));
      expect(w.grad!.shape).to.deep.equal([2, 1, 1, 2, 2]);
      const xv = x.dataSync();
      // dW_b[i,j] = Σ_{oh,ow} x_b[oh+i, ow+j] with dy = 1.
      const want = new Float64Array(8);
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 2; j++) {
            for (let oh = 0; oh < 2; oh++) for (let ow = 0; ow < 2; ow++) want[b * 4 + i * 2 + j] += xv[b * 9 + (oh + i) * 3 + ow + j];
          }
      expectClose(w.grad!.dataSync(), want, 1e-12);
    });
  });

  describe('bad input', () => {
    const x = (): Tensor => rnd(1, [2, 3, 5, 5], 'float32');
    it('channels not divisible by groups: x=[2,3,5,5] w=[4,1,3,3] g=2', () => {
      expectError(() => conv2d(x(), rnd(2, [4, 1, 3, 3], 'float32'), null, { groups: 2 }), 'conv2d', 'groups 2', 'input channels 3', '[2,3,5,5]');
    });
    it('kernel larger than the padded input: x=[2,3,5,5] w=[4,3,7,7] p=0', () => {
      expectError(() => conv2d(x(), rnd(2, [4, 3, 7, 7], 'float32')), 'conv2d', 'larger than the padded input');
    });
    it('wrong rank: x=[3,5,5] and w=[4,3,3]', () => {
      expectError(() => conv2d(rnd(1, [3, 5, 5], 'float32'), rnd(2, [4, 3, 3, 3], 'float32')), 'conv2d', 'x must be [B, C, H, W]', '[3,5,5]');
      expectError(() => conv2d(x(), rnd(2, [4, 3, 3], 'float32')), 'conv2d', 'weight must be', '[4,3,3]');
    });
    it('NaN and non-integer stride', () => {
      const w = rnd(2, [4, 3, 3, 3], 'float32');
      expectError(() => conv2d(x(), w, null, { stride: NaN }), 'conv2d', 'stride', 'NaN');
      expectError(() => conv2d(x(), w, null, { stride: 1.5 }), 'conv2d', 'stride must be an integer', '1.5');
      expectError(() => conv2d(x(), w, null, { dilation: [1, 0] }), 'conv2d', 'dilation[1]');
    });
    it('float32 x=[2,3,5,5] mixed with float64 w=[4,3,3,3]', () => {
      expectError(() => conv2d(x(), rnd(2, [4, 3, 3, 3], 'float64')), 'conv2d', 'float32', 'float64', '[2,3,5,5]', '[4,3,3,3]');
      expectError(() => conv2d(x(), rnd(2, [4, 3, 3, 3], 'float32'), rnd(3, [4], 'float64')), 'conv2d', 'bias', 'float64');
    });
    it('bias of the wrong shape: w=[4,3,3,3] bias=[3]', () => {
      expectError(() => conv2d(x(), rnd(2, [4, 3, 3, 3], 'float32'), rnd(3, [3], 'float32')), 'conv2d', 'bias must be [O] = [4]', '[3]');
    });
    it('depthwise weight first dim not a multiple of C: x=[2,3,5,5] w=[4,1,3,3]', () => {
      expectError(() => depthwiseConv2d(x(), rnd(2, [4, 1, 3, 3], 'float32')), 'depthwiseConv2d', 'multiple of 3', '[4,1,3,3]');
      expectError(() => depthwiseConv2d(x(), rnd(2, [3, 1, 3, 3], 'float32'), null, { groups: 1 }), 'depthwiseConv2d', 'groups');
    });
    it('per-sample weights whose batch differs: x=[2,3,5,5] w=[3,4,3,3,3]', () => {
      expectError(() => conv2dPerSample(x(), rnd(2, [3, 4, 3, 3, 3], 'float32')), 'conv2dPerSample', 'batch 3', 'batch 2');
    });
  });
});
