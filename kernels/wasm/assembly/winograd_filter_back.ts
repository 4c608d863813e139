// Winograd F(2x2, 3x3) filter gradient's inverse transform: dW = G^T dU G from the 16 dU_ξ accumulator planes, four kernels at a time.

import { at } from './args';

/** Floats between two dU_ξ planes of og x cg accumulators: the plane plus one cache line (the 16 planes must not share cache sets). */
@inline export function duPlane(og: i32, cg: i32): i32 {
  return og * cg + 16;
}

/** Stores lanes l of a, b, c, d as the 4 floats at out + l·36 bytes (a 4x4 transpose: kernel l's taps). */
@inline function storeTransposed(out: usize, a: v128, b: v128, c: v128, d: v128): void {
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(out + 36, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(out + 72, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(out + 108, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** out[k] (3x3) = G^T dU[·][k] G for four consecutive kernels k (lanes); dU planes pl bytes apart. */
function filterBackQuad(d: usize, pl: usize, w: usize): void {
  const h = f32x4.splat(0.5);
  // T = G^T D (3 x 4) by columns j, from D rows d0..d3 = planes j, 4+j, 8+j, 12+j: T0j = d0 + s, T1j = ½(d1 − d2), T2j = s + d3, s = ½(d1 + d2).
  const a0 = v128.load(d + 0 * pl), b0 = v128.load(d + 4 * pl), c0 = v128.load(d + 8 * pl), e0 = v128.load(d + 12 * pl);
  const s0 = f32x4.mul(h, f32x4.add(b0, c0));
  const t00 = f32x4.add(a0, s0), t10 = f32x4.mul(h, f32x4.sub(b0, c0)), t20 = f32x4.add(s0, e0);
  const a1 = v128.load(d + 1 * pl), b1 = v128.load(d + 5 * pl), c1 = v128.load(d + 9 * pl), e1 = v128.load(d + 13 * pl);
  const s1 = f32x4.mul(h, f32x4.add(b1, c1));
  const t01 = f32x4.add(a1, s1), t11 = f32x4.mul(h, f32x4.sub(b1, c1)), t21 = f32x4.add(s1, e1);
  const a2 = v128.load(d + 2 * pl), b2 = v128.load(d + 6 * pl), c2 = v128.load(d + 10 * pl), e2 = v128.load(d + 14 * pl);
  const s2 = f32x4.mul(h, f32x4.add(b2, c2));
  const t02 = f32x4.add(a2, s2), t12 = f32x4.mul(h, f32x4.sub(b2, c2)), t22 = f32x4.add(s2, e2);
  const a3 = v128.load(d + 3 * pl), b3 = v128.load(d + 7 * pl), c3 = v128.load(d + 11 * pl), e3 = v128.load(d + 15 * pl);
  const s3 = f32x4.mul(h, f32x4.add(b3, c3));
  const t03 = f32x4.add(a3, s3), t13 = f32x4.mul(h, f32x4.sub(b3, c3)), t23 = f32x4.add(s3, e3);
  // W row r = (Tr0 + ½(Tr1 + Tr2), ½(Tr1 − Tr2), ½(Tr1 + Tr2) + Tr3).
  const m0 = f32x4.mul(h, f32x4.add(t01, t02));
  const w00 = f32x4.add(t00, m0), w01 = f32x4.mul(h, f32x4.sub(t01, t02)), w02 = f32x4.add(m0, t03);
  const m1 = f32x4.mul(h, f32x4.add(t11, t12));
  const w10 = f32x4.add(t10, m1), w11 = f32x4.mul(h, f32x4.sub(t11, t12)), w12 = f32x4.add(m1, t13);
  const m2 = f32x4.mul(h, f32x4.add(t21, t22));
  const w20 = f32x4.add(t20, m2), w21 = f32x4.mul(h, f32x4.sub(t21, t22)), w22 = f32x4.add(m2, t23);
  storeTransposed(w, w00, w01, w02, w10);
  storeTransposed(w + 16, w11, w12, w20, w21);
  store<f32>(w, f32x4.extract_lane(w22, 0), 32);
  store<f32>(w, f32x4.extract_lane(w22, 1), 68);
  store<f32>(w, f32x4.extract_lane(w22, 2), 104);
  store<f32>(w, f32x4.extract_lane(w22, 3), 140);
}

/** out[k] (3x3) = G^T dU[·][k] G for one kernel k, scalar (the tail). */
function filterBackOne(d: usize, pl: usize, w: usize): void {
  let t00: f32 = 0, t01: f32 = 0, t02: f32 = 0, t03: f32 = 0, t10: f32 = 0, t11: f32 = 0, t12: f32 = 0, t13: f32 = 0;
  let t20: f32 = 0, t21: f32 = 0, t22: f32 = 0, t23: f32 = 0;
  for (let j = 0; j < 4; j++) {
    const d0 = load<f32>(d + <usize>j * pl), d1 = load<f32>(d + <usize>(4 + j) * pl);
    const d2 = load<f32>(d + <usize>(8 + j) * pl), d3 = load<f32>(d + <usize>(12 + j) * pl);
    const s: f32 = 0.5 * (d1 + d2), e: f32 = 0.5 * (d1 - d2);
    const r0 = d0 + s, r2 = s + d3;
    if (j == 0) { t00 = r0; t10 = e; t20 = r2; }
    else if (j == 1) { t01 = r0; t11 = e; t21 = r2; }
    else if (j == 2) { t02 = r0; t12 = e; t22 = r2; }
    else { t03 = r0; t13 = e; t23 = r2; }
  }
  store<f32>(w, t00 + 0.5 * (t01 + t02)); store<f32>(w, 0.5 * (t01 - t02), 4); store<f32>(w, 0.5 * (t01 + t02) + t03, 8);
  store<f32>(w, t10 + 0.5 * (t11 + t12), 12); store<f32>(w, 0.5 * (t11 - t12), 16); store<f32>(w, 0.5 * (t11 + t12) + t13, 20);
  store<f32>(w, t20 + 0.5 * (t21 + t22), 24); store<f32>(w, 0.5 * (t21 - t22), 28); store<f32>(w, 0.5 * (t21 + t22) + t23, 32);
}

/** out[o][c] (3x3) = G^T dU[·][o][c] G for all (o, c), four kernels at a time; dU planes duPlane floats apart. */
export function filterBack(du: usize, og: i32, cg: i32, out: usize): void {
  const pl = <usize>duPlane(og, cg) << 2, n = og * cg;
  let k = 0;
  for (; k + 4 <= n; k += 4) filterBackQuad(at(du, k), pl, at(out, k * 9));
  for (; k < n; k++) filterBackOne(at(du, k), pl, at(out, k * 9));
}
