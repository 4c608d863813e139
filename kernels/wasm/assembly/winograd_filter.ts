// Winograd F(2x2, 3x3) filter gradient: dW = G^T [Σ_t (A dY_t A^T) ⊙ (B^T d_t B)] G, reducing over tiles with dot tiles.

import { arg, at, ptr, zeroF32 } from './args';
import { dotTile } from './convfilter';
import { SLACK, padPlanes } from './plane';
import { inputTiles, winoLd } from './winograd';
import {
  C_BLK0, C_BLK1, C_GROUPS, C_INC, C_INCPG, C_INH, C_INW, C_ITEM0, C_ITEM1, C_OSTRIDE, C_OUTC, C_OUTCPG,
  C_OUTH, C_OUTW, C_PADL, C_PADT, C_SCRATCH, C_TROWS, C_W, C_X, C_Y,
} from './layout';

@inline function even(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 2, 4, 6);
}

@inline function odd(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 1, 3, 5, 7);
}

/**
 * dM[ξ][t..t+4) = (A dY_t A^T)[ξ] for 4 consecutive 2x2 dy tiles (lanes) starting at row pointer r
 * of a zero-padded dy plane (rows ldr bytes apart); A = [[1,0],[1,1],[1,-1],[0,-1]].
 */
@inline function gradTiles(r: usize, ldr: usize, m: usize, xi: usize): void {
  const l0 = v128.load(r), l1 = v128.load(r, 16), h0 = v128.load(r + ldr), h1 = v128.load(r + ldr, 16);
  const a = even(l0, l1), b = odd(l0, l1), c = even(h0, h1), d = odd(h0, h1);
  // Rows of A·dY: (a, b), (a + c, b + d), (a - c, b - d), (-c, -d); then each row (p, q) -> (p, p + q, p - q, -q).
  const z = f32x4.splat(0);
  const p1 = f32x4.add(a, c), q1 = f32x4.add(b, d), p2 = f32x4.sub(a, c), q2 = f32x4.sub(b, d);
  const p3 = f32x4.sub(z, c), q3 = f32x4.sub(z, d);
  v128.store(m, a); v128.store(m + xi, f32x4.add(a, b)); v128.store(m + 2 * xi, f32x4.sub(a, b)); v128.store(m + 3 * xi, f32x4.sub(z, b));
  v128.store(m + 4 * xi, p1); v128.store(m + 5 * xi, f32x4.add(p1, q1)); v128.store(m + 6 * xi, f32x4.sub(p1, q1)); v128.store(m + 7 * xi, f32x4.sub(z, q1));
  v128.store(m + 8 * xi, p2); v128.store(m + 9 * xi, f32x4.add(p2, q2)); v128.store(m + 10 * xi, f32x4.sub(p2, q2)); v128.store(m + 11 * xi, f32x4.sub(z, q2));
  v128.store(m + 12 * xi, p3); v128.store(m + 13 * xi, f32x4.add(p3, q3)); v128.store(m + 14 * xi, f32x4.sub(p3, q3)); v128.store(m + 15 * xi, f32x4.sub(z, q3));
}

/** Floats between two dU_ξ planes of og x cg accumulators: the plane plus one cache line (the 16 planes must not share cache sets). */
@inline function duPlane(og: i32, cg: i32): i32 {
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
function filterBack(du: usize, og: i32, cg: i32, out: usize): void {
  const pl = <usize>duPlane(og, cg) << 2, n = og * cg;
  let k = 0;
  for (; k + 4 <= n; k += 4) filterBackQuad(at(du, k), pl, at(out, k * 9));
  for (; k < n; k++) filterBackOne(at(du, k), pl, at(out, k * 9));
}

/**
 * dW for samples [ITEM0, ITEM1) and tile-row blocks [BLK0, BLK1) of TROWS rows: X is x, W is dy,
 * Y the output (OSTRIDE 0: one kernel summed over the samples; else sample b at b*OSTRIDE).
 * Scratch: padded x planes, padded dy planes, V, dM and the dU accumulators.
 */
export function convBackwardFilterWinograd(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW);
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const oStride = arg(g, C_OSTRIDE), rb = arg(g, C_TROWS);
  const th = (outH + 1) >> 1, tw4 = (((outW + 1) >> 1) + 3) & ~3;
  const hp = 2 * th + 2, wp = 2 * tw4 + 2, dh = 2 * th, dw = 2 * tw4;
  const ld = winoLd(rb * tw4);
  const x = ptr(g, C_X), dy = ptr(g, C_W), out = ptr(g, C_Y);
  const vXi = <usize>(cg * ld + 16) << 2, mXi = <usize>(og * ld + 16) << 2;
  const pad = ptr(g, C_SCRATCH);
  const dyp = pad + (<usize>(cg * hp * wp + SLACK) << 2);
  const vb = dyp + (<usize>(og * dh * dw + SLACK) << 2);
  const mb = vb + 16 * vXi;
  const du = mb + 16 * mXi;
  const duSize = 16 * duPlane(og, cg);
  const wpBytes = <usize>wp << 2, dwBytes = <usize>dw << 2;
  const blk0 = arg(g, C_BLK0), blk1 = arg(g, C_BLK1), kSize = og * cg * 9;
  const b0 = arg(g, C_ITEM0), b1 = arg(g, C_ITEM1);
  for (let gi = 0; gi < groups; gi++) {
    if (oStride == 0) zeroF32(du, duSize);
    for (let b = b0; b < b1; b++) {
      if (oStride != 0) zeroF32(du, duSize);
      padPlanes(at(x, (b * inC + gi * cg) * inH * inW), cg, inH, inW, arg(g, C_PADT), arg(g, C_PADL), pad, hp, wp);
      padPlanes(at(dy, (b * outC + gi * og) * outH * outW), og, outH, outW, 0, 0, dyp, dh, dw);
      for (let blk = blk0; blk < blk1; blk++) {
        const ty0 = blk * rb, nr = min(rb, th - ty0), nt = nr * tw4;
        for (let c = 0; c < cg; c++) {
          const plane = at(pad, c * hp * wp);
          for (let ty = 0; ty < nr; ty++) {
            const row = plane + <usize>(2 * (ty0 + ty)) * wpBytes;
            const v = at(vb, c * ld + ty * tw4);
            for (let tx = 0; tx < tw4; tx += 4) inputTiles(row + (<usize>(2 * tx) << 2), wpBytes, at(v, tx), vXi);
          }
        }
        for (let o = 0; o < og; o++) {
          const plane = at(dyp, o * dh * dw);
          for (let ty = 0; ty < nr; ty++) {
            const row = plane + <usize>(2 * (ty0 + ty)) * dwBytes;
            const m = at(mb, o * ld + ty * tw4);
            for (let tx = 0; tx < tw4; tx += 4) gradTiles(row + (<usize>(2 * tx) << 2), dwBytes, at(m, tx), mXi);
          }
        }
        for (let xi = 0; xi < 16; xi++) {
          const mx = mb + <usize>xi * mXi, vx = vb + <usize>xi * vXi, dux = at(du, xi * duPlane(og, cg));
          for (let c = 0; c < cg; c += 4) {
            const nc = min(4, cg - c);
            const r0 = at(vx, c * ld), r1 = nc > 1 ? at(r0, ld) : r0, r2 = nc > 2 ? at(r1, ld) : r1, r3 = nc > 3 ? at(r2, ld) : r2;
            for (let o = 0; o < og; o += 2) {
              dotTile(at(mx, o * ld), <usize>ld << 2, r0, r1, r2, r3, nt, at(dux, o * cg + c), <usize>cg << 2, min(2, og - o), nc);
            }
          }
        }
      }
      if (oStride != 0) filterBack(du, og, cg, at(out, b * oStride + gi * kSize));
    }
    if (oStride == 0) filterBack(du, og, cg, at(out, gi * kSize));
  }
}
