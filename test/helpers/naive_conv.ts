// Naive conv2d written straight from the definition (7 nested loops): the independent reference for conv tests.

/**
 * Explicit conv parameters. x: [batch, inC, inH, inW]; w: [outC, inC/groups, kH, kW], or
 * [batch, outC, inC/groups, kH, kW] when perSampleWeights. pad = [top, bottom, left, right].
 */
export interface NaiveConvParams {
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  kH: number;
  kW: number;
  stride: [number, number];
  dilation: [number, number];
  pad: [number, number, number, number];
  groups: number;
  perSampleWeights: boolean;
}

/** [outH, outW] = floor((in + padBefore + padAfter - dilation*(k-1) - 1) / stride) + 1. */
export function naiveOutSize(p: NaiveConvParams): [number, number] {
  const outH = Math.floor((p.inH + p.pad[0] + p.pad[1] - p.dilation[0] * (p.kH - 1) - 1) / p.stride[0]) + 1;
  const outW = Math.floor((p.inW + p.pad[2] + p.pad[3] - p.dilation[1] * (p.kW - 1) - 1) / p.stride[1]) + 1;
  return [outH, outW];
}

/** TF 'same' padding along one dim: out = ceil(in / stride), the odd pixel going after. */
export function tfSamePads(size: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + (k - 1) * dilation + 1 - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Visits every (x index, w index, y index) triple of the conv sum
 * y[b,o,oh,ow] = Σ_{ci,kh,kw} w[(b),o,ci,kh,kw] * x[b, grp(o)*Cg + ci, oh*sH - top + kh*dH, ow*sW - left + kw*dW],
 * skipping terms that fall in the zero padding.
 */
function forEachTerm(p: NaiveConvParams, visit: (xi: number, wi: number, yi: number) => void): void {
  const [outH, outW] = naiveOutSize(p);
  const Cg = p.inC / p.groups;
  const Og = p.outC / p.groups;
  for (let b = 0; b < p.batch; b++) {
    for (let o = 0; o < p.outC; o++) {
      const grp = Math.floor(o / Og);
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          const yi = ((b * p.outC + o) * outH + oh) * outW + ow;
          for (let ci = 0; ci < Cg; ci++) {
            const c = grp * Cg + ci;
            for (let kh = 0; kh < p.kH; kh++) {
              const ih = oh * p.stride[0] - p.pad[0] + kh * p.dilation[0];
              if (ih < 0 || ih >= p.inH) continue;
              for (let kw = 0; kw < p.kW; kw++) {
                const iw = ow * p.stride[1] - p.pad[2] + kw * p.dilation[1];
                if (iw < 0 || iw >= p.inW) continue;
                const xi = ((b * p.inC + c) * p.inH + ih) * p.inW + iw;
                const wb = p.perSampleWeights ? b : 0;
                const wi = (((wb * p.outC + o) * Cg + ci) * p.kH + kh) * p.kW + kw;
                visit(xi, wi, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** y [batch, outC, outH, outW] in float64. */
export function naiveConv2d(x: ArrayLike<number>, w: ArrayLike<number>, p: NaiveConvParams): Float64Array {
  const [outH, outW] = naiveOutSize(p);
  const y = new Float64Array(p.batch * p.outC * outH * outW);
  forEachTerm(p, (xi, wi, yi) => {
    y[yi] += w[wi] * x[xi];
  });
  return y;
}

/** dx [batch, inC, inH, inW] = ∂(Σ y·dy)/∂x, in float64. */
export function naiveConv2dBackwardInput(dy: ArrayLike<number>, w: ArrayLike<number>, p: NaiveConvParams): Float64Array {
  const dx = new Float64Array(p.batch * p.inC * p.inH * p.inW);
  forEachTerm(p, (xi, wi, yi) => {
    dx[xi] += w[wi] * dy[yi];
  });
  return dx;
}

/** dw = ∂(Σ y·dy)/∂w: [outC, inC/groups, kH, kW] summed over the batch, or [batch, ...] per sample. */
export function naiveConv2dBackwardFilter(x: ArrayLike<number>, dy: ArrayLike<number>, p: NaiveConvParams): Float64Array {
  const size = (p.perSampleWeights ? p.batch : 1) * p.outC * (p.inC / p.groups) * p.kH * p.kW;
  const dw = new Float64Array(size);
  forEachTerm(p, (xi, wi, yi) => {
    dw[wi] += x[xi] * dy[yi];
  });
  return dw;
}
