// Reference 2-D max and average pooling, forward and backward; padded cells never win a max.

import type { FloatArray } from '../../core/dtype.js';
import type { Pool2dGeometry } from '../geometry/pool.js';

/** In-bounds window rows/cols [lo, hi) of output index o along one dim. */
function span(o: number, stride: number, pad: number, k: number, size: number): [number, number] {
  const start = o * stride - pad;
  return [Math.max(start, 0), Math.min(start + k, size)];
}

/** Offset (within its plane) of the first maximum of window (oh, ow); a NaN wins as soon as it is seen. */
function argmaxAt(x: FloatArray, base: number, oh: number, ow: number, g: Pool2dGeometry): number {
  const [h0, h1] = span(oh, g.strideH, g.padTop, g.kH, g.inH);
  const [w0, w1] = span(ow, g.strideW, g.padLeft, g.kW, g.inW);
  let best = h0 * g.inW + w0;
  let m = x[base + best];
  if (m !== m) return best;
  for (let ih = h0; ih < h1; ih++) {
    const row = ih * g.inW;
    for (let iw = w0; iw < w1; iw++) {
      const v = x[base + row + iw];
      if (v > m) {
        m = v;
        best = row + iw;
      } else if (v !== v) return row + iw;
    }
  }
  return best;
}

/**
 * y[b, c, oh, ow] = max over the in-bounds cells of the window.
 * @param x [B, C, H, W] @param out [B, C, outH, outW] written
 */
export function maxPool2dForward(x: FloatArray, out: FloatArray, g: Pool2dGeometry): void {
  const planes = g.batch * g.channels;
  const inPlane = g.inH * g.inW;
  for (let pl = 0, po = 0; pl < planes; pl++) {
    const base = pl * inPlane;
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++, po++) out[po] = x[base + argmaxAt(x, base, oh, ow, g)];
    }
  }
}

/**
 * dx: each dy[b, c, oh, ow] added to the cell of the first maximum of its window (recomputed from x).
 * @param x [B, C, H, W] @param dy [B, C, outH, outW] @param out [B, C, H, W] written
 */
export function maxPool2dBackward(x: FloatArray, dy: FloatArray, out: FloatArray, g: Pool2dGeometry): void {
  const planes = g.batch * g.channels;
  const inPlane = g.inH * g.inW;
  const acc = new Float64Array(inPlane);
  for (let pl = 0, po = 0; pl < planes; pl++) {
    const base = pl * inPlane;
    acc.fill(0);
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++, po++) acc[argmaxAt(x, base, oh, ow, g)] += dy[po];
    }
    for (let i = 0; i < inPlane; i++) out[base + i] = acc[i];
  }
}

/** The divisor of window (oh, ow): kH*kW with countIncludePad, else its in-bounds cell count. */
function divisor(oh: number, ow: number, g: Pool2dGeometry): number {
  if (g.countIncludePad) return g.kH * g.kW;
  const [h0, h1] = span(oh, g.strideH, g.padTop, g.kH, g.inH);
  const [w0, w1] = span(ow, g.strideW, g.padLeft, g.kW, g.inW);
  return (h1 - h0) * (w1 - w0);
}

/**
 * y[b, c, oh, ow] = (sum of the in-bounds cells of the window) / divisor.
 * @param x [B, C, H, W] @param out [B, C, outH, outW] written
 */
export function avgPool2dForward(x: FloatArray, out: FloatArray, g: Pool2dGeometry): void {
  const planes = g.batch * g.channels;
  const inPlane = g.inH * g.inW;
  for (let pl = 0, po = 0; pl < planes; pl++) {
    const base = pl * inPlane;
    for (let oh = 0; oh < g.outH; oh++) {
      const [h0, h1] = span(oh, g.strideH, g.padTop, g.kH, g.inH);
      for (let ow = 0; ow < g.outW; ow++, po++) {
        const [w0, w1] = span(ow, g.strideW, g.padLeft, g.kW, g.inW);
        let s = 0;
        for (let ih = h0; ih < h1; ih++) {
          const row = base + ih * g.inW;
          for (let iw = w0; iw < w1; iw++) s += x[row + iw];
        }
        out[po] = s / divisor(oh, ow, g);
      }
    }
  }
}

/**
 * dx[cell] = sum over the windows containing the cell of dy / divisor.
 * @param dy [B, C, outH, outW] @param out [B, C, H, W] written
 */
export function avgPool2dBackward(dy: FloatArray, out: FloatArray, g: Pool2dGeometry): void {
  const planes = g.batch * g.channels;
  const inPlane = g.inH * g.inW;
  const acc = new Float64Array(inPlane);
  for (let pl = 0, po = 0; pl < planes; pl++) {
    acc.fill(0);
    for (let oh = 0; oh < g.outH; oh++) {
      const [h0, h1] = span(oh, g.strideH, g.padTop, g.kH, g.inH);
      for (let ow = 0; ow < g.outW; ow++, po++) {
        const [w0, w1] = span(ow, g.strideW, g.padLeft, g.kW, g.inW);
        const v = dy[po] / divisor(oh, ow, g);
        for (let ih = h0; ih < h1; ih++) {
          const row = ih * g.inW;
          for (let iw = w0; iw < w1; iw++) acc[row + iw] += v;
        }
      }
    }
    const base = pl * inPlane;
    for (let i = 0; i < inPlane; i++) out[base + i] = acc[i];
  }
}
