// Depthwise 3×3 stride 2 (dilation 1, 0 or 1 padding before): column sweeps over even/odd lanes, each input row loaded once.

import { at } from './args';
import { lanesFrom, tri } from './depthwise3x3';

/**
 * Input columns 2x - 1 (which 0), 2x (1) or 2x + 1 (2) of 4 outputs x, from the row at p (column 2x): three
 * loads, de-interleaved. Edge strips (`masked`) zero the lanes of u (columns 2x-4..2x-1), v0 and v1
 * (2x..2x+7) outside the row. Repeated calls on one p load once (the optimiser merges them).
 */
@inline export function col(p: usize, masked: bool, um: v128, m0: v128, m1: v128, which: i32): v128 {
  let v0 = v128.load(p), v1 = v128.load(p, 16);
  if (masked) {
    v0 = v128.and(v0, m0);
    v1 = v128.and(v1, m1);
  }
  const r = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
  if (which == 2) return r;
  if (which == 1) return v128.shuffle<f32>(v0, v1, 0, 2, 4, 6);
  let u = v128.load(p - 16);
  if (masked) u = v128.and(u, um);
  return v128.shuffle<f32>(u, r, 3, 4, 5, 6);
}

/** Σ over the three columns of one input row with taps a, b, c. */
@inline function taps(p: usize, masked: bool, um: v128, m0: v128, m1: v128, a: v128, b: v128, c: v128): v128 {
  return tri(col(p, masked, um, m0, m1, 0), col(p, masked, um, m0, m1, 1), col(p, masked, um, m0, m1, 2), a, b, c);
}

@inline function put(d: usize, v: v128, acc: bool, keep: v128): void {
  v128.store(d, acc ? f32x4.add(v128.load(d), v128.and(v, keep)) : v);
}

/**
 * Four output columns (src at input column 2x, dst at x) of rows [0, oh): output row y reads input rows
 * 2y - 1, 2y, 2y + 1; row -1 where `top`, row 2·oh - 1 where `bottom`, else zero. Row 2y + 1 feeds
 * output rows y and y + 1 from one load.
 */
@inline function strip(src: usize, ss: usize, dst: usize, ds: usize, oh: i32, top: bool, bottom: bool, masked: bool,
  um: v128, m0: v128, m1: v128, wv: usize, acc: bool, keep: v128): void {
  const w0 = v128.load32_splat(wv), w1 = v128.load32_splat(wv, 4), w2 = v128.load32_splat(wv, 8);
  const w3 = v128.load32_splat(wv, 12), w4 = v128.load32_splat(wv, 16), w5 = v128.load32_splat(wv, 20);
  const w6 = v128.load32_splat(wv, 24), w7 = v128.load32_splat(wv, 28), w8 = v128.load32_splat(wv, 32);
  let p = src, d = dst, a = f32x4.splat(0);
  if (top) a = taps(p - ss, masked, um, m0, m1, w0, w1, w2);
  for (let y = 1; y < oh; y++) {
    const q = p + ss;
    put(d, f32x4.add(f32x4.add(a, taps(p, masked, um, m0, m1, w3, w4, w5)), taps(q, masked, um, m0, m1, w6, w7, w8)), acc, keep);
    a = taps(q, masked, um, m0, m1, w0, w1, w2);
    p = q + ss;
    d += ds;
  }
  a = f32x4.add(a, taps(p, masked, um, m0, m1, w3, w4, w5));
  if (bottom) a = f32x4.add(a, taps(p + ss, masked, um, m0, m1, w6, w7, w8));
  put(d, a, acc, keep);
}

/** Lanes j with c0 + j < n. */
@inline export function below(c0: i32, n: i32): v128 {
  return i32x4.lt_s(i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(c0)), i32x4.splat(n));
}

/**
 * dst [oh, ow] (+)= the 3×3 stride-2 correlation of src [h, w] with taps wv, padding padT, padL ∈ {0, 1} before
 * (and zeros after). Needs ow >= 4, 2(oh - 1) < h - 1 + padT and 2(ow - 1) < w - 1 + padL (every output's
 * centre tap inside the input); returns false (doing nothing) otherwise.
 */
export function dw3x3s2(src: usize, h: i32, w: i32, padT: i32, padL: i32, wv: usize, dst: usize, oh: i32, ow: i32, acc: bool): bool {
  // In the shifted input src' (padding 0 read as padding 1 one row / column further), output (y, x) reads
  // rows 2y - 1 .. 2y + 1 and columns 2x - 1 .. 2x + 1; hs, ws: its rows and columns.
  const hs = h - 1 + padT, ws = w - 1 + padL;
  if (padT < 0 || padT > 1 || padL < 0 || padL > 1 || ow < 4 || 2 * (oh - 1) >= hs || 2 * (ow - 1) >= ws) return false;
  const ss = <usize>w << 2, ds = <usize>ow << 2, all = i32x4.splat(-1);
  const s0 = src + (<usize>(1 - padT) * ss) + (<usize>(1 - padL) << 2);
  const top = padT == 0, bottom = 2 * oh - 1 < hs;
  for (let x = 0; x < ow; x += 4) {
    const xs = min(x, ow - 4);
    const keep = xs == x ? all : lanesFrom(x - xs);
    const sp = at(s0, 2 * xs), dp = at(dst, xs);
    if ((xs == 0 && padL == 1) || 2 * xs + 7 >= ws) {
      const um = xs == 0 && padL == 1 ? i32x4.splat(0) : all;
      strip(sp, ss, dp, ds, oh, top, bottom, true, um, below(2 * xs, ws), below(2 * xs + 4, ws), wv, acc, keep);
    } else {
      strip(sp, ss, dp, ds, oh, top, bottom, false, all, all, all, wv, acc, keep);
    }
  }
  return true;
}
