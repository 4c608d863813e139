// CPU conv2d kernels (forward, backward-input, backward-filter) against the naive 7-loop definition and hand-computed cases.

import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { expectClose } from '../helpers/close.js';
import { naiveConv2d, naiveConv2dBackwardFilter, naiveConv2dBackwardInput, naiveOutSize, tfSamePads, type NaiveConvParams } from '../helpers/naive_conv.js';
import { mulberry32, pick, randArray, randInt } from '../helpers/rng.js';

const TOL: Record<DType, number> = { float32: 1e-5, float64: 1e-12 };

interface ConvCase {
  p: NaiveConvParams;
  opts: Conv2dOptions;
  padLabel: string;
}

/** Builds a case from explicit settings; 'same' padding is resolved by the TF rule. */
function makeCase(base: Omit<NaiveConvParams, 'pad'>, padding: Conv2dOptions['padding']): ConvCase {
  let pad: [number, number, number, number];
  if (padding === 'same') {
    const [t, b] = tfSamePads(base.inH, base.kH, base.stride[0], base.dilation[0]);
    const [l, r] = tfSamePads(base.inW, base.kW, base.stride[1], base.dilation[1]);
    pad = [t, b, l, r];
  } else if (padding === 'valid' || padding === undefined) pad = [0, 0, 0, 0];
  else if (typeof padding === 'number') pad = [padding, padding, padding, padding];
  else if (padding.length === 2) pad = [padding[0], padding[0], padding[1], padding[1]];
  else pad = [padding[0], padding[1], padding[2], padding[3]];
  return {
    p: { ...base, pad },
    opts: { stride: base.stride, dilation: base.dilation, groups: base.groups, padding },
    padLabel: typeof padding === 'string' ? padding : JSON.stringify(padding),
  };
}

function label(c: ConvCase, dtype: DType): string {
  const p = c.p;
  const w = `${p.perSampleWeights ? `${p.batch},` : ''}${p.outC},${p.inC / p.groups},${p.kH},${p.kW}`;
  return (
    `x=[${p.batch},${p.inC},${p.inH},${p.inW}] w=[${w}] s=${p.stride} d=${p.dilation} p=${c.padLabel} g=${p.groups}` +
    `${p.perSampleWeights ? ' perSample' : ''} ${dtype}`
  );
}

/** Hand-picked cases that pin each feature down, then seeded random ones. */
function cases(): ConvCase[] {
  const b = (o: Partial<NaiveConvParams>): Omit<NaiveConvParams, 'pad'> => ({
    batch: 2,
    inC: 3,
    inH: 6,
    inW: 7,
    outC: 4,
    kH: 3,
    kW: 3,
    stride: [1, 1],
    dilation: [1, 1],
    groups: 1,
    perSampleWeights: false,
    ...o,
  });
  const out: ConvCase[] = [
    makeCase(b({}), 1),
    makeCase(b({ stride: [2, 3] }), 1),
    makeCase(b({ stride: [3, 3], inH: 10, inW: 9 }), 0),
    makeCase(b({ dilation: [2, 2], inH: 8, inW: 8 }), 2),
    makeCase(b({ dilation: [2, 1], stride: [2, 1] }), [1, 0]),
    makeCase(b({ kH: 2, kW: 4 }), 'same'),
    makeCase(b({ kH: 4, kW: 4, stride: [2, 2] }), 'same'),
    makeCase(b({ kH: 2, kW: 2, dilation: [2, 2] }), 'same'),
    makeCase(b({}), [0, 2, 1, 0]),
    makeCase(b({ kH: 1, kW: 1 }), 0),
    makeCase(b({ kH: 1, kW: 1, stride: [2, 2] }), 0),
    makeCase(b({ inC: 4, outC: 6, groups: 2 }), 1),
    makeCase(b({ inC: 5, outC: 10, groups: 5, stride: [2, 2] }), 1),
    makeCase(b({ inC: 4, outC: 8, groups: 4, kH: 3, kW: 3 }), 'same'),
    makeCase(b({ perSampleWeights: true, batch: 3 }), 1),
    makeCase(b({ perSampleWeights: true, inC: 6, outC: 12, groups: 6, dilation: [2, 2], inH: 9, inW: 9 }), [2, 1, 0, 3]),
    makeCase(b({ perSampleWeights: true, kH: 1, kW: 1, inC: 4, outC: 2 }), 0),
  ];
  const rng = mulberry32(20240607);
  while (out.length < 60) {
    const kind = pick(rng, ['plain', 'grouped', 'depthwise'] as const);
    const groups = kind === 'plain' ? 1 : kind === 'grouped' ? randInt(rng, 2, 3) : randInt(rng, 2, 4);
    const cg = kind === 'depthwise' ? 1 : randInt(rng, 1, 3);
    const og = kind === 'depthwise' ? 2 : randInt(rng, 1, 3);
    const kH = randInt(rng, 1, 4);
    const kW = randInt(rng, 1, 4);
    const stride: [number, number] = [randInt(rng, 1, 3), randInt(rng, 1, 3)];
    const dilation: [number, number] = [randInt(rng, 1, 2), randInt(rng, 1, 2)];
    const mode = pick(rng, ['valid', 'num', 'pair', 'asym', 'same'] as const);
    const padding: Conv2dOptions['padding'] =
      mode === 'valid'
        ? 'valid'
        : mode === 'same'
          ? 'same'
          : mode === 'num'
            ? randInt(rng, 0, 2)
            : mode === 'pair'
              ? [randInt(rng, 0, 2), randInt(rng, 0, 2)]
              : [randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2), randInt(rng, 0, 2)];
    // Inputs at least as large as the dilated kernel, so every padding mode fits.
    const inH = (kH - 1) * dilation[0] + 1 + randInt(rng, 0, 5);
    const inW = (kW - 1) * dilation[1] + 1 + randInt(rng, 0, 5);
    out.push(
      makeCase(
        {
          batch: randInt(rng, 1, 3),
          inC: groups * cg,
          inH,
          inW,
          outC: groups * og,
          kH,
          kW,
          stride,
          dilation,
          groups,
          perSampleWeights: rng() < 0.35,
        },
        padding,
      ),
    );
  }
  return out;
}

describe('cpu conv2d vs naive 7-loop definition', () => {
  const be = new CpuBackend();
  const all = cases();
  all.forEach((c, ci) => {
    for (const dtype of ['float32', 'float64'] as const) {
      it(label(c, dtype), () => {
        const p = c.p;
        const xShape = [p.batch, p.inC, p.inH, p.inW];
        const wShape = [...(p.perSampleWeights ? [p.batch] : []), p.outC, p.inC / p.groups, p.kH, p.kW];
        const g = conv2dGeometry('conv2d', xShape, wShape, c.opts, p.perSampleWeights);
        const [outH, outW] = naiveOutSize(p);
        expect([g.outH, g.outW, g.padTop, g.padBottom, g.padLeft, g.padRight]).to.deep.equal([outH, outW, ...p.pad]);
        const rng = mulberry32(1000 + ci);
        const x = randArray(
          rng,
          xShape.reduce((a, d) => a * d, 1),
          dtype,
        );
        const w = randArray(
          rng,
          wShape.reduce((a, d) => a * d, 1),
          dtype,
        );
        const dy = randArray(rng, p.batch * p.outC * outH * outW, dtype);
        const tol = TOL[dtype];
        const y = be.readSync(be.conv2d(be.fromArray(x), be.fromArray(w), g));
        expect(y).to.be.instanceOf(dtype === 'float32' ? Float32Array : Float64Array);
        expectClose(y, naiveConv2d(x, w, p), tol, 'forward');
        const dx = be.readSync(be.conv2dBackwardInput(be.fromArray(dy), be.fromArray(w), g));
        expectClose(dx, naiveConv2dBackwardInput(dy, w, p), tol, 'backward-input');
        const dw = be.readSync(be.conv2dBackwardFilter(be.fromArray(x), be.fromArray(dy), g));
        expectClose(dw, naiveConv2dBackwardFilter(x, dy, p), tol, 'backward-filter');
      });
    }
  });
  it('covers depthwise, per-sample, even-kernel same, stride 3 and dilation 2', () => {
    expect(all.length).to.be.at.least(50);
    expect(all.some((c) => c.p.groups === c.p.inC && c.p.outC === 2 * c.p.inC && c.p.groups > 1)).to.equal(true);
    expect(all.some((c) => c.p.perSampleWeights)).to.equal(true);
    expect(all.some((c) => c.padLabel === 'same' && (c.p.kH % 2 === 0 || c.p.kW % 2 === 0))).to.equal(true);
    expect(all.some((c) => c.p.stride.includes(3))).to.equal(true);
    expect(all.some((c) => c.p.dilation.includes(2))).to.equal(true);
  });
});

describe('cpu conv2d hand-computed cases', () => {
  const be = new CpuBackend();
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,0],[0,-1]] (x=[1,1,3,3] w=[1,1,2,2], valid):
  //   y[0,0] = 1*1 + 5*(-1) = -4   y[0,1] = 2 - 6 = -4
  //   y[1,0] = 4 - 8 = -4          y[1,1] = 5 - 9 = -4
  const x = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = new Float64Array([1, 0, 0, -1]);
  it('forward x=[1,1,3,3] w=[1,1,2,2] s=1 p=0', () => {
    const g = conv2dGeometry('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    expect(Array.from(be.readSync(be.conv2d(be.fromArray(x), be.fromArray(w), g)))).to.deep.equal([-4, -4, -4, -4]);
  });
  it('forward x=[1,1,3,3] w=[1,1,2,2] s=2 p=1', () => {
    // Padded 5x5 input, windows at rows/cols {-1, 1}:
    //   (-1,-1): only x[0,0] under w[1,1] → -1       (-1,1): x[0,1]*w[1,0] + x[0,2]*w[1,1] → -3
    //   (1,-1): x[1,0]*w[0,1] + x[2,0]*w[1,1] → -7   (1,1): 5*1 - 9 → -4
    const g = conv2dGeometry('conv2d', [1, 1, 3, 3], [1, 1, 2, 2], { stride: 2, padding: 1 });
    expect(Array.from(be.readSync(be.conv2d(be.fromArray(x), be.fromArray(w), g)))).to.deep.equal([-1, -3, -7, -4]);
  });
  it('backward-input x=[1,1,3,3] w=[1,1,2,2] with dy = ones', () => {
    // dx[i,j] = Σ windows covering (i,j) of the matching w tap: corners get one tap, edges two, centre all four.
    //   dx = [[1, 1, 0], [1, 0, -1], [0, -1, -1]]
    const g = conv2dGeometry('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    const dx = be.readSync(be.conv2dBackwardInput(be.fromArray(new Float64Array([1, 1, 1, 1])), be.fromArray(w), g));
    expect(Array.from(dx)).to.deep.equal([1, 1, 0, 1, 0, -1, 0, -1, -1]);
  });
  it('backward-filter x=[1,1,3,3] w=[1,1,2,2] with dy = ones', () => {
    // dw[a,b] = sum of the 2x2 block of x starting at (a,b): [[1+2+4+5, 2+3+5+6], [4+5+7+8, 5+6+8+9]]
    const g = conv2dGeometry('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    const dw = be.readSync(be.conv2dBackwardFilter(be.fromArray(x), be.fromArray(new Float64Array([1, 1, 1, 1])), g));
    expect(Array.from(dw)).to.deep.equal([12, 16, 24, 28]);
  });
  it('per-sample weights x=[2,1,3,3] w=[2,1,1,2,2]: each sample uses its own kernel, dw is per sample', () => {
    // Sample 0 uses w above (y = -4 everywhere); sample 1 uses w = [[0,1],[0,0]] (y = x[i, j+1] = [2,3,5,6]).
    const x2 = new Float64Array([...x, ...x]);
    const w2 = new Float64Array([1, 0, 0, -1, 0, 1, 0, 0]);
    const g = conv2dGeometry('conv2d', [2, 1, 3, 3], [2, 1, 1, 2, 2], {}, true);
    expect(Array.from(be.readSync(be.conv2d(be.fromArray(x2), be.fromArray(w2), g)))).to.deep.equal([-4, -4, -4, -4, 2, 3, 5, 6]);
    // dy = ones for sample 0 and zeros for sample 1: dw = [[12,16,24,28], [0,0,0,0]].
    const dy = new Float64Array([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(be.readSync(be.conv2dBackwardFilter(be.fromArray(x2), be.fromArray(dy), g)))).to.deep.equal([12, 16, 24, 28, 0, 0, 0, 0]);
  });
  it('rejects mixed dtypes x=[1,1,3,3] float32 with w=[1,1,2,2] float64, naming the kernel and both dtypes', () => {
    const g = conv2dGeometry('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    expect(() => be.conv2d(be.fromArray(new Float32Array(x)), be.fromArray(w), g)).to.throw(/conv2d.*float32.*float64/);
    expect(() => be.conv2dBackwardInput(be.fromArray(new Float32Array(4)), be.fromArray(w), g)).to.throw(/conv2dBackwardInput.*float32.*float64/);
    expect(() => be.conv2dBackwardFilter(be.fromArray(x), be.fromArray(new Float32Array(4)), g)).to.throw(/conv2dBackwardFilter.*float64.*float32/);
  });
  it('rejects a weight storage whose size does not match w=[1,1,2,2]', () => {
    const g = conv2dGeometry('conv2d', [1, 1, 3, 3], [1, 1, 2, 2]);
    expect(() => be.conv2d(be.fromArray(x), be.fromArray(new Float64Array(5)), g)).to.throw(/conv2d.*w has 5 elements/);
  });
});
