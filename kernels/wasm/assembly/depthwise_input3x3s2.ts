// Depthwise 3×3 stride-2 input gradient (dilation 1, padding 0 or 1 before): 4-column dy strips that write 8 dx columns of two rows.

import { at } from './args';
import { madd } from './madd';
import { below } from './depthwise3x3s2';

/** Stores or adds (acc) E and O interleaved, dx columns 2x .. 2x + 7; a tail strip writes only n of them through tmp. */
@inline function put2(d: usize, e: v128, o: v128, acc: bool, tail: bool, n: i32, tmp: usize): void {
  const v0 = v128.shuffle<f32>(e, o, 0, 4, 1, 5), v1 = v128.shuffle<f32>(e, o, 2, 6, 3, 7);
  if (!tail) {
    v128.store(d, acc ? f32x4.add(v128.load(d), v0) : v0);
    v128.store(d, acc ? f32x4.add(v128.load(d, 16), v1) : v1, 16);
    return;
  }
  v128.store(tmp, v0);
  v128.store(tmp, v1, 16);
  for (let j = 0; j < n; j++) store<f32>(at(d, j), (acc ? load<f32>(at(d, j)) : 0) + load<f32>(at(tmp, j)));
}

/**
 * dy columns x .. x + 3 (dy at column x, dx at column 2x) of every row: dx row 2a gets taps (1, ·) of dy row a, row
 * 2a + 1 taps (2, ·) of row a and (0, ·) of row a + 1; even dx columns 2b tap kx = 1 of dy column b, odd
 * ones 2b + 1 taps 2 and 0 of columns b and b + 1. A tail strip zeroes dy lanes outside md (columns x..x+3)
 * and md1 (x+1..x+4). z: a zero block read as dy row oh. `top`: dx row -1 exists (padding 0 before, shifted).
 */
@inline function strip(dy: usize, ds: usize, oh: i32, dx: usize, dxs: usize, h: i32, top: bool, wv: usize, acc: bool, tail: bool,
  md: v128, md1: v128, n: i32, tmp: usize, z: usize): void {
  const w0 = v128.load32_splat(wv), w1 = v128.load32_splat(wv, 4), w2 = v128.load32_splat(wv, 8);
  const w3 = v128.load32_splat(wv, 12), w4 = v128.load32_splat(wv, 16), w5 = v128.load32_splat(wv, 20);
  const w6 = v128.load32_splat(wv, 24), w7 = v128.load32_splat(wv, 28), w8 = v128.load32_splat(wv, 32);
  let p = dy, d = dx;
  if (top) {
    // Row -1, odd: taps (0, ·) of dy row 0 only.
    let e0 = v128.load(p), e1 = v128.load(p, 4);
    if (tail) {
      e0 = v128.and(e0, md);
      e1 = v128.and(e1, md1);
    }
    put2(d - dxs, f32x4.mul(w1, e0), madd(w0, e1, f32x4.mul(w2, e0)), acc, tail, n, tmp);
  }
  for (let a = 0; a < oh; a++) {
    const q = a + 1 < oh ? p + ds : z;
    let d0 = v128.load(p), d1 = v128.load(p, 4), e0 = v128.load(q), e1 = v128.load(q, 4);
    if (tail) {
      d0 = v128.and(d0, md);
      d1 = v128.and(d1, md1);
      e0 = v128.and(e0, md);
      e1 = v128.and(e1, md1);
    }
    put2(d, f32x4.mul(w4, d0), madd(w3, d1, f32x4.mul(w5, d0)), acc, tail, n, tmp);
    if (2 * a + 1 < h) {
      const eo = madd(w1, e0, f32x4.mul(w7, d0));
      const oo = madd(w0, e1, madd(w2, e0, madd(w6, d1, f32x4.mul(w8, d0))));
      put2(d + dxs, eo, oo, acc, tail, n, tmp);
    }
    p += ds;
    d += dxs << 1;
  }
}

/**
 * dx [h, w] (+)= the input gradient of the 3×3 stride-2 correlation with taps wv and padding padT, padL ∈ {0, 1}
 * before, from dy [oh, ow], where 2·oh - 1 <= h + padT - 1 <= 2·oh and the same for the columns (at most 1
 * padding after). Padding 0 is padding 1 on dx shifted by a row / column: its row / column -1 gets taps
 * (0, ·) / (·, 0) alone. scratch: 64 bytes.
 */
export function dwInput3x3s2(dy: usize, oh: i32, ow: i32, wv: usize, dx: usize, h: i32, w: i32, padT: i32, padL: i32, acc: bool, scratch: usize): void {
  const ds = <usize>ow << 2, dxs = <usize>w << 2, all = i32x4.splat(-1), tmp = scratch, z = scratch + 32;
  const hb = h + padT - 1, wb = w + padL - 1, top = padT == 0, d0 = dx + <usize>(1 - padT) * dxs + (<usize>(1 - padL) << 2);
  v128.store(z, i32x4.splat(0));
  v128.store(z, i32x4.splat(0), 16);
  let x = 0;
  for (; x + 4 < ow; x += 4) strip(at(dy, x), ds, oh, at(d0, 2 * x), dxs, hb, top, wv, acc, false, all, all, 8, tmp, z);
  // The last 1-4 dy columns: lanes past the row are zeroed, and only the dx columns inside the row written.
  strip(at(dy, x), ds, oh, at(d0, 2 * x), dxs, hb, top, wv, acc, true, below(x, ow), below(x + 1, ow), wb - 2 * x, tmp, z);
  if (padL == 1) return;
  // Column -1 (dx column 0), odd: taps (·, 0) of dy column 0; its row 2a tap (1, 0), row 2a + 1 taps (2, 0) and (0, 0).
  const t0 = load<f32>(wv), t3 = load<f32>(wv, 12), t6 = load<f32>(wv, 24);
  for (let r = padT - 1; r < hb; r++) {
    const a = r >> 1;
    let v: f32 = 0;
    if ((r & 1) == 0) v = t3 * load<f32>(at(dy, a * ow));
    else {
      if (a >= 0) v = t6 * load<f32>(at(dy, a * ow));
      if (a + 1 < oh) v += t0 * load<f32>(at(dy, (a + 1) * ow));
    }
    const p = at(dx, (r + 1 - padT) * w);
    store<f32>(p, acc ? load<f32>(p) + v : v);
  }
}
