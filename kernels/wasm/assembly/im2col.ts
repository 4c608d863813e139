// Unfolding a block of output pixels into conv columns (im2col) and folding column gradients back (col2im).

import { arg, at, copyF32, zeroF32 } from './args';
import {
  C_DH, C_DW, C_INCPG, C_INH, C_INW, C_KH, C_KW, C_OUTW, C_PADL, C_PADT, C_SH, C_SW,
} from './layout';

/** First output column whose input column ox*s + ix0 is >= 0. */
@inline function firstValid(ix0: i32, s: i32): i32 {
  return ix0 >= 0 ? 0 : (-ix0 + s - 1) / s;
}

/** One past the last output column whose input column ox*s + ix0 is < inW (clamped to outW). */
@inline function endValid(ix0: i32, s: i32, inW: i32, outW: i32): i32 {
  const last = inW - 1 - ix0;
  return last < 0 ? 0 : min(outW, last / s + 1);
}

/**
 * col[k][j] = x[c, oy*sH + ky*dH - padT, ox*sW + kx*dW - padL] (0 in the padding) for
 * k = (c, ky, kx) over the group's channels and j < n, pixel p = p0 + j = (oy, ox).
 * xg: the group's first input channel. Rows of col are ldcol floats apart.
 */
export function im2colBlock(g: usize, xg: usize, p0: i32, n: i32, col: usize, ldcol: i32): void {
  const cg = arg(g, C_INCPG), inH = arg(g, C_INH), inW = arg(g, C_INW), outW = arg(g, C_OUTW);
  const kH = arg(g, C_KH), kW = arg(g, C_KW), sH = arg(g, C_SH), sW = arg(g, C_SW);
  const dH = arg(g, C_DH), dW = arg(g, C_DW), padT = arg(g, C_PADT), padL = arg(g, C_PADL);
  const plane = inH * inW;
  let row = col;
  const rowBytes = <usize>ldcol << 2;
  for (let c = 0; c < cg; c++) {
    const xc = at(xg, c * plane);
    for (let ky = 0; ky < kH; ky++) {
      const iy0 = ky * dH - padT;
      for (let kx = 0; kx < kW; kx++) {
        const ix0 = kx * dW - padL;
        const lo = firstValid(ix0, sW), hi = max(lo, endValid(ix0, sW, inW, outW));
        let oy = p0 / outW, ox = p0 - oy * outW, j = 0;
        while (j < n) {
          const seg = min(outW - ox, n - j);
          const dst = at(row, j - ox);
          const iy = oy * sH + iy0;
          if (iy < 0 || iy >= inH) {
            zeroF32(at(dst, ox), seg);
          } else {
            const a = max(ox, lo), e = max(a, min(ox + seg, hi));
            zeroF32(at(dst, ox), a - ox);
            const src = iy * inW + ix0;
            if (sW == 1) {
              copyF32(at(dst, a), at(xc, src + a), e - a);
            } else {
              for (let q = a; q < e; q++) store<f32>(at(dst, q), load<f32>(at(xc, src + q * sW)));
            }
            zeroF32(at(dst, e), ox + seg - e);
          }
          j += seg;
          ox = 0;
          oy++;
        }
        row += rowBytes;
      }
    }
  }
}

/**
 * The adjoint of im2colBlock: dxg[c, iy, ix] += col[k][j] for every in-bounds tap.
 * dxg: the group's first input-gradient channel (not cleared here).
 */
export function col2imBlock(g: usize, dxg: usize, p0: i32, n: i32, col: usize, ldcol: i32): void {
  const cg = arg(g, C_INCPG), inH = arg(g, C_INH), inW = arg(g, C_INW), outW = arg(g, C_OUTW);
  const kH = arg(g, C_KH), kW = arg(g, C_KW), sH = arg(g, C_SH), sW = arg(g, C_SW);
  const dH = arg(g, C_DH), dW = arg(g, C_DW), padT = arg(g, C_PADT), padL = arg(g, C_PADL);
  const plane = inH * inW;
  let row = col;
  const rowBytes = <usize>ldcol << 2;
  for (let c = 0; c < cg; c++) {
    const xc = at(dxg, c * plane);
    for (let ky = 0; ky < kH; ky++) {
      const iy0 = ky * dH - padT;
      for (let kx = 0; kx < kW; kx++) {
        const ix0 = kx * dW - padL;
        const lo = firstValid(ix0, sW), hi = max(lo, endValid(ix0, sW, inW, outW));
        let oy = p0 / outW, ox = p0 - oy * outW, j = 0;
        while (j < n) {
          const seg = min(outW - ox, n - j);
          const iy = oy * sH + iy0;
          if (iy >= 0 && iy < inH) {
            const src = at(row, j - ox);
            const a = max(ox, lo), e = max(a, min(ox + seg, hi));
            const base = iy * inW + ix0;
            if (sW == 1) {
              const d = at(xc, base);
              let q = a;
              for (; q + 4 <= e; q += 4) {
                v128.store(at(d, q), f32x4.add(v128.load(at(d, q)), v128.load(at(src, q))));
              }
              for (; q < e; q++) store<f32>(at(d, q), load<f32>(at(d, q)) + load<f32>(at(src, q)));
            } else {
              for (let q = a; q < e; q++) {
                const d = at(xc, base + q * sW);
                store<f32>(d, load<f32>(d) + load<f32>(at(src, q)));
              }
            }
          }
          j += seg;
          ox = 0;
          oy++;
        }
        row += rowBytes;
      }
    }
  }
}
