// Max and average 2-D pooling, forward and backward, one plane per work item; 2×2 and 1×2 (1-D) stride-2 max pooling are vectorised.

import { arg, at, nextItem, ptr, zeroF32 } from './args';
import {
  P_DY, P_INCLPAD, P_INH, P_INW, P_KH, P_KW, P_OUTH, P_OUTW, P_PADL, P_PADT, P_SH,
  P_SW, P_X, P_Y,
} from './layout';

/** Offset within the plane of the first maximum of window (oh, ow); a NaN wins when first seen. */
function argmax(x: usize, g: usize, oh: i32, ow: i32): i32 {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), kH = arg(g, P_KH), kW = arg(g, P_KW);
  const hs = oh * arg(g, P_SH) - arg(g, P_PADT), ws = ow * arg(g, P_SW) - arg(g, P_PADL);
  const h0 = max(hs, 0), h1 = min(hs + kH, inH), w0 = max(ws, 0), w1 = min(ws + kW, inW);
  let best = h0 * inW + w0;
  let m = load<f32>(at(x, best));
  if (m != m) return best;
  for (let ih = h0; ih < h1; ih++) {
    for (let iw = w0; iw < w1; iw++) {
      const o = ih * inW + iw;
      const v = load<f32>(at(x, o));
      if (v > m) {
        m = v;
        best = o;
      } else if (v != v) {
        return o;
      }
    }
  }
  return best;
}

/** True for 2×2 windows at stride 2 without padding: disjoint windows, all in bounds. */
@inline function is2x2(g: usize): bool {
  return arg(g, P_KH) == 2 && arg(g, P_KW) == 2 && arg(g, P_SH) == 2 && arg(g, P_SW) == 2 && arg(g, P_PADT) == 0 && arg(g, P_PADL) == 0;
}

/** Even float lanes of the 8 floats a|b (window column 0 of four adjacent 2-wide windows). */
@inline function evens(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 2, 4, 6);
}

/** Odd float lanes of the 8 floats a|b (window column 1). */
@inline function odds(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 1, 3, 5, 7);
}

/** Lanes where cell v replaces the running maximum m by argmax's rule: v is larger, or v is the first NaN. */
@inline function takes(v: v128, m: v128): v128 {
  return v128.or(f32x4.gt(v, m), v128.and(f32x4.ne(v, v), f32x4.eq(m, m)));
}

/** Maxima of four adjacent 2×2 windows whose top-left cells are at r0 and r1 (the next row), cells in row-major order. */
@inline function max4(r0: usize, r1: usize): v128 {
  const a = v128.load(r0), b = v128.load(r0, 16), c = v128.load(r1), d = v128.load(r1, 16);
  let m = evens(a, b);
  const v1 = odds(a, b), v2 = evens(c, d), v3 = odds(c, d);
  m = v128.bitselect(v1, m, takes(v1, m));
  m = v128.bitselect(v2, m, takes(v2, m));
  return v128.bitselect(v3, m, takes(v3, m));
}

/** Which cell (0..3, row-major) of each of four adjacent 2×2 windows wins, as max4 decides. */
@inline function winner4(r0: usize, r1: usize): v128 {
  const a = v128.load(r0), b = v128.load(r0, 16), c = v128.load(r1), d = v128.load(r1, 16);
  let m = evens(a, b);
  let code = i32x4.splat(0);
  const v1 = odds(a, b), v2 = evens(c, d), v3 = odds(c, d);
  let t = takes(v1, m);
  m = v128.bitselect(v1, m, t);
  code = v128.bitselect(i32x4.splat(1), code, t);
  t = takes(v2, m);
  m = v128.bitselect(v2, m, t);
  code = v128.bitselect(i32x4.splat(2), code, t);
  t = takes(v3, m);
  return v128.bitselect(i32x4.splat(3), code, t);
}

/** 2×2 stride-2 max pooling of one plane: four outputs per step, argmax's scalar loop for the rest of a row. */
function maxPool2x2Plane(xp: usize, yp: usize, g: usize): void {
  const inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  for (let oh = 0; oh < outH; oh++) {
    const r0 = at(xp, 2 * oh * inW), yr = at(yp, oh * outW);
    let ow = 0;
    for (; ow + 4 <= outW; ow += 4) v128.store(at(yr, ow), max4(at(r0, 2 * ow), at(r0, 2 * ow + inW)));
    // A ragged end reruns the last four windows (the same values again) when the row has four.
    if (ow < outW && outW >= 4) {
      ow = outW - 4;
      v128.store(at(yr, ow), max4(at(r0, 2 * ow), at(r0, 2 * ow + inW)));
      ow = outW;
    }
    for (; ow < outW; ow++) store<f32>(at(yr, ow), load<f32>(at(xp, argmax(xp, g, oh, ow))));
  }
}

/** dx of one plane for 2×2 stride-2 max pooling: each window's winner gets 0 + dy, its other cells 0. */
function maxPool2x2BackwardPlane(xp: usize, dyp: usize, dxp: usize, g: usize): void {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  // Rows or columns no window covers (odd sizes) stay zero; every covered cell is written below.
  if (inH != 2 * outH || inW != 2 * outW) zeroF32(dxp, inH * inW);
  const z = f32x4.splat(0);
  for (let oh = 0; oh < outH; oh++) {
    const r0 = 2 * oh * inW, r1 = r0 + inW, dyr = at(dyp, oh * outW);
    let ow = 0;
    // A ragged end reruns the last four windows (writing the same cells again) when the row has four.
    for (let next = 0; next < outW && outW >= 4; next += 4) {
      ow = min(next, outW - 4);
      const c = winner4(at(xp, r0 + 2 * ow), at(xp, r1 + 2 * ow));
      // 0 + dy, as the scalar path accumulates into zeros (so a -0 gradient lands as +0).
      const dy = f32x4.add(z, v128.load(at(dyr, ow)));
      const d0 = v128.and(dy, i32x4.eq(c, i32x4.splat(0))), d1 = v128.and(dy, i32x4.eq(c, i32x4.splat(1)));
      const d2 = v128.and(dy, i32x4.eq(c, i32x4.splat(2))), d3 = v128.and(dy, i32x4.eq(c, i32x4.splat(3)));
      const t = at(dxp, r0 + 2 * ow), b = at(dxp, r1 + 2 * ow);
      v128.store(t, v128.shuffle<f32>(d0, d1, 0, 4, 1, 5));
      v128.store(t, v128.shuffle<f32>(d0, d1, 2, 6, 3, 7), 16);
      v128.store(b, v128.shuffle<f32>(d2, d3, 0, 4, 1, 5));
      v128.store(b, v128.shuffle<f32>(d2, d3, 2, 6, 3, 7), 16);
      ow += 4;
    }
    for (; ow < outW; ow++) {
      const c0 = r0 + 2 * ow;
      store<f32>(at(dxp, c0), 0);
      store<f32>(at(dxp, c0 + 1), 0);
      store<f32>(at(dxp, c0 + inW), 0);
      store<f32>(at(dxp, c0 + inW + 1), 0);
      const d = at(dxp, argmax(xp, g, oh, ow));
      store<f32>(d, <f32>0 + load<f32>(at(dyr, ow)));
    }
  }
}

/** True for 1×2 windows at stride 2 without padding (1-D max pooling, k = 2), four or more to a row (shorter rows take the scalar loop). */
@inline function is1x2(g: usize): bool {
  return arg(g, P_OUTW) >= 4 && arg(g, P_KH) == 1 && arg(g, P_KW) == 2 && arg(g, P_SH) == 1 && arg(g, P_SW) == 2 && arg(g, P_PADT) == 0 && arg(g, P_PADL) == 0;
}

/** Maxima of four adjacent 1×2 windows starting at r, by argmax's rule. */
@inline function max4row(r: usize): v128 {
  const a = v128.load(r), b = v128.load(r, 16);
  const m = evens(a, b), v = odds(a, b);
  return v128.bitselect(v, m, takes(v, m));
}

/** Lanes (all ones) where the second cell of each of four adjacent 1×2 windows at r wins, as max4row decides. */
@inline function second4row(r: usize): v128 {
  const a = v128.load(r), b = v128.load(r, 16);
  return takes(odds(a, b), evens(a, b));
}

/** 1×2 stride-2 max pooling of one plane with rows of four windows or more: four outputs per step. */
function maxPool1x2Plane(xp: usize, yp: usize, g: usize): void {
  const inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  for (let oh = 0; oh < outH; oh++) {
    const r0 = at(xp, oh * inW), yr = at(yp, oh * outW);
    // A ragged end reruns the last four windows (the same values again).
    for (let next = 0; next < outW; next += 4) {
      const ow = min(next, outW - 4);
      v128.store(at(yr, ow), max4row(at(r0, 2 * ow)));
    }
  }
}

/** dx of one plane for 1×2 stride-2 max pooling (rows of four windows or more): the winner gets 0 + dy, the other cell +0. */
function maxPool1x2BackwardPlane(xp: usize, dyp: usize, dxp: usize, g: usize): void {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  // An odd length leaves its last cell uncovered; every covered cell is written below.
  if (inW != 2 * outW) zeroF32(dxp, inH * inW);
  const z = f32x4.splat(0);
  for (let oh = 0; oh < outH; oh++) {
    const r0 = oh * inW, dyr = at(dyp, oh * outW);
    for (let next = 0; next < outW; next += 4) {
      const ow = min(next, outW - 4);
      const t = second4row(at(xp, r0 + 2 * ow));
      const dy = f32x4.add(z, v128.load(at(dyr, ow)));
      const d0 = v128.andnot(dy, t), d1 = v128.and(dy, t);
      const o = at(dxp, r0 + 2 * ow);
      v128.store(o, v128.shuffle<f32>(d0, d1, 0, 4, 1, 5));
      v128.store(o, v128.shuffle<f32>(d0, d1, 2, 6, 3, 7), 16);
    }
  }
}

/** y = max over each window, for the planes claimed with nextItem. */
export function maxPoolForward(g: usize): void {
  const inP = arg(g, P_INH) * arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const x = ptr(g, P_X), y = ptr(g, P_Y);
  const fast = is2x2(g), row = is1x2(g);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const xp = at(x, pl * inP), yp = at(y, pl * outH * outW);
    if (fast) {
      maxPool2x2Plane(xp, yp, g);
      continue;
    }
    if (row) {
      maxPool1x2Plane(xp, yp, g);
      continue;
    }
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) store<f32>(at(yp, oh * outW + ow), load<f32>(at(xp, argmax(xp, g, oh, ow))));
    }
  }
}

/** dx: dy routed to the first maximum of each window, for the planes claimed with nextItem. Y is dx. */
export function maxPoolBackward(g: usize): void {
  const inP = arg(g, P_INH) * arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const x = ptr(g, P_X), dy = ptr(g, P_DY), dx = ptr(g, P_Y);
  const fast = is2x2(g), row = is1x2(g);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const xp = at(x, pl * inP), dyp = at(dy, pl * outH * outW), dxp = at(dx, pl * inP);
    if (fast) {
      maxPool2x2BackwardPlane(xp, dyp, dxp, g);
      continue;
    }
    if (row) {
      maxPool1x2BackwardPlane(xp, dyp, dxp, g);
      continue;
    }
    zeroF32(dxp, inP);
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const d = at(dxp, argmax(xp, g, oh, ow));
        store<f32>(d, load<f32>(d) + load<f32>(at(dyp, oh * outW + ow)));
      }
    }
  }
}

/** Divisor of window (oh, ow): the full window, or its in-bounds cell count. */
@inline function divisor(g: usize, h0: i32, h1: i32, w0: i32, w1: i32): f32 {
  return arg(g, P_INCLPAD) != 0 ? <f32>(arg(g, P_KH) * arg(g, P_KW)) : <f32>((h1 - h0) * (w1 - w0));
}

/** y = window sum / divisor, for the planes claimed with nextItem. */
export function avgPoolForward(g: usize): void {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const kH = arg(g, P_KH), kW = arg(g, P_KW), sH = arg(g, P_SH), sW = arg(g, P_SW);
  const padT = arg(g, P_PADT), padL = arg(g, P_PADL);
  const x = ptr(g, P_X), y = ptr(g, P_Y);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const xp = at(x, pl * inH * inW), yp = at(y, pl * outH * outW);
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - padT, h0 = max(hs, 0), h1 = min(hs + kH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const ws = ow * sW - padL, w0 = max(ws, 0), w1 = min(ws + kW, inW);
        let s: f32 = 0;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) s += load<f32>(at(xp, ih * inW + iw));
        }
        store<f32>(at(yp, oh * outW + ow), s / divisor(g, h0, h1, w0, w1));
      }
    }
  }
}

/** dx[cell] = Σ over windows holding the cell of dy / divisor, for the planes claimed with nextItem. Y is dx. */
export function avgPoolBackward(g: usize): void {
  const inH = arg(g, P_INH), inW = arg(g, P_INW), outH = arg(g, P_OUTH), outW = arg(g, P_OUTW);
  const kH = arg(g, P_KH), kW = arg(g, P_KW), sH = arg(g, P_SH), sW = arg(g, P_SW);
  const padT = arg(g, P_PADT), padL = arg(g, P_PADL);
  const dy = ptr(g, P_DY), dx = ptr(g, P_Y);
  for (let pl = nextItem(g, -1); pl >= 0; pl = nextItem(g, pl)) {
    const dxp = at(dx, pl * inH * inW), dyp = at(dy, pl * outH * outW);
    zeroF32(dxp, inH * inW);
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - padT, h0 = max(hs, 0), h1 = min(hs + kH, inH);
      for (let ow = 0; ow < outW; ow++) {
        const ws = ow * sW - padL, w0 = max(ws, 0), w1 = min(ws + kW, inW);
        const v = load<f32>(at(dyp, oh * outW + ow)) / divisor(g, h0, h1, w0, w1);
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const d = at(dxp, ih * inW + iw);
            store<f32>(d, load<f32>(d) + v);
          }
        }
      }
    }
  }
}
