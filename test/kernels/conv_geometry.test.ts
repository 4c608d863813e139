// Conv2dGeometry's derived fields (sizes, padded extents, pointwise/depthwise flags) and the transposed-conv geometry, checked against the kernels.

import '../../kernels/register.js';
import { expect } from 'chai';
import { CondgradError } from '../../core/errors.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, transposedConvGeometry, type Conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randArray } from '../helpers/rng.js';

describe('Conv2dGeometry derived fields', () => {
  const cases: { x: number[]; w: number[]; o: Conv2dOptions; perSample?: boolean; pointwise: boolean; depthwise: boolean }[] = [
    { x: [2, 4, 5, 5], w: [6, 4, 1, 1], o: {}, pointwise: true, depthwise: false },
    { x: [2, 4, 5, 5], w: [6, 4, 1, 1], o: { padding: 1 }, pointwise: false, depthwise: false },
    { x: [2, 4, 5, 5], w: [6, 4, 1, 1], o: { stride: 2 }, pointwise: false, depthwise: false },
    { x: [2, 4, 5, 5], w: [6, 4, 1, 1], o: { padding: [0, 0, 0, 1] }, pointwise: false, depthwise: false },
    { x: [2, 4, 7, 6], w: [8, 1, 3, 3], o: { groups: 4, padding: 1, stride: 2 }, pointwise: false, depthwise: true },
    { x: [1, 4, 7, 6], w: [4, 2, 3, 3], o: { groups: 2, dilation: 2 }, pointwise: false, depthwise: false },
    { x: [3, 2, 6, 6], w: [3, 4, 2, 3, 3], o: { padding: 'same' }, perSample: true, pointwise: false, depthwise: false },
  ];
  for (const c of cases) {
    it(`x=${JSON.stringify(c.x)} w=${JSON.stringify(c.w)} ${JSON.stringify(c.o)}: sizes, extents and flags`, () => {
      const g = conv2dGeometry('conv2d', c.x, c.w, c.o, c.perSample ?? false);
      const [B, C, H, W] = c.x;
      expect(g.inputSize).to.equal(B * C * H * W);
      expect(g.outputSize).to.equal(B * g.outC * g.outH * g.outW);
      const kernel = c.perSample ? c.w.slice(1) : c.w;
      expect(g.weightSize).to.equal(kernel.reduce((a, b) => a * b, 1));
      expect(g.weightStorageSize).to.equal(c.w.reduce((a, b) => a * b, 1));
      // The last window's last tap lands on padded row paddedH − 1, which is inside the padded input.
      expect(g.paddedH).to.equal((g.outH - 1) * g.strideH + (g.kH - 1) * g.dilationH + 1);
      expect(g.paddedW).to.equal((g.outW - 1) * g.strideW + (g.kW - 1) * g.dilationW + 1);
      expect(g.paddedH).to.be.at.most(g.padTop + H + g.padBottom);
      expect(g.paddedW).to.be.at.most(g.padLeft + W + g.padRight);
      expect(g.pointwise).to.equal(c.pointwise);
      expect(g.depthwise).to.equal(c.depthwise);
      expect(g.macs).to.equal(B * g.outH * g.outW * g.weightSize);
      expect(Object.isFrozen(g)).to.equal(true);
    });
  }
});

/** w' [C, O/g, kH, kW]: each group's kernels transposed and flipped in space. */
function flipTranspose(w: ArrayLike<number>, g: Conv2dGeometry): Float64Array {
  const { groups, inCPerGroup: cg, outCPerGroup: og, kH, kW } = g;
  const out = new Float64Array(w.length);
  for (let gi = 0; gi < groups; gi++)
    for (let o = 0; o < og; o++)
      for (let c = 0; c < cg; c++) {
        for (let kh = 0; kh < kH; kh++)
          for (let kw = 0; kw < kW; kw++) {
            out[(((gi * cg + c) * og + o) * kH + (kH - 1 - kh)) * kW + (kW - 1 - kw)] = w[(((gi * og + o) * cg + c) * kH + kh) * kW + kw];
          }
      }
  return out;
}

describe('transposedConvGeometry', () => {
  const cases: { x: number[]; w: number[]; o: Conv2dOptions }[] = [
    { x: [2, 3, 6, 5], w: [4, 3, 3, 3], o: { padding: 1 } },
    { x: [1, 4, 7, 7], w: [6, 2, 3, 2], o: { groups: 2, padding: [2, 0, 1, 1], dilation: [2, 1] } },
    // Padding larger than the kernel extent: the transposed conv crops (negative padding).
    { x: [2, 2, 4, 4], w: [3, 2, 3, 3], o: { padding: 3 } },
  ];
  for (const c of cases) {
    it(`x=${JSON.stringify(c.x)} w=${JSON.stringify(c.w)} ${JSON.stringify(c.o)}: conv2d(dy, flipped wᵀ) equals the input gradient`, () => {
      const g = conv2dGeometry('conv2d', c.x, c.w, c.o);
      const t = transposedConvGeometry(g);
      expect([t.inC, t.inH, t.inW, t.outC, t.outH, t.outW]).to.deep.equal([g.outC, g.outH, g.outW, g.inC, g.inH, g.inW]);
      expect(t.weightSize).to.equal(g.weightSize);
      const rng = mulberry32(7);
      const dy = cpuBackend.fromArray(randArray(rng, g.outputSize, 'float64'));
      const w = randArray(rng, g.weightSize, 'float64');
      const want = cpuBackend.readSync(cpuBackend.conv2dBackwardInput(dy, cpuBackend.fromArray(w), g));
      const got = cpuBackend.readSync(cpuBackend.conv2d(dy, cpuBackend.fromArray(flipTranspose(w, g)), t));
      expectClose(got, want, 1e-12, 'dx');
    });
  }

  it('a strided conv has no transposed stride-1 form: CondgradError', () => {
    const g = conv2dGeometry('conv2d', [1, 1, 5, 5], [1, 1, 3, 3], { stride: 2 });
    expect(() => transposedConvGeometry(g)).to.throw(CondgradError, /needs stride 1, got stride \[2, 2\]/);
  });
});
