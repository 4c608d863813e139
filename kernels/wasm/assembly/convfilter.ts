// Conv2d filter gradient: dW = dy · colsᵀ as 2x4 f32x4 dot-product tiles over column blocks, per sample or summed.

import { arg, at, ptr, zeroF32 } from './args';
import { NR } from './gemm';
import { im2colBlock } from './im2col';
import { madd } from './madd';
import {
  C_BLK0, C_BLK1, C_GROUPS, C_INC, C_INCPG, C_INH, C_INW, C_ITEM0, C_ITEM1, C_KH, C_KW, C_NC,
  C_OSTRIDE, C_OUTC, C_OUTCPG, C_OUTH, C_OUTW, C_PADL, C_PADT, C_SCRATCH, C_SH, C_SW, C_W, C_X, C_Y,
} from './layout';

/** (Σ a, Σ b, Σ c, Σ d): the four horizontal sums as one vector (a transpose-add, not twelve lane extracts). */
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const p = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const q = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(p, q, 0, 1, 4, 5), v128.shuffle<f32>(p, q, 2, 3, 6, 7));
}

/** Float p of rows b0..b3, one per lane. */
@inline function lanes(b0: usize, b1: usize, b2: usize, b3: usize, o: usize): v128 {
  let v = v128.load32_zero(b0 + o);
  v = v128.load32_lane(b1 + o, v, 1);
  v = v128.load32_lane(b2 + o, v, 2);
  return v128.load32_lane(b3 + o, v, 3);
}

/** c[j] (+)= t[j] for j < nr (beta 0 stores). */
@inline function addRow(c: usize, t: v128, nr: i32, beta: i32): void {
  if (nr == 4) {
    v128.store(c, beta != 0 ? f32x4.add(v128.load(c), t) : t);
    return;
  }
  store<f32>(c, (beta != 0 ? load<f32>(c) : 0) + f32x4.extract_lane(t, 0));
  if (nr > 1) store<f32>(c, (beta != 0 ? load<f32>(c, 4) : 0) + f32x4.extract_lane(t, 1), 4);
  if (nr > 2) store<f32>(c, (beta != 0 ? load<f32>(c, 8) : 0) + f32x4.extract_lane(t, 2), 8);
}

/**
 * c[i*ldc + j] += Σ_{p<n} a_i[p] · b_j[p] for i < mr (<= 2), j < nr (<= 4): row a_1 is lda bytes
 * past a_0; rows b_j are given (ragged tiles pass their last row again). beta 0 stores the sums instead.
 */
export function dotTile(a: usize, lda: usize, b0: usize, b1: usize, b2: usize, b3: usize, n: i32, c: usize, ldc: usize, mr: i32, nr: i32, beta: i32): void {
  const a0 = a, a1 = mr > 1 ? a + lda : a;
  let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
  let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
  const n4 = n & ~3;
  for (let o: usize = 0, e = <usize>n4 << 2; o < e; o += 16) {
    const x0 = v128.load(a0 + o), x1 = v128.load(a1 + o);
    let v = v128.load(b0 + o);
    s00 = madd(x0, v, s00); s10 = madd(x1, v, s10);
    v = v128.load(b1 + o);
    s01 = madd(x0, v, s01); s11 = madd(x1, v, s11);
    v = v128.load(b2 + o);
    s02 = madd(x0, v, s02); s12 = madd(x1, v, s12);
    v = v128.load(b3 + o);
    s03 = madd(x0, v, s03); s13 = madd(x1, v, s13);
  }
  let t0 = hsum4(s00, s01, s02, s03), t1 = hsum4(s10, s11, s12, s13);
  for (let p = n4; p < n; p++) {
    const o = <usize>p << 2;
    const v = lanes(b0, b1, b2, b3, o);
    t0 = madd(v128.load32_splat(a0 + o), v, t0);
    t1 = madd(v128.load32_splat(a1 + o), v, t1);
  }
  addRow(c, t0, nr, beta);
  if (mr > 1) addRow(c + ldc, t1, nr, beta);
}

/**
 * dW for samples [ITEM0, ITEM1) and column blocks [BLK0, BLK1) of each: X is x, W is dy, Y is the
 * output. With OSTRIDE 0 every sample adds into one [outC, cg, kH, kW] kernel, else sample b
 * writes its own kernel at b*OSTRIDE. The output regions this call writes are cleared first.
 */
export function convBackwardFilter(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), P = arg(g, C_OUTH) * arg(g, C_OUTW);
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const Kg = cg * arg(g, C_KH) * arg(g, C_KW);
  const NC = arg(g, C_NC), oStride = arg(g, C_OSTRIDE);
  const x = ptr(g, C_X), dy = ptr(g, C_W), out = ptr(g, C_Y);
  const col = ptr(g, C_SCRATCH);
  const ldcol = (NC + NR - 1) / NR * NR;
  const direct = arg(g, C_KH) == 1 && arg(g, C_KW) == 1 && arg(g, C_SH) == 1 && arg(g, C_SW) == 1 &&
    arg(g, C_PADT) == 0 && arg(g, C_PADL) == 0 && inH == arg(g, C_OUTH) && inW == arg(g, C_OUTW);
  const b0 = arg(g, C_ITEM0), b1 = arg(g, C_ITEM1), blk0 = arg(g, C_BLK0), blk1 = arg(g, C_BLK1);
  if (oStride == 0) zeroF32(out, outC * Kg);
  for (let b = b0; b < b1; b++) {
    const ob = at(out, b * oStride);
    if (oStride != 0) zeroF32(ob, outC * Kg);
    for (let gi = 0; gi < groups; gi++) {
      const xg = at(x, (b * inC + gi * cg) * inH * inW);
      const dyg = at(dy, (b * outC + gi * og) * P);
      const og0 = at(ob, gi * og * Kg);
      for (let blk = blk0; blk < blk1; blk++) {
        const p0 = blk * NC, n = min(NC, P - p0);
        let cols = col, ld = <usize>ldcol << 2;
        if (direct) {
          cols = at(xg, p0);
          ld = <usize>P << 2;
        } else {
          im2colBlock(g, xg, p0, n, col, ldcol);
        }
        for (let k = 0; k < Kg; k += 4) {
          const nr = min(4, Kg - k);
          const r0 = cols + <usize>k * ld, r1 = nr > 1 ? r0 + ld : r0, r2 = nr > 2 ? r1 + ld : r1, r3 = nr > 3 ? r2 + ld : r2;
          for (let o = 0; o < og; o += 2) {
            dotTile(at(dyg, o * P + p0), <usize>P << 2, r0, r1, r2, r3, n, at(og0, o * Kg + k), <usize>Kg << 2, min(2, og - o), nr, 1);
          }
        }
      }
    }
  }
}
