// Strided depthwise input gradient by stride phases: dx[s*m + r] is a stride-1 correlation of dy with the taps of phase r.

import { at, arg, copyF32, ptr, zeroF32 } from './args';
import { SLACK, padPlane } from './plane';
import { taps16 } from './depthwise_taps';
import {
  C_DH, C_DW, C_INH, C_INW, C_KH, C_KW, C_OUTC, C_OUTCPG, C_OUTH, C_OUTW, C_PADL, C_PADT, C_SH, C_SW, C_W, C_WSTRIDE, C_X,
} from './layout';

/** a / s for an exact multiple, else the sentinel 1 << 30 (a % s uses the dividend's sign). */
@inline function exactDiv(a: i32, s: i32): i32 {
  return a % s == 0 ? a / s : 1 << 30;
}

/**
 * dxc [inH, inW] of sample b, channel c, summed over the channel's mult kernels: for each phase
 * (ry, rx), dx[ry + sH*my, rx + sW*mx] = Σ_{taps of the phase} w[ky, kx] · dy[my + qy, mx + qx] with
 * qy = (ry + padT - ky*dH) / sH exact (likewise qx). Scratch: tap table, a padded dy plane and a wide
 * output plane (see dwPhaseScratchFloats on the host).
 */
export function dwBackwardInputPhases(g: usize, b: i32, c: i32, dxc: usize, scratch: usize): void {
  const inH = arg(g, C_INH), inW = arg(g, C_INW), outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW);
  const mult = arg(g, C_OUTCPG), kH = arg(g, C_KH), kW = arg(g, C_KW), kk = kH * kW, wStride = arg(g, C_WSTRIDE);
  const sH = arg(g, C_SH), sW = arg(g, C_SW), dH = arg(g, C_DH), dW = arg(g, C_DW);
  const padT = arg(g, C_PADT), padL = arg(g, C_PADL);
  const dy = ptr(g, C_X), w = ptr(g, C_W);
  const tab = scratch, wv = at(tab, kk + 4), pad = at(wv, kk + 4);
  zeroF32(dxc, inH * inW);
  for (let ry = 0; ry < sH && ry < inH; ry++) {
    const myN = (inH - ry + sH - 1) / sH;
    for (let rx = 0; rx < sW && rx < inW; rx++) {
      const mxN = (inW - rx + sW - 1) / sW;
      // The phase's taps and the dy window they read.
      let qyLo = 0, qyHi = 0, qxLo = 0, qxHi = 0, n = 0;
      for (let ky = 0; ky < kH; ky++) {
        const qy = exactDiv(ry + padT - ky * dH, sH);
        if (qy == 1 << 30) continue;
        for (let kx = 0; kx < kW; kx++) {
          const qx = exactDiv(rx + padL - kx * dW, sW);
          if (qx == 1 << 30) continue;
          if (n == 0) { qyLo = qy; qyHi = qy; qxLo = qx; qxHi = qx; }
          qyLo = min(qyLo, qy); qyHi = max(qyHi, qy); qxLo = min(qxLo, qx); qxHi = max(qxHi, qx);
          n++;
        }
      }
      if (n == 0) continue;
      const rowLo = min(0, qyLo), colLo = min(0, qxLo);
      const hq = max(outH, myN + qyHi) - rowLo, wq = max(outW, mxN + qxHi) - colLo;
      const wide = at(pad, hq * wq + SLACK), total = (myN - 1) * wq + mxN;
      for (let m = 0; m < mult; m++) {
        const oc = c * mult + m;
        const wt = at(w, b * wStride + oc * kk);
        let t = 0;
        for (let ky = 0; ky < kH; ky++) {
          const qy = exactDiv(ry + padT - ky * dH, sH);
          if (qy == 1 << 30) continue;
          for (let kx = 0; kx < kW; kx++) {
            const qx = exactDiv(rx + padL - kx * dW, sW);
            if (qx == 1 << 30) continue;
            store<i32>(at(tab, t), ((qy - rowLo) * wq + qx - colLo) << 2);
            store<f32>(at(wv, t), load<f32>(at(wt, ky * kW + kx)));
            t++;
          }
        }
        padPlane(at(dy, (b * outC + oc) * outH * outW), outH, outW, -rowLo, -colLo, pad, hq, wq);
        for (let q = 0; q < total; q += 16) taps16(at(pad, q), tab, wv, n, false, 16, at(wide, q), m > 0);
      }
      for (let my = 0; my < myN; my++) {
        const src = at(wide, my * wq), dst = at(dxc, (ry + sH * my) * inW + rx);
        if (sW == 1) {
          copyF32(dst, src, mxN);
        } else {
          for (let mx = 0; mx < mxN; mx++) store<f32>(at(dst, sW * mx), load<f32>(at(src, mx)));
        }
      }
    }
  }
}
