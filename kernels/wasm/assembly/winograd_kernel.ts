// Winograd F(2x2, 3x3) kernel transform U = G g Gᵀ of 3x3 kernels into the 16 packed U_ξ panels, plain or flipped and transposed (the input gradient's kernels).

import { at } from './args';

/**
 * Bytes between two U_ξ planes of og x cg kernels: the 2-row packed panels plus one cache line, so
 * the 16 planes (often a multiple of 4 KiB apart otherwise) do not share cache sets.
 */
export function uPlaneBytes(og: i32, cg: i32): usize {
  return (<usize>(((og + 1) >> 1) * 2 * cg) << 2) + 64;
}

/** Plane of row/column index i of U under the flip: flipping g swaps rows 0 and 3 of G (U(flip g) = P U P). */
@inline function perm(i: i32, flip: bool): i32 {
  return flip && (i == 0 || i == 3) ? 3 - i : i;
}

/** Element k of four kernels, one per lane. */
@inline function gather(a: usize, b: usize, c: usize, d: usize, k: usize): v128 {
  let v = v128.load32_zero(a + (k << 2));
  v = v128.load32_lane(b + (k << 2), v, 1);
  v = v128.load32_lane(c + (k << 2), v, 2);
  return v128.load32_lane(d + (k << 2), v, 3);
}

/** Row i of G g (t0, t1, t2) times Gᵀ: U[i][·] = (t0, ½(t0+t1+t2), ½(t0−t1+t2), t2), into planes (perm i, perm j). */
@inline function storeRow(dst: usize, uXi: usize, i: i32, t0: v128, t1: v128, t2: v128, flip: bool): void {
  const h = f32x4.splat(0.5);
  const u = f32x4.add(t0, t2);
  const d = dst + <usize>(perm(i, flip) * 4) * uXi;
  v128.store(d + <usize>perm(0, flip) * uXi, t0);
  v128.store(d + uXi, f32x4.mul(h, f32x4.add(u, t1)));
  v128.store(d + 2 * uXi, f32x4.mul(h, f32x4.sub(u, t1)));
  v128.store(d + <usize>perm(3, flip) * uXi, t2);
}

/**
 * Four kernels in lanes (g0..g3, 3x3 each): U_ξ stored as one vector at dst + ξ'·uXi (ξ' = ξ, or
 * its flip). Each kernel element is loaded once; G g takes rows (g0), ½(g0+g3+g6), ½(g0−g3+g6), (g6).
 */
function transformQuad(g0: usize, g1: usize, g2: usize, g3: usize, dst: usize, uXi: usize, flip: bool): void {
  const h = f32x4.splat(0.5);
  const e0 = gather(g0, g1, g2, g3, 0), e1 = gather(g0, g1, g2, g3, 1), e2 = gather(g0, g1, g2, g3, 2);
  const e3 = gather(g0, g1, g2, g3, 3), e4 = gather(g0, g1, g2, g3, 4), e5 = gather(g0, g1, g2, g3, 5);
  const e6 = gather(g0, g1, g2, g3, 6), e7 = gather(g0, g1, g2, g3, 7), e8 = gather(g0, g1, g2, g3, 8);
  const s0 = f32x4.add(e0, e6), s1 = f32x4.add(e1, e7), s2 = f32x4.add(e2, e8);
  storeRow(dst, uXi, 0, e0, e1, e2, flip);
  storeRow(dst, uXi, 1, f32x4.mul(h, f32x4.add(s0, e3)), f32x4.mul(h, f32x4.add(s1, e4)), f32x4.mul(h, f32x4.add(s2, e5)), flip);
  storeRow(dst, uXi, 2, f32x4.mul(h, f32x4.sub(s0, e3)), f32x4.mul(h, f32x4.sub(s1, e4)), f32x4.mul(h, f32x4.sub(s2, e5)), flip);
  storeRow(dst, uXi, 3, e6, e7, e8, flip);
}

/** One kernel g into U_ξ' at dst + ξ'·uXi, scalar (the panels' odd edges). */
function transformOne(g: usize, dst: usize, uXi: usize, flip: bool): void {
  for (let i = 0; i < 4; i++) {
    let t0: f32, t1: f32, t2: f32;
    if (i == 0 || i == 3) {
      const r = at(g, i == 0 ? 0 : 6);
      t0 = load<f32>(r); t1 = load<f32>(r, 4); t2 = load<f32>(r, 8);
    } else {
      const sgn: f32 = i == 1 ? 1 : -1;
      t0 = 0.5 * (load<f32>(g) + sgn * load<f32>(g, 12) + load<f32>(g, 24));
      t1 = 0.5 * (load<f32>(g, 4) + sgn * load<f32>(g, 16) + load<f32>(g, 28));
      t2 = 0.5 * (load<f32>(g, 8) + sgn * load<f32>(g, 20) + load<f32>(g, 32));
    }
    const d = dst + <usize>(perm(i, flip) * 4) * uXi;
    store<f32>(d + <usize>perm(0, flip) * uXi, t0);
    store<f32>(d + uXi, 0.5 * (t0 + t1 + t2));
    store<f32>(d + 2 * uXi, 0.5 * (t0 - t1 + t2));
    store<f32>(d + <usize>perm(3, flip) * uXi, t2);
  }
}

/**
 * U_ξ = (G g G^T)_ξ for the og x cg kernels g(r, s) of one group, G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]],
 * written straight into the 2-row packed panels of each U_ξ (planes uXi bytes apart). Plain:
 * g(r, s) = w[(r·cg + s)·9]. flipT (the input gradient's transposed conv, whose og x cg are the
 * forward's cg x og): g(r, s) = flip(w[(s·og + r)·9]), which is U of the unflipped kernel with
 * rows and columns 0 and 3 swapped, so the flipped copy is never made.
 */
export function filterTransform(w: usize, og: i32, cg: i32, up: usize, uXi: usize, flipT: bool): void {
  // Element offsets of kernel (r, s) per step of r and of s.
  const rs = flipT ? 9 : cg * 9, ss = flipT ? og * 9 : 9;
  if (og & 1) {
    // The missing row of the last panel is zero in every U_ξ.
    const last = <usize>((og >> 1) * 2 * cg) << 2;
    for (let xi = 0; xi < 16; xi++) {
      for (let c = 0; c < cg; c++) store<f32>(up + <usize>xi * uXi + last + (<usize>(2 * c + 1) << 2), 0);
    }
  }
  for (let o = 0; o < og; o += 2) {
    const panel = up + (<usize>(o * cg) << 2);
    const r0 = at(w, o * rs), r1 = at(r0, rs);
    let c = 0;
    if (o + 1 < og) {
      for (; c + 1 < cg; c += 2) {
        transformQuad(at(r0, c * ss), at(r1, c * ss), at(r0, c * ss + ss), at(r1, c * ss + ss), panel + (<usize>(2 * c) << 2), uXi, flipT);
      }
    }
    for (; c < cg; c++) {
      transformOne(at(r0, c * ss), panel + (<usize>(2 * c) << 2), uXi, flipT);
      if (o + 1 < og) transformOne(at(r1, c * ss), panel + (<usize>(2 * c + 1) << 2), uXi, flipT);
    }
  }
}
