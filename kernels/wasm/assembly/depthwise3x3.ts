// Depthwise 3×3, stride 1, dilation 1: 9 splatted taps in registers, four output rows per pass, from a padded or the raw plane.

import { at, copyF32, zeroF32 } from './args';
import { madd } from './madd';

/** Σ over one input row of 3 taps: w0·x[p] + w1·x[p+1] + w2·x[p+2], 4 lanes. */
@inline function row3(p: usize, w0: v128, w1: v128, w2: v128): v128 {
  return madd(w2, v128.load(p, 8), madd(w1, v128.load(p, 4), f32x4.mul(w0, v128.load(p))));
}

/** Scalar output at pad p (the top-left tap) for a tail column. */
@inline function one(p: usize, wp: usize, wv: usize): f32 {
  let s: f32 = 0;
  for (let ky: usize = 0; ky < 3; ky++) {
    const r = p + ky * wp, w = wv + ky * 12;
    s += load<f32>(w) * load<f32>(r) + load<f32>(w, 4) * load<f32>(r, 4) + load<f32>(w, 8) * load<f32>(r, 8);
  }
  return s;
}

@inline function put(d: usize, v: v128, acc: bool): void {
  v128.store(d, acc ? f32x4.add(v, v128.load(d)) : v);
}

/**
 * dst[oy, ox] (+)= Σ_{ky,kx<3} wv[ky*3 + kx] · pad[oy + ky, ox + kx], with pad [oh + 2, wp] (wp ≥ ow + 2,
 * read up to 3 floats past a row end, which the plane's SLACK covers) and dst [oh, ow].
 */
export function dw3x3s1(pad: usize, wp: i32, wv: usize, dst: usize, oh: i32, ow: i32, acc: bool): void {
  const w0 = v128.load32_splat(wv), w1 = v128.load32_splat(wv, 4), w2 = v128.load32_splat(wv, 8);
  const w3 = v128.load32_splat(wv, 12), w4 = v128.load32_splat(wv, 16), w5 = v128.load32_splat(wv, 20);
  const w6 = v128.load32_splat(wv, 24), w7 = v128.load32_splat(wv, 28), w8 = v128.load32_splat(wv, 32);
  const rs = <usize>wp << 2, ds = <usize>ow << 2, ow4 = ow & ~3;
  let oy = 0;
  for (; oy + 4 <= oh; oy += 4) {
    const p0 = at(pad, oy * wp), d0 = at(dst, oy * ow);
    for (let o: usize = 0, e = <usize>ow4 << 2; o < e; o += 16) {
      const p = p0 + o;
      const a0 = row3(p, w0, w1, w2);
      let x = p + rs;
      const a1 = row3(x, w0, w1, w2), b0 = row3(x, w3, w4, w5);
      x += rs;
      const a2 = row3(x, w0, w1, w2), b1 = row3(x, w3, w4, w5), c0 = row3(x, w6, w7, w8);
      put(d0 + o, f32x4.add(a0, f32x4.add(b0, c0)), acc);
      x += rs;
      const a3 = row3(x, w0, w1, w2), b2 = row3(x, w3, w4, w5), c1 = row3(x, w6, w7, w8);
      put(d0 + ds + o, f32x4.add(a1, f32x4.add(b1, c1)), acc);
      x += rs;
      const b3 = row3(x, w3, w4, w5), c2 = row3(x, w6, w7, w8);
      put(d0 + 2 * ds + o, f32x4.add(a2, f32x4.add(b2, c2)), acc);
      x += rs;
      put(d0 + 3 * ds + o, f32x4.add(a3, f32x4.add(b3, row3(x, w6, w7, w8))), acc);
    }
    for (let ox = ow4; ox < ow; ox++) {
      for (let r = 0; r < 4; r++) {
        const d = at(dst, (oy + r) * ow + ox), s = one(at(pad, (oy + r) * wp + ox), rs, wv);
        store<f32>(d, acc ? load<f32>(d) + s : s);
      }
    }
  }
  for (; oy < oh; oy++) {
    const p0 = at(pad, oy * wp), d0 = at(dst, oy * ow);
    for (let o: usize = 0, e = <usize>ow4 << 2; o < e; o += 16) {
      const p = p0 + o;
      put(d0 + o, f32x4.add(row3(p, w0, w1, w2), f32x4.add(row3(p + rs, w3, w4, w5), row3(p + 2 * rs, w6, w7, w8))), acc);
    }
    for (let ox = ow4; ox < ow; ox++) {
      const d = at(dst, oy * ow + ox), s = one(at(pad, oy * wp + ox), rs, wv);
      store<f32>(d, acc ? load<f32>(d) + s : s);
    }
  }
}

/** Left, middle and right neighbours of the 4 columns at p of a row with zero columns outside: kind 0 first vector, 2 last, 1 inside. */
@inline function row3z(p: usize, w0: v128, w1: v128, w2: v128, kind: i32): v128 {
  const m = v128.load(p), z = f32x4.splat(0);
  const l = kind == 0 ? v128.shuffle<f32>(z, m, 3, 4, 5, 6) : v128.load(p - 4);
  const r = kind == 2 ? v128.shuffle<f32>(m, z, 1, 2, 3, 4) : v128.load(p, 4);
  return madd(w2, r, madd(w1, m, f32x4.mul(w0, l)));
}

/** Four output rows at column byte offset o from input rows q0..q5 (each the row or a zero row). */
@inline function quad(q0: usize, q1: usize, q2: usize, q3: usize, q4: usize, q5: usize, o: usize, d: usize, ds: usize,
  w0: v128, w1: v128, w2: v128, w3: v128, w4: v128, w5: v128, w6: v128, w7: v128, w8: v128, kind: i32, acc: bool): void {
  const a0 = row3z(q0 + o, w0, w1, w2, kind);
  const a1 = row3z(q1 + o, w0, w1, w2, kind), b0 = row3z(q1 + o, w3, w4, w5, kind);
  const a2 = row3z(q2 + o, w0, w1, w2, kind), b1 = row3z(q2 + o, w3, w4, w5, kind), c0 = row3z(q2 + o, w6, w7, w8, kind);
  put(d + o, f32x4.add(a0, f32x4.add(b0, c0)), acc);
  const a3 = row3z(q3 + o, w0, w1, w2, kind), b2 = row3z(q3 + o, w3, w4, w5, kind), c1 = row3z(q3 + o, w6, w7, w8, kind);
  put(d + ds + o, f32x4.add(a1, f32x4.add(b1, c1)), acc);
  const b3 = row3z(q4 + o, w3, w4, w5, kind), c2 = row3z(q4 + o, w6, w7, w8, kind);
  put(d + 2 * ds + o, f32x4.add(a2, f32x4.add(b2, c2)), acc);
  put(d + 3 * ds + o, f32x4.add(a3, f32x4.add(b3, row3z(q5 + o, w6, w7, w8, kind))), acc);
}

/**
 * 'same' 3×3 straight from the unpadded plane: dst[y, x] (+)= Σ wv[ky*3 + kx] · src[y + ky - 1, x + kx - 1]
 * (zero outside), src and dst [h, w] with w % 4 == 0 and w >= 8. zrow: scratch of 5*w floats, a zero row
 * then four rows of output for the last pass when h % 4 != 0.
 */
export function dw3x3same(src: usize, h: i32, w: i32, wv: usize, dst: usize, acc: bool, zrow: usize): void {
  const w0 = v128.load32_splat(wv), w1 = v128.load32_splat(wv, 4), w2 = v128.load32_splat(wv, 8);
  const w3 = v128.load32_splat(wv, 12), w4 = v128.load32_splat(wv, 16), w5 = v128.load32_splat(wv, 20);
  const w6 = v128.load32_splat(wv, 24), w7 = v128.load32_splat(wv, 28), w8 = v128.load32_splat(wv, 32);
  zeroF32(zrow, w);
  const ds = <usize>w << 2, last = ds - 16;
  for (let y = 0; y < h; y += 4) {
    // Rows past the end read zeros; outputs past the end go to the row buffer past zrow.
    const q0 = y > 0 ? at(src, (y - 1) * w) : zrow;
    const q1 = at(src, y * w);
    const q2 = y + 1 < h ? q1 + ds : zrow, q3 = y + 2 < h ? q1 + 2 * ds : zrow;
    const q4 = y + 3 < h ? q1 + 3 * ds : zrow, q5 = y + 4 < h ? q1 + 4 * ds : zrow;
    const full = y + 4 <= h, d = full ? at(dst, y * w) : at(zrow, w);
    if (!full) copyF32(d, at(dst, y * w), (h - y) * w);
    quad(q0, q1, q2, q3, q4, q5, 0, d, ds, w0, w1, w2, w3, w4, w5, w6, w7, w8, 0, acc);
    for (let o: usize = 16; o < last; o += 16) quad(q0, q1, q2, q3, q4, q5, o, d, ds, w0, w1, w2, w3, w4, w5, w6, w7, w8, 1, acc);
    quad(q0, q1, q2, q3, q4, q5, last, d, ds, w0, w1, w2, w3, w4, w5, w6, w7, w8, 2, acc);
    if (!full) copyF32(at(dst, y * w), d, (h - y) * w);
  }
}
