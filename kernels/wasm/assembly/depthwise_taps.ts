// The depthwise inner kernel: 16 outputs of one padded plane from a tap table, shared by the forward pass and the phase-split input gradient.

import { at } from './args';
import { madd } from './madd';

/** 4 lanes of the padded plane at p, stride 1 or 2 (even lanes of 8). */
@inline export function lanes(p: usize, s2: bool): v128 {
  return s2 ? v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6) : v128.load(p);
}

/**
 * out[0..16) (+)= Σ_t wv[t] · lanes(base + tab[t] + j*step) for the 16 outputs j of one group:
 * taps alternate between two accumulator sets so each chain is half as long.
 */
@inline export function taps16(base: usize, tab: usize, wv: usize, kk: i32, s2: bool, step: usize, out: usize, acc: bool): void {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let t = 0;
  for (; t + 1 < kk; t += 2) {
    const p0 = base + <usize>load<i32>(at(tab, t));
    const w0 = v128.load32_splat(at(wv, t));
    a0 = madd(w0, lanes(p0, s2), a0);
    a1 = madd(w0, lanes(p0 + step, s2), a1);
    a2 = madd(w0, lanes(p0 + 2 * step, s2), a2);
    a3 = madd(w0, lanes(p0 + 3 * step, s2), a3);
    const p1 = base + <usize>load<i32>(at(tab, t + 1));
    const w1 = v128.load32_splat(at(wv, t + 1));
    b0 = madd(w1, lanes(p1, s2), b0);
    b1 = madd(w1, lanes(p1 + step, s2), b1);
    b2 = madd(w1, lanes(p1 + 2 * step, s2), b2);
    b3 = madd(w1, lanes(p1 + 3 * step, s2), b3);
  }
  if (t < kk) {
    const p0 = base + <usize>load<i32>(at(tab, t));
    const w0 = v128.load32_splat(at(wv, t));
    a0 = madd(w0, lanes(p0, s2), a0);
    a1 = madd(w0, lanes(p0 + step, s2), a1);
    a2 = madd(w0, lanes(p0 + 2 * step, s2), a2);
    a3 = madd(w0, lanes(p0 + 3 * step, s2), a3);
  }
  let r0 = f32x4.add(a0, b0), r1 = f32x4.add(a1, b1), r2 = f32x4.add(a2, b2), r3 = f32x4.add(a3, b3);
  if (acc) {
    r0 = f32x4.add(r0, v128.load(out)); r1 = f32x4.add(r1, v128.load(out, 16));
    r2 = f32x4.add(r2, v128.load(out, 32)); r3 = f32x4.add(r3, v128.load(out, 48));
  }
  v128.store(out, r0); v128.store(out, r1, 16); v128.store(out, r2, 32); v128.store(out, r3, 48);
}
