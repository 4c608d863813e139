// Winograd F(4x4, 3x3) kernel transform U = G g Gᵀ of 3x3 kernels into 36 packed U_ξ planes, plain or flipped and transposed (the input gradient's kernels).

import { at } from './args';

/**
 * Reduction depth of one GEMM pass: each U_ξ is packed as consecutive og x KC4 chunks of 2-row panels and
 * the GEMM sums the chunks into M one after the other, which halves the float32 error of the long
 * channel sums at 64-128 channels (the 36 products' error otherwise grows past 1e-4).
 */
export const KC4: i32 = 32;

/** Bytes between two U_ξ planes of og x cg kernels: the packed panels plus one cache line (see uPlaneBytes). */
export function uPlaneBytes4(og: i32, cg: i32): usize {
  return (<usize>(((og + 1) >> 1) * 2 * cg) << 2) + 64;
}

/** Float offset of kernel (o, c) in a U_ξ plane: chunk c / KC4, 2-row panel o / 2, then [c][2] inside it. */
@inline export function uPos4(o: i32, c: i32, og: i32, cg: i32): i32 {
  const c0 = c - c % KC4, kc = min(KC4, cg - c0);
  return c0 * ((og + 1) & ~1) + (o >> 1) * 2 * kc + 2 * (c - c0) + (o & 1);
}

/** Element k of four kernels, one per lane (k reversed for a flipped kernel). */
@inline function gather(a: usize, b: usize, c: usize, d: usize, k: usize): v128 {
  let v = v128.load32_zero(a + (k << 2));
  v = v128.load32_lane(b + (k << 2), v, 1);
  v = v128.load32_lane(c + (k << 2), v, 2);
  return v128.load32_lane(d + (k << 2), v, 3);
}

/**
 * (G x)_0..5 for three vectors x, stored at q, q + t, ...:
 * G = [[1/2,0,0],[1/6,1/6,1/6],[-1/6,1/6,-1/6],[-2/15,-1/15,-1/30],[1/30,-1/15,2/15],[0,0,1/2]]
 * (the points of winograd4_tiles.ts, with the inverse of its power-of-two scales).
 */
@inline function g6(x0: v128, x1: v128, x2: v128, q: usize, t: usize): void {
  const half = f32x4.splat(0.5), sixth = f32x4.splat(<f32>(1.0 / 6.0)), th = f32x4.splat(<f32>(1.0 / 30.0));
  const four = f32x4.splat(4), sum = f32x4.add(x0, x2), two1 = f32x4.add(x1, x1);
  v128.store(q, f32x4.mul(half, x0));
  v128.store(q + t, f32x4.mul(sixth, f32x4.add(sum, x1)));
  v128.store(q + 2 * t, f32x4.mul(sixth, f32x4.sub(x1, sum)));
  v128.store(q + 3 * t, f32x4.mul(f32x4.neg(th), f32x4.add(f32x4.add(f32x4.mul(four, x0), two1), x2)));
  v128.store(q + 4 * t, f32x4.mul(th, f32x4.add(f32x4.sub(x0, two1), f32x4.mul(four, x2))));
  v128.store(q + 5 * t, f32x4.mul(half, x2));
}

/**
 * U = G g Gᵀ of four kernels (3x3 each, one per lane; k-th element at 8 - k when flipped), U_ξ (ξ = 6i + j)
 * stored at dst + ξ·uXi; tmp: 288 bytes for G g.
 */
@inline function transformQuad4(g0: usize, g1: usize, g2: usize, g3: usize, flip: bool, dst: usize, uXi: usize, tmp: usize): void {
  // G g, column s of g to column s of the 6x3 product (rows 48 bytes apart).
  for (let s = 0; s < 3; s++) {
    const k0 = <usize>(flip ? 8 - s : s), k1 = <usize>(flip ? 5 - s : 3 + s), k2 = <usize>(flip ? 2 - s : 6 + s);
    g6(gather(g0, g1, g2, g3, k0), gather(g0, g1, g2, g3, k1), gather(g0, g1, g2, g3, k2), tmp + (<usize>s << 4), 48);
  }
  // (G g) Gᵀ: row i of G g to row i of U.
  for (let i = 0; i < 6; i++) {
    const r = tmp + <usize>i * 48;
    g6(v128.load(r), v128.load(r, 16), v128.load(r, 32), dst + <usize>(6 * i) * uXi, uXi);
  }
}

/**
 * U_ξ = (G g Gᵀ)_ξ for the og x cg kernels g(r, s) of one group, written into the chunked 2-row panels of
 * the 36 U_ξ planes (uXi bytes apart, positions uPos4). Plain: g(r, s) = w[(r·cg + s)·9]. flipT (the input
 * gradient's transposed conv, whose og x cg are the forward's cg x og): g(r, s) = flip(w[(s·og + r)·9]).
 * Kernels are read in memory order. tmp: 1 KiB, then 48 bytes this zeroes (the missing kernels of odd edges).
 */
export function filterTransform4(w: usize, og: i32, cg: i32, up: usize, uXi: usize, flipT: bool, tmp: usize): void {
  const rs = flipT ? 9 : cg * 9, ss = flipT ? og * 9 : 9;
  const zero = tmp + 1024, u = tmp + 320;
  v128.store(zero, f32x4.splat(0)); v128.store(zero, f32x4.splat(0), 16); v128.store(zero, f32x4.splat(0), 32);
  const na = flipT ? cg : og, nb = flipT ? og : cg;
  for (let a = 0; a < na; a += 2) {
    for (let b = 0; b < nb; b += 2) {
      const o = flipT ? b : a, c = flipT ? a : b;
      const two = c + 1 < cg, k00 = at(w, o * rs + c * ss);
      const k10 = o + 1 < og ? at(k00, rs) : zero;
      const k01 = two ? at(k00, ss) : zero, k11 = two && o + 1 < og ? at(k10, ss) : zero;
      const d = up + (<usize>uPos4(o, c, og, cg) << 2);
      if (two) {
        transformQuad4(k00, k10, k01, k11, flipT, d, uXi, tmp);
        continue;
      }
      // The odd last column: U into u (36 vectors), then its two lanes.
      transformQuad4(k00, k10, k01, k11, flipT, u, 16, tmp);
      for (let xi = 0; xi < 36; xi++) v128.store64_lane(d + <usize>xi * uXi, v128.load(u + (<usize>xi << 4)), 0);
    }
  }
}
