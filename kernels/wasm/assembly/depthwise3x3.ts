// Depthwise 3×3, stride 1, dilation 1: column sweeps (4 columns down every row, 9 splatted taps, each input row loaded once), from the raw or a padded plane.

import { at } from './args';
import { madd } from './madd';

/** a·l + b·m + c·r, 4 lanes. */
@inline export function tri(l: v128, m: v128, r: v128, a: v128, b: v128, c: v128): v128 {
  return madd(c, r, madd(b, m, f32x4.mul(a, l)));
}

/** The left neighbours of the 4 columns at p (m = their values): a zero column before a left edge (kind 0). */
@inline export function lft(p: usize, m: v128, kind: i32): v128 {
  return kind == 0 ? v128.shuffle<f32>(f32x4.splat(0), m, 3, 4, 5, 6) : v128.load(p - 4);
}

/** The right neighbours: a zero column after a right edge (kind 2). */
@inline export function rgt(p: usize, m: v128, kind: i32): v128 {
  return kind == 2 ? v128.shuffle<f32>(m, f32x4.splat(0), 1, 2, 3, 4) : v128.load(p, 4);
}

/** Stores v at d, or adds the lanes of v that `keep` selects to d. */
@inline function put(d: usize, v: v128, acc: bool, keep: v128): void {
  v128.store(d, acc ? f32x4.add(v128.load(d), v128.and(v, keep)) : v);
}

/**
 * Four output columns of rows [0, oh): dst[y] (+)= Σ_{ky,kx} wv[3ky + kx] · src[y + ky - 1][x + kx - 1], walking
 * down the rows with two running partial sums, so each input row is loaded once for its three output rows.
 * Row -1 and row oh are read where `top` / `bottom` (a padded plane), else zero; kind: 0 left edge, 1 inside,
 * 2 right edge (zero columns outside). ss, ds: row strides in bytes.
 */
@inline function column(src: usize, ss: usize, dst: usize, ds: usize, oh: i32, kind: i32, top: bool, bottom: bool, wv: usize, acc: bool, keep: v128): void {
  const w0 = v128.load32_splat(wv), w1 = v128.load32_splat(wv, 4), w2 = v128.load32_splat(wv, 8);
  const w3 = v128.load32_splat(wv, 12), w4 = v128.load32_splat(wv, 16), w5 = v128.load32_splat(wv, 20);
  const w6 = v128.load32_splat(wv, 24), w7 = v128.load32_splat(wv, 28), w8 = v128.load32_splat(wv, 32);
  let p = src, d = dst, b = f32x4.splat(0);
  if (top) {
    const q = p - ss, m = v128.load(q);
    b = tri(lft(q, m, kind), m, rgt(q, m, kind), w0, w1, w2);
  }
  let m = v128.load(p), l = lft(p, m, kind), r = rgt(p, m, kind);
  // a: output row y - 1 (rows y - 2 and y - 1 added), b: output row y (row y - 1 added), before row y.
  let a = f32x4.add(b, tri(l, m, r, w3, w4, w5));
  b = tri(l, m, r, w0, w1, w2);
  for (let y = 1; y < oh; y++) {
    p += ss;
    m = v128.load(p);
    l = lft(p, m, kind);
    r = rgt(p, m, kind);
    put(d, f32x4.add(a, tri(l, m, r, w6, w7, w8)), acc, keep);
    d += ds;
    a = f32x4.add(b, tri(l, m, r, w3, w4, w5));
    b = tri(l, m, r, w0, w1, w2);
  }
  if (bottom) {
    p += ss;
    m = v128.load(p);
    a = f32x4.add(a, tri(lft(p, m, kind), m, rgt(p, m, kind), w6, w7, w8));
  }
  put(d, a, acc, keep);
}

/** column() of an inside strip: one copy for the padded-plane and the 'same' sweeps. */
function inner(src: usize, ss: usize, dst: usize, ds: usize, oh: i32, padded: bool, wv: usize, acc: bool, keep: v128): void {
  column(src, ss, dst, ds, oh, 1, padded, padded, wv, acc, keep);
}

/** Lanes j ≥ skip set: the columns of the last, overlapping vector that the one before it did not write. */
@inline export function lanesFrom(skip: i32): v128 {
  return i32x4.ge_s(i32x4(0, 1, 2, 3), i32x4.splat(skip));
}

/**
 * dst[oy, ox] (+)= Σ_{ky,kx<3} wv[ky*3 + kx] · pad[oy + ky, ox + kx], with pad [oh + 2, wp] (wp ≥ ow + 2)
 * and dst [oh, ow]. A width that is not a multiple of 4 ends with a vector overlapping the one before.
 */
export function dw3x3s1(pad: usize, wp: i32, wv: usize, dst: usize, oh: i32, ow: i32, acc: bool): void {
  const ss = <usize>wp << 2, ds = <usize>ow << 2, all = i32x4.splat(-1);
  if (ow < 4) {
    for (let i = 0, n = oh * ow; i < n; i++) {
      const oy = i / ow, r = at(pad, oy * wp + i - oy * ow);
      let s: f32 = 0;
      for (let t = 0; t < 9; t++) s += load<f32>(at(wv, t)) * load<f32>(at(r, (t / 3) * wp + t % 3));
      const d = at(dst, i);
      store<f32>(d, acc ? load<f32>(d) + s : s);
    }
    return;
  }
  // Output column x reads pad columns x..x+2: the sweep's neighbours of src column x = pad column x + 1.
  const src = pad + ss + 4, last = ow - 4;
  for (let x = 0; x < last; x += 4) inner(at(src, x), ss, at(dst, x), ds, oh, true, wv, acc, all);
  inner(at(src, last), ss, at(dst, last), ds, oh, true, wv, acc, lanesFrom((4 - (ow & 3)) & 3));
}

/**
 * 'same' 3×3 straight from the unpadded plane: dst[y, x] (+)= Σ wv[ky*3 + kx] · src[y + ky - 1, x + kx - 1]
 * (zero outside), src and dst [h, w] with w >= 5.
 */
export function dw3x3same(src: usize, h: i32, w: i32, wv: usize, dst: usize, acc: bool): void {
  const s = <usize>w << 2, all = i32x4.splat(-1), last = w - 4;
  column(src, s, dst, s, h, 0, false, false, wv, acc, all);
  for (let x = 4; x < last; x += 4) inner(at(src, x), s, at(dst, x), s, h, false, wv, acc, all);
  column(at(src, last), s, at(dst, last), s, h, 2, false, false, wv, acc, lanesFrom((4 - (w & 3)) & 3));
}
