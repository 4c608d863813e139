// Depthwise 3×3 stride-1 'same' filter gradient: column sweeps that load each row of x and dy once for all 9 taps.

import { at } from './args';
import { madd } from './madd';
import { lanesFrom, lft, rgt } from './depthwise3x3';

/**
 * One 4-column strip (kind as in depthwise3x3: 0 left edge, 1 inside, 2 right edge, 3 both) of rows [0, h):
 * the tap sums at accs (v128 each, tap 3ky + kx) += Σ_y dy[y] · src[y + ky - 1] shifted by kx - 1, for
 * ky = 0 and 1 (part 0) or ky = 2 (part 1). V8 loads an iteration's vectors before its arithmetic, so all 9
 * taps in one pass (9 sums, 3 dy and 3 x vectors) would push a sum out of the 16 registers into a
 * store-to-load chain through the stack; two passes keep every sum in a register. dy lanes outside `keep`
 * count as zero (`masked`); zero: a zero v128 read for the rows outside.
 */
@inline function strip(src: usize, dy: usize, s: usize, h: i32, kind: i32, part: i32, masked: bool, keep: v128, accs: usize, zero: usize): void {
  const o: usize = part == 0 ? 0 : 96;
  let a0 = v128.load(accs + o), a1 = v128.load(accs + o, 16), a2 = v128.load(accs + o, 32);
  let a3 = f32x4.splat(0), a4 = a3, a5 = a3;
  if (part == 0) {
    a3 = v128.load(accs, 48);
    a4 = v128.load(accs, 64);
    a5 = v128.load(accs, 80);
  }
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
  v128.store(accs + o, a0);
  v128.store(accs + o, a1, 16);
  v128.store(accs + o, a2, 32);
  if (part == 0) {
    v128.store(accs, a3, 48);
    v128.store(accs, a4, 64);
    v128.store(accs, a5, 80);
  }
}

/** Both parts of one strip. */
@inline function strip2(src: usize, dy: usize, s: usize, h: i32, kind: i32, masked: bool, keep: v128, accs: usize, zero: usize): void {
  strip(src, dy, s, h, kind, 0, masked, keep, accs, zero);
  strip(src, dy, s, h, kind, 1, masked, keep, accs, zero);
}

/**
 * out[3ky + kx] += Σ_{y,x} dy[y, x] · src[y + ky - 1, x + kx - 1] (zero outside), src and dy [h, w], w >= 4.
 * scratch: 160 bytes, 16-aligned. A width that is not a multiple of 4 ends in a strip overlapping the one
 * before, its overlapped dy lanes masked to zero.
 */
export function dwFilter3x3same(src: usize, dy: usize, h: i32, w: i32, out: usize, scratch: usize): void {
  const s = <usize>w << 2, z = f32x4.splat(0), all = i32x4.splat(-1);
  for (let i: usize = 0; i < 160; i += 16) v128.store(scratch + i, z);
  const zero = scratch + 144;
  if (w == 4) {
    strip2(src, dy, s, h, 3, false, all, scratch, zero);
  } else {
    const last = w - 4;
    strip2(src, dy, s, h, 0, false, all, scratch, zero);
    for (let x = 4; x < last; x += 4) strip2(at(src, x), at(dy, x), s, h, 1, false, all, scratch, zero);
    strip2(at(src, last), at(dy, last), s, h, 2, (w & 3) != 0, lanesFrom((4 - (w & 3)) & 3), scratch, zero);
  }
  for (let t = 0; t < 9; t++) {
    const v = v128.load(scratch + (<usize>t << 4));
    const sum = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
    store<f32>(at(out, t), load<f32>(at(out, t)) + sum);
  }
}
