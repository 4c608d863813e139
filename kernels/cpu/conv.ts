// Reference conv2d (forward, backward-input, backward-filter) via im2col + the packed GEMM, incl. groups and per-sample weights.

import type { FloatArray } from '../../core/dtype.js';
import type { Conv2dGeometry } from '../geometry/conv.js';
import { gemm } from './gemm.js';

let colsBuf: Float64Array = new Float64Array(0);
let planeBuf: Float64Array = new Float64Array(0);

function scratch(buf: Float64Array, n: number): Float64Array {
  return buf.length >= n ? buf : new Float64Array(n);
}

/** The [lo, hi) range of output columns whose input column ow*strideW + iw0 lies inside [0, inW). */
function validCols(iw0: number, g: Conv2dGeometry): [number, number] {
  const lo = iw0 >= 0 ? 0 : Math.min(g.outW, Math.ceil(-iw0 / g.strideW));
  const hi = Math.min(g.outW, Math.floor((g.inW - 1 - iw0) / g.strideW) + 1);
  return [lo, Math.max(lo, hi)];
}

/**
 * Unfolds the inCPerGroup channels of x starting at xOff into cols [Cg*kH*kW, outH*outW]:
 * row (c, kh, kw), column (oh, ow) holds x[c, oh*sH - padTop + kh*dH, ow*sW - padLeft + kw*dW], 0 when padded.
 */
function im2col(x: FloatArray, xOff: number, g: Conv2dGeometry, cols: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const N = outH * outW;
  let p = 0;
  for (let c = 0; c < g.inCPerGroup; c++) {
    const xc = xOff + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, p += N) {
        const iw0 = kw * dilationW - padLeft;
        const [lo, hi] = validCols(iw0, g);
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padTop + kh * dilationH;
          const row = p + oh * outW;
          if (ih < 0 || ih >= inH) {
            cols.fill(0, row, row + outW);
            continue;
          }
          cols.fill(0, row, row + lo);
          const xr = xc + ih * inW + iw0;
          for (let ow = lo, q = xr + lo * strideW; ow < hi; ow++, q += strideW) cols[row + ow] = x[q];
          cols.fill(0, row + hi, row + outW);
        }
      }
    }
  }
}

/** Folds cols [Cg*kH*kW, outH*outW] back onto dx [Cg, inH, inW], summing overlaps (the adjoint of im2col). */
function col2im(cols: Float64Array, g: Conv2dGeometry, dx: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft } = g;
  const N = outH * outW;
  dx.fill(0, 0, g.inCPerGroup * inH * inW);
  let p = 0;
  for (let c = 0; c < g.inCPerGroup; c++) {
    const xc = c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, p += N) {
        const iw0 = kw * dilationW - padLeft;
        const [lo, hi] = validCols(iw0, g);
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * strideH - padTop + kh * dilationH;
          if (ih < 0 || ih >= inH) continue;
          const row = p + oh * outW;
          const xr = xc + ih * inW + iw0;
          for (let ow = lo, q = xr + lo * strideW; ow < hi; ow++, q += strideW) dx[q] += cols[row + ow];
        }
      }
    }
  }
}

/**
 * y = conv2d(x, w). Sample b uses the kernel at b * weightSize when g.perSampleWeights, else the shared one.
 * @param x [B, C, H, W] @param w [O, C/groups, kH, kW] or [B, O, C/groups, kH, kW]
 * @param out [B, O, outH, outW] written
 */
export function conv2dForward(x: FloatArray, w: FloatArray, out: FloatArray, g: Conv2dGeometry): void {
  const N = g.outH * g.outW;
  const Kc = g.inCPerGroup * g.kH * g.kW;
  const Og = g.outCPerGroup;
  const direct = g.pointwise; // x itself is the column matrix
  if (!direct) colsBuf = scratch(colsBuf, Kc * N);
  const wStride = g.perSampleWeights ? g.weightSize : 0;
  for (let b = 0; b < g.batch; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (b * g.inC + gi * g.inCPerGroup) * g.inH * g.inW;
      if (!direct) im2col(x, xOff, g, colsBuf);
      gemm(
        Og,
        N,
        Kc,
        { data: w, off: b * wStride + gi * Og * Kc, rs: Kc, cs: 1 },
        direct ? { data: x, off: xOff, rs: N, cs: 1 } : { data: colsBuf, off: 0, rs: N, cs: 1 },
        out,
        (b * g.outC + gi * Og) * N,
        N,
        false,
      );
    }
  }
}

/**
 * dx = conv2d's input gradient: the transpose of the forward map applied to dy.
 * @param dy [B, O, outH, outW] @param w [O, C/groups, kH, kW] or [B, O, C/groups, kH, kW]
 * @param out [B, C, H, W] written
 */
export function conv2dBackwardInput(dy: FloatArray, w: FloatArray, out: FloatArray, g: Conv2dGeometry): void {
  const N = g.outH * g.outW;
  const Kc = g.inCPerGroup * g.kH * g.kW;
  const Og = g.outCPerGroup;
  const plane = g.inCPerGroup * g.inH * g.inW;
  const direct = g.pointwise; // x itself is the column matrix
  if (!direct) {
    colsBuf = scratch(colsBuf, Kc * N);
    planeBuf = scratch(planeBuf, plane);
  }
  const wStride = g.perSampleWeights ? g.weightSize : 0;
  for (let b = 0; b < g.batch; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (b * g.inC + gi * g.inCPerGroup) * g.inH * g.inW;
      const wT = { data: w, off: b * wStride + gi * Og * Kc, rs: 1, cs: Kc };
      const dyg = { data: dy, off: (b * g.outC + gi * Og) * N, rs: N, cs: 1 };
      if (direct) {
        gemm(Kc, N, Og, wT, dyg, out, xOff, N, false);
        continue;
      }
      gemm(Kc, N, Og, wT, dyg, colsBuf, 0, N, false);
      col2im(colsBuf, g, planeBuf);
      for (let i = 0; i < plane; i++) out[xOff + i] = planeBuf[i];
    }
  }
}

/**
 * dw = conv2d's filter gradient: summed over the batch into [O, C/groups, kH, kW], or one
 * kernel gradient per sample, [B, O, C/groups, kH, kW], when g.perSampleWeights.
 * @param x [B, C, H, W] @param dy [B, O, outH, outW] @param out dw, written
 */
export function conv2dBackwardFilter(x: FloatArray, dy: FloatArray, out: FloatArray, g: Conv2dGeometry): void {
  const N = g.outH * g.outW;
  const Kc = g.inCPerGroup * g.kH * g.kW;
  const Og = g.outCPerGroup;
  const direct = g.pointwise; // x itself is the column matrix
  if (!direct) colsBuf = scratch(colsBuf, Kc * N);
  // Shared weights: sum the batch in float64 and round once at the end.
  const acc = g.perSampleWeights ? null : new Float64Array(g.weightSize);
  for (let b = 0; b < g.batch; b++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOff = (b * g.inC + gi * g.inCPerGroup) * g.inH * g.inW;
      if (!direct) im2col(x, xOff, g, colsBuf);
      const dyg = { data: dy, off: (b * g.outC + gi * Og) * N, rs: N, cs: 1 };
      const colsT = direct ? { data: x, off: xOff, rs: 1, cs: N } : { data: colsBuf, off: 0, rs: 1, cs: N };
      if (acc === null) gemm(Og, Kc, N, dyg, colsT, out, b * g.weightSize + gi * Og * Kc, Kc, false);
      else gemm(Og, Kc, N, dyg, colsT, acc, gi * Og * Kc, Kc, true);
    }
  }
  if (acc !== null) out.set(acc);
}
