// Winograd F(2x2, 3x3) filter gradient: dW = G^T [Σ_t (A dY_t A^T) ⊙ (B^T d_t B)] G, the tile sums as 16 GEMMs or dot tiles.

import { arg, at, ptr, zeroF32 } from './args';
import { dotTile } from './convfilter';
import { gemmBlock } from './gemm';
import { SLACK, padPlanes } from './plane';
import { inputTiles } from './winograd';
import { duPlane, filterBack } from './winograd_filter_back';
import { winoLd } from './winograd_layout';
import {
  C_BLK0, C_BLK1, C_GROUPS, C_INC, C_INCPG, C_INH, C_INW, C_ITEM0, C_ITEM1, C_NC, C_OSTRIDE, C_OUTC, C_OUTCPG,
  C_OUTH, C_OUTW, C_PADL, C_PADT, C_SCRATCH, C_TROWS, C_W, C_X, C_Y, WF_TMP,
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

/** inputTiles / gradTiles over n tiles (a multiple of 4) of one row, as calls: both reductions share one copy of each (the module's size counts). */
function vTiles(row: usize, ldr: usize, v: usize, xi: usize, n: i32): void {
  for (let tx = 0; tx < n; tx += 4) inputTiles(row + (<usize>(2 * tx) << 2), ldr, at(v, tx), xi);
}

function mTiles(row: usize, ldr: usize, m: usize, xi: usize, n: i32): void {
  for (let tx = 0; tx < n; tx += 4) gradTiles(row + (<usize>(2 * tx) << 2), ldr, at(m, tx), xi);
}

/** 4x4 transpose of a, b, c, d (rows) stored as 4 rows of 4 floats `ld` bytes apart at dst. */
@inline function transposeStore(dst: usize, ld: usize, a: v128, b: v128, c: v128, d: v128): void {
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + ld, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * ld, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * ld, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * V_ξ as GEMM rows: vt[ξ][t][c] (rows ldv floats, planes vXi bytes apart) for the nr tile rows from ty0 of the
 * padded planes, four channels at a time through tmp (1 KiB; a missing channel repeats the last one).
 */
function inputRows(pad: usize, cg: i32, hp: i32, wp: i32, ty0: i32, nr: i32, tw4: i32, vt: usize, ldv: i32, vXi: usize, tmp: usize): void {
  const wpBytes = <usize>wp << 2, ldb = <usize>ldv << 2;
  // Channels innermost: the four partial writes to one 64-byte row segment come back to back.
  for (let ty = 0; ty < nr; ty++) {
    for (let tx = 0; tx < tw4; tx += 4) {
      for (let c0 = 0; c0 < cg; c0 += 4) {
        for (let i = 0; i < 4; i++) {
          const row = at(pad, min(c0 + i, cg - 1) * hp * wp) + <usize>(2 * (ty0 + ty)) * wpBytes + (<usize>(2 * tx) << 2);
          vTiles(row, wpBytes, tmp + (<usize>i << 4), 64, 4);
        }
        const dst = vt + <usize>(ty * tw4 + tx) * ldb + (<usize>c0 << 2);
        for (let xi = 0; xi < 16; xi++) {
          const q = tmp + (<usize>xi << 6);
          transposeStore(dst + <usize>xi * vXi, ldb, v128.load(q), v128.load(q, 16), v128.load(q, 32), v128.load(q, 48));
        }
      }
    }
  }
}

/**
 * Tiles summed per GEMM pass: a block's tile sums run in chunks of KT tiles added into dU one after the other, so
 * no float32 sum runs sequentially over more than KT products (as the dot tiles' four lanes over n / 4).
 */
const KT: i32 = 128;

/** Float offset of tile t of o pair p in a packed dM_ξ plane of nt tiles: chunk t / KT, then [p][kt][2] in it. */
@inline function mPos(p: i32, t: i32, og2: i32, nt: i32): i32 {
  const t0 = t - t % KT;
  return t0 * og2 * 2 + p * 2 * min(KT, nt - t0) + 2 * (t - t0);
}

/**
 * dM_ξ as packed GEMM panels, chunk by chunk (mPos: o pairs interleaved per tile, planes mXi bytes apart) for the nr
 * tile rows from ty0 of the padded dy planes [og][dh][dw], through tmp (512 bytes; an odd og repeats its last row).
 */
function gradRows(dyp: usize, og: i32, dh: i32, dw: i32, ty0: i32, nr: i32, tw4: i32, mp: usize, mXi: usize, tmp: usize): void {
  const dwBytes = <usize>dw << 2, nt = nr * tw4, og2 = (og + 1) >> 1;
  for (let o = 0; o < og; o += 2) {
    const p0 = at(dyp, o * dh * dw), p1 = at(dyp, min(o + 1, og - 1) * dh * dw);
    for (let ty = 0; ty < nr; ty++) {
      const off = <usize>(2 * (ty0 + ty)) * dwBytes;
      for (let tx = 0; tx < tw4; tx += 4) {
        mTiles(p0 + off + (<usize>(2 * tx) << 2), dwBytes, tmp, 32, 4);
        mTiles(p1 + off + (<usize>(2 * tx) << 2), dwBytes, tmp + 16, 32, 4);
        const dst = at(mp, mPos(o >> 1, ty * tw4 + tx, og2, nt));
        for (let xi = 0; xi < 16; xi++) {
          const a = v128.load(tmp + (<usize>xi << 5)), b = v128.load(tmp + (<usize>xi << 5), 16);
          v128.store(dst + <usize>xi * mXi, v128.shuffle<f32>(a, b, 0, 4, 1, 5));
          v128.store(dst + <usize>xi * mXi, v128.shuffle<f32>(a, b, 2, 6, 3, 7), 16);
        }
      }
    }
  }
}

/**
 * The block's tile sums as dot tiles (long blocks, few channels): V_ξ [cg][ld] and dM_ξ [og][ld] rows, then
 * dU_ξ[o][c] (+)= Σ_t dM_ξ[o][t] V_ξ[c][t] (beta 0 stores).
 */
function dotBlock(pad: usize, dyp: usize, cg: i32, og: i32, hp: i32, wp: i32, dh: i32, dw: i32, ty0: i32, nr: i32, tw4: i32,
  ld: i32, vb: usize, vXi: usize, mb: usize, mXi: usize, du: usize, duXi: usize, beta: i32): void {
  const wpBytes = <usize>wp << 2, dwBytes = <usize>dw << 2, nt = nr * tw4;
  for (let c = 0; c < cg; c++) {
    for (let ty = 0; ty < nr; ty++) {
      const row = at(pad, c * hp * wp) + <usize>(2 * (ty0 + ty)) * wpBytes, v = at(vb, c * ld + ty * tw4);
      vTiles(row, wpBytes, v, vXi, tw4);
    }
  }
  for (let o = 0; o < og; o++) {
    for (let ty = 0; ty < nr; ty++) {
      const row = at(dyp, o * dh * dw) + <usize>(2 * (ty0 + ty)) * dwBytes, m = at(mb, o * ld + ty * tw4);
      mTiles(row, dwBytes, m, mXi, tw4);
    }
  }
  for (let xi = 0; xi < 16; xi++) {
    const mx = mb + <usize>xi * mXi, vx = vb + <usize>xi * vXi, dux = du + <usize>xi * duXi;
    for (let c = 0; c < cg; c += 4) {
      const nc = min(4, cg - c);
      const r0 = at(vx, c * ld), r1 = nc > 1 ? at(r0, ld) : r0, r2 = nc > 2 ? at(r1, ld) : r1, r3 = nc > 3 ? at(r2, ld) : r2;
      for (let o = 0; o < og; o += 2) {
        dotTile(at(mx, o * ld), <usize>ld << 2, r0, r1, r2, r3, nt, at(dux, o * cg + c), <usize>cg << 2, min(2, og - o), nc, beta);
      }
    }
  }
}

/**
 * dW for samples [ITEM0, ITEM1) and tile-row blocks [BLK0, BLK1) of TROWS rows: X is x, W is dy,
 * Y the output (OSTRIDE 0: one kernel summed over the samples; else sample b at b*OSTRIDE).
 * Scratch: padded x planes, padded dy planes, V_ξ rows, packed dM_ξ, the dU accumulators, WF_TMP bytes of tiles and a GEMM_TILE
 * (layout.ts).
 * Each block's dU_ξ (og x cg) += dM_ξ (og x nt) · V_ξ (nt x cg), as 16 GEMMs (NC 1: short blocks, where dot tiles'
 * horizontal sums would dominate) or dot tiles (NC 0); the first block of a kernel stores instead of adding.
 */
export function convBackwardFilterWinograd(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW);
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const oStride = arg(g, C_OSTRIDE), rb = arg(g, C_TROWS), gemm = arg(g, C_NC) != 0;
  const th = (outH + 1) >> 1, tw4 = (((outW + 1) >> 1) + 3) & ~3;
  const hp = 2 * th + 2, wp = 2 * tw4 + 2, dh = 2 * th, dw = 2 * tw4;
  const ld = winoLd(rb * tw4), ldv = (cg + 3) & ~3;
  const x = ptr(g, C_X), dy = ptr(g, C_W), out = ptr(g, C_Y);
  // Planes: V_ξ [ld][ldv], dM_ξ [og rounded to 2][ld], each plus one cache line (the GEMM reads past a row's last panel).
  const vXi = <usize>(ld * ldv + 16) << 2, mXi = <usize>(((og + 1) & ~1) * ld + 16) << 2;
  const pad = ptr(g, C_SCRATCH);
  const dyp = pad + (<usize>(cg * hp * wp + SLACK) << 2);
  const vb = dyp + (<usize>(og * dh * dw + SLACK) << 2);
  const mb = vb + 16 * vXi;
  const du = mb + 16 * mXi;
  const duSize = 16 * duPlane(og, cg), duXi = <usize>duPlane(og, cg) << 2;
  const tmp = du + (<usize>duSize << 2), tile = tmp + <usize>WF_TMP;
  const blk0 = arg(g, C_BLK0), blk1 = arg(g, C_BLK1), kSize = og * cg * 9;
  const b0 = arg(g, C_ITEM0), b1 = arg(g, C_ITEM1);
  for (let gi = 0; gi < groups; gi++) {
    if (blk1 <= blk0 || b1 <= b0) zeroF32(du, duSize);
    for (let b = b0; b < b1; b++) {
      padPlanes(at(x, (b * inC + gi * cg) * inH * inW), cg, inH, inW, arg(g, C_PADT), arg(g, C_PADL), pad, hp, wp);
      padPlanes(at(dy, (b * outC + gi * og) * outH * outW), og, outH, outW, 0, 0, dyp, dh, dw);
      for (let blk = blk0; blk < blk1; blk++) {
        const ty0 = blk * rb, nr = min(rb, th - ty0), nt = nr * tw4;
        const beta = blk == blk0 && (oStride != 0 || b == b0) ? 0 : 1;
        if (gemm) {
          inputRows(pad, cg, hp, wp, ty0, nr, tw4, vb, ldv, vXi, tmp);
          gradRows(dyp, og, dh, dw, ty0, nr, tw4, mb, mXi, tmp);
          for (let xi = 0; xi < 16; xi++) {
            const m = mb + <usize>xi * mXi, v = vb + <usize>xi * vXi, d = du + <usize>xi * duXi;
            for (let t0 = 0; t0 < nt; t0 += KT) {
              const a = at(m, mPos(0, t0, (og + 1) >> 1, nt));
              gemmBlock(og, cg, min(KT, nt - t0), a, at(v, t0 * ldv), <usize>ldv << 2, 0, d, <usize>cg << 2, t0 > 0 ? 1 : beta, tile);
            }
          }
        } else {
          dotBlock(pad, dyp, cg, og, hp, wp, dh, dw, ty0, nr, tw4, ld, vb, vXi, mb, mXi, du, duXi, beta);
        }
      }
      if (oStride != 0) filterBack(du, og, cg, at(out, b * oStride + gi * kSize));
    }
    if (oStride == 0) filterBack(du, og, cg, at(out, gi * kSize));
  }
}
