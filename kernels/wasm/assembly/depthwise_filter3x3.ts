// Depthwise 3×3 filter gradients (stride 1 'same', stride 2): column sweeps over x and dy straight from the tensors.

import { at } from './args';
import { madd } from './madd';
import { lanesFrom, lft, rgt } from './depthwise3x3';
import { below, col } from './depthwise3x3s2';

/**
 * Tap sum j (0-5) of one pass: part 0 keeps taps 0-5 at accs, part 1 taps 6-8 at accs + 96 (its j >= 3 are unused:
 * zero). part and j are constants where this inlines.
 */
@inline function loadAcc(accs: usize, part: i32, j: i32): v128 {
  const p: usize = accs + (part == 0 ? 0 : 96);
  if (j == 0) return v128.load(p);
  if (j == 1) return v128.load(p, 16);
  if (j == 2) return v128.load(p, 32);
  if (part != 0) return f32x4.splat(0);
  if (j == 3) return v128.load(accs, 48);
  if (j == 4) return v128.load(accs, 64);
  return v128.load(accs, 80);
}

/** Stores one pass's tap sums back where loadAcc read them. */
@inline function storeAccs(accs: usize, part: i32, a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128): void {
  const p: usize = accs + (part == 0 ? 0 : 96);
  v128.store(p, a0);
  v128.store(p, a1, 16);
  v128.store(p, a2, 32);
  if (part == 0) {
    v128.store(accs, a3, 48);
    v128.store(accs, a4, 64);
    v128.store(accs, a5, 80);
  }
}

/** out[t] += the 4 lanes of tap sum t (v128 at accs + 16t), t < 9. */
@inline function addTapSums(accs: usize, out: usize): void {
  for (let t = 0; t < 9; t++) {
    const v = v128.load(accs + (<usize>t << 4));
    const sum = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
    store<f32>(at(out, t), load<f32>(at(out, t)) + sum);
  }
}

/**
 * One 4-column strip (kind as in depthwise3x3: 0 left edge, 1 inside, 2 right edge) of rows [0, h):
 * the tap sums at accs (v128 each, tap 3ky + kx) += Σ_y dy[y] · src[y + ky - 1] shifted by kx - 1, for
 * ky = 0 and 1 (part 0) or ky = 2 (part 1). V8 loads an iteration's vectors before its arithmetic, so all 9
 * taps in one pass (9 sums, 3 dy and 3 x vectors) would push a sum out of the 16 registers into a
 * store-to-load chain through the stack; two passes keep every sum in a register. dy lanes outside `keep`
 * count as zero (`masked`); zero: a zero v128 read for the rows outside.
 */
@inline function strip(src: usize, dy: usize, s: usize, h: i32, kind: i32, part: i32, masked: bool, keep: v128, accs: usize, zero: usize): void {
  let a0 = loadAcc(accs, part, 0), a1 = loadAcc(accs, part, 1), a2 = loadAcc(accs, part, 2);
  let a3 = loadAcc(accs, part, 3), a4 = loadAcc(accs, part, 4), a5 = loadAcc(accs, part, 5);
  let p = src, q = dy;
  for (let y = 0; y < h; y++) {
    const m = v128.load(p), l = lft(p, m, kind), r = rgt(p, m, kind);
    // Part 0: dy row y + 1 (taps 0-2) and y (taps 3-5); part 1: dy row y - 1 (taps 6-8).
    let d = v128.load(part == 0 ? (y + 1 < h ? q + s : zero) : y > 0 ? q - s : zero);
    if (masked) d = v128.and(d, keep);
    a0 = madd(d, l, a0);
    a1 = madd(d, m, a1);
    a2 = madd(d, r, a2);
    if (part == 0) {
      d = v128.load(q);
      if (masked) d = v128.and(d, keep);
      a3 = madd(d, l, a3);
      a4 = madd(d, m, a4);
      a5 = madd(d, r, a5);
    }
    p += s;
    q += s;
  }
  storeAccs(accs, part, a0, a1, a2, a3, a4, a5);
}

/** Both parts of one strip. */
@inline function strip2(src: usize, dy: usize, s: usize, h: i32, kind: i32, masked: bool, keep: v128, accs: usize, zero: usize): void {
  strip(src, dy, s, h, kind, 0, masked, keep, accs, zero);
  strip(src, dy, s, h, kind, 1, masked, keep, accs, zero);
}

/**
 * out[3ky + kx] += Σ_{y,x} dy[y, x] · src[y + ky - 1, x + kx - 1] (zero outside), src and dy [h, w], w >= 5.
 * scratch: 160 bytes, 16-aligned. A width that is not a multiple of 4 ends in a strip overlapping the one
 * before, its overlapped dy lanes masked to zero.
 */
export function dwFilter3x3same(src: usize, dy: usize, h: i32, w: i32, out: usize, scratch: usize): void {
  const s = <usize>w << 2, z = f32x4.splat(0), all = i32x4.splat(-1);
  for (let i: usize = 0; i < 160; i += 16) v128.store(scratch + i, z);
  const zero = scratch + 144;
  const last = w - 4;
  strip2(src, dy, s, h, 0, false, all, scratch, zero);
  for (let x = 4; x < last; x += 4) strip2(at(src, x), at(dy, x), s, h, 1, false, all, scratch, zero);
  strip2(at(src, last), at(dy, last), s, h, 2, (w & 3) != 0, lanesFrom((4 - (w & 3)) & 3), scratch, zero);
  addTapSums(scratch, out);
}

/**
 * Stride 2: the tap sums at accs for ky = 0, 1 (part 0) or ky = 2 (part 1) += Σ_y dy[y] · (input row 2y + ky - 1,
 * columns 2x + kx - 1) for one strip of 4 dy columns x: src at input row 0, column 2x (shifted as in dw3x3s2),
 * rows outside read from the zero block z. Input columns outside um/m0/m1 and dy lanes outside keep count as zero.
 */
@inline function stripS2(src: usize, ss: usize, dy: usize, ds: usize, oh: i32, top: bool, bottom: bool, part: i32,
  um: v128, m0: v128, m1: v128, keep: v128, accs: usize, z: usize): void {
  let a0 = loadAcc(accs, part, 0), a1 = loadAcc(accs, part, 1), a2 = loadAcc(accs, part, 2);
  let a3 = loadAcc(accs, part, 3), a4 = loadAcc(accs, part, 4), a5 = loadAcc(accs, part, 5);
  let p = src, q = dy;
  for (let y = 0; y < oh; y++) {
    const d = v128.and(v128.load(q), keep);
    // Part 0: rows 2y - 1 (taps 0-2) and 2y (taps 3-5); part 1: row 2y + 1 (taps 6-8).
    const r0 = part == 0 ? (y > 0 || top ? p - ss : z) : y + 1 < oh || bottom ? p + ss : z;
    a0 = madd(d, col(r0, true, um, m0, m1, 0), a0);
    a1 = madd(d, col(r0, true, um, m0, m1, 1), a1);
    a2 = madd(d, col(r0, true, um, m0, m1, 2), a2);
    if (part == 0) {
      a3 = madd(d, col(p, true, um, m0, m1, 0), a3);
      a4 = madd(d, col(p, true, um, m0, m1, 1), a4);
      a5 = madd(d, col(p, true, um, m0, m1, 2), a5);
    }
    p += ss << 1;
    q += ds;
  }
  storeAccs(accs, part, a0, a1, a2, a3, a4, a5);
}

/**
 * out[3ky + kx] += Σ_{y,x} dy[y, x] · src[2y + ky - padT, 2x + kx - padL] (zero outside), src [h, w], dy [oh, ow],
 * on the shapes dw3x3s2 takes (returns false, doing nothing, on others). scratch: 224 bytes, 16-aligned.
 */
export function dwFilter3x3s2(src: usize, dy: usize, h: i32, w: i32, padT: i32, padL: i32, oh: i32, ow: i32, out: usize, scratch: usize): bool {
  const hs = h - 1 + padT, ws = w - 1 + padL;
  if (padT < 0 || padT > 1 || padL < 0 || padL > 1 || ow < 4 || 2 * (oh - 1) >= hs || 2 * (ow - 1) >= ws) return false;
  const ss = <usize>w << 2, ds = <usize>ow << 2, all = i32x4.splat(-1), zero = i32x4.splat(0);
  for (let i: usize = 0; i < 224; i += 16) v128.store(scratch + i, zero);
  const z = scratch + 160, s0 = src + (<usize>(1 - padT) * ss) + (<usize>(1 - padL) << 2);
  const top = padT == 0, bottom = 2 * oh - 1 < hs;
  for (let x = 0; x < ow; x += 4) {
    const xs = min(x, ow - 4);
    const keep = xs == x ? all : lanesFrom(x - xs), um = xs == 0 && padL == 1 ? zero : all;
    const m0 = below(2 * xs, ws), m1 = below(2 * xs + 4, ws), sp = at(s0, 2 * xs), dp = at(dy, xs);
    stripS2(sp, ss, dp, ds, oh, top, bottom, 0, um, m0, m1, keep, scratch, z);
    stripS2(sp, ss, dp, ds, oh, top, bottom, 1, um, m0, m1, keep, scratch, z);
  }
  addTapSums(scratch, out);
  return true;
}
