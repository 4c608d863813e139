// Depthwise conv (groups == inC) entry points (forward, input and filter gradients): 3x3 stride-1/2 planes go to the
// column sweeps (depthwise3x3*.ts, depthwise_*3x3*.ts), other strides to depthwise_phases.ts, the rest to the padded-plane kernels here.

import { addF32, arg, at, copyF32, nextItem, ptr, zeroF32 } from './args';
import { SLACK, padPlane } from './plane';
import { dwBackwardInputPhases } from './depthwise_phases';
import { lanes, taps16 } from './depthwise_taps';
import { hsum, madd } from './madd';
import { dw3x3s1, dw3x3same } from './depthwise3x3';
import { dw3x3s2 } from './depthwise3x3s2';
import { dwFilter3x3s2, dwFilter3x3same } from './depthwise_filter3x3';
import { dwInput3x3s2 } from './depthwise_input3x3s2';
import {
  C_DH, C_DW, C_INC, C_INH, C_INW, C_KH, C_KW, C_OSTRIDE, C_OUTC, C_OUTCPG, C_OUTH,
  C_OUTW, C_PADL, C_PADT, C_SCRATCH, C_SH, C_SW, C_W, C_WSTRIDE, C_X, C_Y,
} from './layout';

/**
 * dst[oy, ox] (+)= Σ_t w[t] · src_pad[oy*sH + ky*dH - padT, ox*sW + kx*dW - padL] over taps
 * t = (ky, kx), with w read reversed when flip. src [h, w], dst [oh, ow]. Scratch: tap table,
 * 64-byte tail, the padded plane and (stride 1) a wide output plane, each hp*wp + SLACK floats.
 */
function dwPlane(src: usize, h: i32, w: i32, padT: i32, padL: i32, dst: usize, oh: i32, ow: i32,
  sH: i32, sW: i32, dH: i32, dW: i32, kH: i32, kW: i32, wt: usize, flip: bool, acc: bool, scratch: usize): void {
  const kk = kH * kW;
  const hp = (oh - 1) * sH + (kH - 1) * dH + 1, wp = (ow - 1) * sW + (kW - 1) * dW + 1;
  const tab = scratch, tail = tab + (<usize>(2 * kk + 4) << 2), pad = tail + 64;
  if (kH == 3 && kW == 3 && dH == 1 && dW == 1 && sH == sW && sH <= 2) {
    // The 3x3 sweeps read the 9 taps in place (reversed into the table when flipped), no offsets.
    let wv = wt;
    if (flip) {
      for (let t = 0; t < 9; t++) store<f32>(at(tab, t), load<f32>(at(wt, 8 - t)));
      wv = tab;
    }
    if (sH == 2) {
      if (dw3x3s2(src, h, w, padT, padL, wv, dst, oh, ow, acc)) return;
    } else if (padT == 1 && padL == 1 && h == oh && w == ow && w >= 5) {
      dw3x3same(src, h, w, wv, dst, acc);
      return;
    } else {
      padPlane(src, h, w, padT, padL, pad, hp, wp);
      dw3x3s1(pad, wp, wv, dst, oh, ow, acc);
      return;
    }
  }
  for (let t = 0; t < kk; t++) {
    const ky = t / kW, kx = t - ky * kW;
    store<i32>(at(tab, t), (ky * dH * wp + kx * dW) << 2);
    store<f32>(at(tab, kk + t), load<f32>(at(wt, flip ? kk - 1 - t : t)));
  }
  const wv = at(tab, kk);
  padPlane(src, h, w, padT, padL, pad, hp, wp);
  if (sH == 1 && sW == 1) {
    // Wide outputs q = oy*wp + ox run contiguously over the padded plane; rows are compacted after.
    const wide = at(pad, hp * wp + SLACK), total = (oh - 1) * wp + ow;
    for (let q = 0; q < total; q += 16) taps16(at(pad, q), tab, wv, kk, false, 16, at(wide, q), false);
    for (let oy = 0; oy < oh; oy++) {
      if (acc) addF32(at(dst, oy * ow), at(wide, oy * wp), ow);
      else copyF32(at(dst, oy * ow), at(wide, oy * wp), ow);
    }
    return;
  }
  if (sW > 2) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const base = at(pad, oy * sH * wp + ox * sW);
        let s: f32 = 0;
        for (let t = 0; t < kk; t++) s += load<f32>(at(wv, t)) * load<f32>(base + <usize>load<i32>(at(tab, t)));
        const d = at(dst, oy * ow + ox);
        store<f32>(d, acc ? load<f32>(d) + s : s);
      }
    }
    return;
  }
  const s2 = sW == 2;
  const step = <usize>(4 * sW) << 2;
  for (let oy = 0; oy < oh; oy++) {
    const rowIn = at(pad, oy * sH * wp), rowOut = at(dst, oy * ow);
    for (let ox = 0; ox < ow; ox += 16) {
      const base = rowIn + (<usize>(ox * sW) << 2);
      if (ox + 16 <= ow) {
        taps16(base, tab, wv, kk, s2, step, at(rowOut, ox), acc);
      } else {
        taps16(base, tab, wv, kk, s2, step, tail, false);
        const d = at(rowOut, ox);
        for (let j = 0, n = ow - ox; j < n; j++) {
          const v = load<f32>(at(tail, j));
          store<f32>(at(d, j), acc ? load<f32>(at(d, j)) + v : v);
        }
      }
    }
  }
}

/** y[b, oc] = depthwise conv of x[b, oc / mult] with kernel oc, for items (b, oc) claimed with nextItem. */
export function dwForward(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW), mult = arg(g, C_OUTCPG);
  const kH = arg(g, C_KH), kW = arg(g, C_KW), kk = kH * kW, wStride = arg(g, C_WSTRIDE);
  const x = ptr(g, C_X), w = ptr(g, C_W), y = ptr(g, C_Y), scratch = ptr(g, C_SCRATCH);
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const b = item / outC, oc = item - b * outC, c = mult == 1 ? oc : oc / mult;
    dwPlane(at(x, (b * inC + c) * inH * inW), inH, inW, arg(g, C_PADT), arg(g, C_PADL),
      at(y, item * outH * outW), outH, outW, arg(g, C_SH), arg(g, C_SW), arg(g, C_DH), arg(g, C_DW),
      kH, kW, at(w, b * wStride + oc * kk), false, false, scratch);
  }
}

/**
 * dx[b, c] for items (b, c) claimed with nextItem: X is dy, Y is dx. Stride 1 runs the flipped kernels
 * over dy; 3x3 stride 2 (padding 0 or 1 before) sweeps dy strips; other strides split dx into stride phases, each a
 * stride-1 correlation of dy.
 */
export function dwBackwardInput(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW), mult = arg(g, C_OUTCPG);
  const kH = arg(g, C_KH), kW = arg(g, C_KW), kk = kH * kW, wStride = arg(g, C_WSTRIDE);
  const sH = arg(g, C_SH), sW = arg(g, C_SW), dH = arg(g, C_DH), dW = arg(g, C_DW);
  const padT = arg(g, C_PADT), padL = arg(g, C_PADL);
  const dy = ptr(g, C_X), w = ptr(g, C_W), dx = ptr(g, C_Y), scratch = ptr(g, C_SCRATCH);
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const b = item / inC, c = item - b * inC;
    const dxc = at(dx, item * inH * inW);
    if (sH == 1 && sW == 1) {
      for (let m = 0; m < mult; m++) {
        const oc = c * mult + m;
        dwPlane(at(dy, (b * outC + oc) * outH * outW), outH, outW, (kH - 1) * dH - padT, (kW - 1) * dW - padL,
          dxc, inH, inW, 1, 1, dH, dW, kH, kW, at(w, b * wStride + oc * kk), true, m > 0, scratch);
      }
      continue;
    }
    const hb = inH + padT - 1, wb = inW + padL - 1;
    if (kH == 3 && kW == 3 && sH == 2 && sW == 2 && dH == 1 && dW == 1 && (padT == 0 || padT == 1) && (padL == 0 || padL == 1) &&
      hb <= 2 * outH && hb >= 2 * outH - 1 && wb <= 2 * outW && wb >= 2 * outW - 1) {
      for (let m = 0; m < mult; m++) {
        const oc = c * mult + m;
        dwInput3x3s2(at(dy, (b * outC + oc) * outH * outW), outH, outW, at(w, b * wStride + oc * kk), dxc, inH, inW, padT, padL, m > 0, scratch);
      }
      continue;
    }
    dwBackwardInputPhases(g, b, c, dxc, scratch);
  }
}

/**
 * Stride 1: out[t] += Σ_q dyw[q] · pad[q + off_t] over wide pixels q = oy*wp + ox, where dyw is dy
 * spread to rows of wp with zeros in the pad columns (built in `wide`). Taps go three at a time
 * so each dy vector feeds three products.
 */
function wideFilterTaps(dyc: usize, oh: i32, ow: i32, pad: usize, wp: i32, kH: i32, kW: i32, dH: i32, dW: i32, wide: usize, out: usize): void {
  const total = (oh - 1) * wp + ow, n8 = (total + 7) & ~7;
  for (let oy = 0; oy < oh; oy++) {
    copyF32(at(wide, oy * wp), at(dyc, oy * ow), ow);
    zeroF32(at(wide, oy * wp + ow), oy + 1 < oh ? wp - ow : n8 - total);
  }
  for (let ky = 0; ky < kH; ky++) {
    for (let kx = 0; kx < kW; kx += 3) {
      const nt = min(3, kW - kx);
      const p0 = at(pad, ky * dH * wp + kx * dW);
      const p1 = nt > 1 ? at(p0, dW) : p0, p2 = nt > 2 ? at(p1, dW) : p1;
      let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0;
      for (let o: usize = 0, e = <usize>n8 << 2; o < e; o += 32) {
        const d0 = v128.load(wide + o), d1 = v128.load(wide + o, 16);
        a0 = madd(d0, v128.load(p0 + o), a0); a1 = madd(d1, v128.load(p0 + o, 16), a1);
        b0 = madd(d0, v128.load(p1 + o), b0); b1 = madd(d1, v128.load(p1 + o, 16), b1);
        c0 = madd(d0, v128.load(p2 + o), c0); c1 = madd(d1, v128.load(p2 + o, 16), c1);
      }
      const t = at(out, ky * kW + kx);
      store<f32>(t, load<f32>(t) + hsum(f32x4.add(a0, a1)));
      if (nt > 1) store<f32>(t, load<f32>(t, 4) + hsum(f32x4.add(b0, b1)), 4);
      if (nt > 2) store<f32>(t, load<f32>(t, 8) + hsum(f32x4.add(c0, c1)), 8);
    }
  }
}

/**
 * dw for items claimed with nextItem: with OSTRIDE 0 an item is a channel oc summed over the batch,
 * else an item is (b, oc) written at b*OSTRIDE. X is x, W is dy, Y is dw.
 */
export function dwBackwardFilter(g: usize): void {
  const batch = arg(g, 0), inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW), mult = arg(g, C_OUTCPG);
  const kH = arg(g, C_KH), kW = arg(g, C_KW), kk = kH * kW, oStride = arg(g, C_OSTRIDE);
  const sH = arg(g, C_SH), sW = arg(g, C_SW), dH = arg(g, C_DH), dW = arg(g, C_DW);
  const x = ptr(g, C_X), dy = ptr(g, C_W), dw = ptr(g, C_Y), pad = ptr(g, C_SCRATCH);
  const hp = (outH - 1) * sH + (kH - 1) * dH + 1, wp = (outW - 1) * sW + (kW - 1) * dW + 1;
  const same3x3 = kH == 3 && kW == 3 && sH == 1 && sW == 1 && dH == 1 && dW == 1 && arg(g, C_PADT) == 1 && arg(g, C_PADL) == 1 &&
    inH == outH && inW == outW && inW >= 5;
  const s2k3 = kH == 3 && kW == 3 && sH == 2 && sW == 2 && dH == 1 && dW == 1;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const perSample = oStride != 0;
    const bFirst = perSample ? item / outC : 0, oc = perSample ? item - bFirst * outC : item;
    const bEnd = perSample ? bFirst + 1 : batch, c = oc / mult;
    const out = at(dw, bFirst * oStride + oc * kk);
    zeroF32(out, kk);
    for (let b = bFirst; b < bEnd; b++) {
      if (same3x3) {
        dwFilter3x3same(at(x, (b * inC + c) * inH * inW), at(dy, (b * outC + oc) * outH * outW), inH, inW, out, pad);
        continue;
      }
      if (s2k3 && dwFilter3x3s2(at(x, (b * inC + c) * inH * inW), at(dy, (b * outC + oc) * outH * outW), inH, inW, arg(g, C_PADT), arg(g, C_PADL),
        outH, outW, out, pad)) continue;
      padPlane(at(x, (b * inC + c) * inH * inW), inH, inW, arg(g, C_PADT), arg(g, C_PADL), pad, hp, wp);
      const dyc = at(dy, (b * outC + oc) * outH * outW);
      if (sH == 1 && sW == 1) {
        wideFilterTaps(dyc, outH, outW, pad, wp, kH, kW, dH, dW, at(pad, hp * wp + SLACK), out);
        continue;
      }
      for (let t = 0; t < kk; t++) {
        const ky = t / kW, kx = t - ky * kW;
        const off = ky * dH * wp + kx * dW;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
        let s: f32 = 0;
        for (let oy = 0; oy < outH; oy++) {
          const d = at(dyc, oy * outW), r = at(pad, oy * sH * wp + off);
          let ox = 0;
          if (sW <= 2) {
            const s2 = sW == 2;
            for (; ox + 8 <= outW; ox += 8) {
              const q = at(r, ox * sW);
              s0 = madd(v128.load(at(d, ox)), lanes(q, s2), s0);
              s1 = madd(v128.load(at(d, ox), 16), lanes(q + (<usize>(4 * sW) << 2), s2), s1);
            }
          }
          for (; ox < outW; ox++) s += load<f32>(at(d, ox)) * load<f32>(at(r, ox * sW));
        }
        const v = f32x4.add(s0, s1);
        s += f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
        store<f32>(at(out, t), load<f32>(at(out, t)) + s);
      }
    }
  }
}
