// Conv2d forward and backward-input as blocked GEMMs over im2col columns, with groups and per-sample kernels.

import { arg, at, nextItem, ptr, zeroF32 } from './args';
import { MR, NR, gemmBlock, packA, packB } from './gemm';
import { col2imBlock, im2colBlock } from './im2col';
import {
  C_GROUPS, C_INC, C_INCPG, C_INH, C_INW, C_KH, C_KW, C_NBLK, C_NC, C_POINTWISE,
  C_OUTC, C_OUTCPG, C_OUTH, C_OUTW, C_PADL, C_PADT, C_SCRATCH, C_SH, C_SW, C_W, C_WFLIP, C_WSTRIDE, C_X, C_Y,
} from './layout';

/** Bytes of the 2-row packed A panels for an m x k operand. */
@inline function packedABytes(m: i32, k: i32): usize {
  return <usize>(((m + MR - 1) / MR) * MR * k) << 2;
}

/** Columns per block, rounded up to the micro-tile width. */
@inline function roundNR(n: i32): i32 {
  return (n + NR - 1) / NR * NR;
}

/**
 * Packs, like packA, the m x (oo*kk) kernel matrix of the conv that transposes and flips one group
 * [oo, m, kk] at src: row i, column o*kk + t is src[o, i, kk-1-t]. (The stride-1 input gradient as
 * a forward conv, without a flipped copy of every kernel.)
 */
export function packAFlipped(src: usize, m: i32, oo: i32, kk: i32, dst: usize): void {
  if (kk == 1) {
    packA(src, 1, m, m, oo, dst); // a plain transpose
    return;
  }
  for (let i = 0; i < m; i += 2) {
    const two = i + 1 < m;
    for (let o = 0; o < oo; o++) {
      const r0 = src + (<usize>((o * m + i) * kk + kk - 1) << 2);
      const r1 = two ? r0 + (<usize>kk << 2) : r0;
      for (let t = 0; t < kk; t++) {
        const back = <usize>t << 2;
        store<f32>(dst, load<f32>(r0 - back));
        store<f32>(dst, two ? load<f32>(r1 - back) : 0, 4);
        dst += 8;
      }
    }
  }
}

/**
 * y[b, g*Og + o, p] = Σ_k W_b[g*Og + o, k] · col_bg[k, p], for the work items (b, g, column block)
 * claimed with nextItem. Scratch: 128-byte tile, packed W_g, one column block.
 */
export function convForward(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), P = arg(g, C_OUTH) * arg(g, C_OUTW);
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const Kg = cg * arg(g, C_KH) * arg(g, C_KW);
  const wStride = arg(g, C_WSTRIDE), NC = arg(g, C_NC), nBlk = arg(g, C_NBLK);
  const x = ptr(g, C_X), w = ptr(g, C_W), y = ptr(g, C_Y);
  const tile = ptr(g, C_SCRATCH);
  const pa = tile + 128;
  const col = pa + packedABytes(og, Kg);
  const ldcol = roundNR(NC);
  const direct = arg(g, C_POINTWISE) != 0; // set from Conv2dGeometry.pointwise
  const flip = arg(g, C_WFLIP) != 0, kk = arg(g, C_KH) * arg(g, C_KW);
  let lastBG = -1;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const bg = item / nBlk, blk = item - bg * nBlk;
    const b = bg / groups, gi = bg - b * groups;
    if (bg != lastBG) {
      if (flip) packAFlipped(at(w, b * wStride + gi * og * Kg), og, Kg / kk, kk, pa);
      else packA(at(w, b * wStride + gi * og * Kg), Kg, 1, og, Kg, pa);
      lastBG = bg;
    }
    const p0 = blk * NC, n = min(NC, P - p0);
    const xg = at(x, (b * inC + gi * cg) * inH * inW);
    const yg = at(y, (b * outC + gi * og) * P + p0);
    if (direct && (P & 255) == 0) {
      // Rows 1 KiB-multiples apart alias in the caches: pack the block into panels first.
      packB(at(xg, p0), P, 1, Kg, n, col);
      gemmBlock(og, n, Kg, pa, col, 64, <usize>(Kg * NR) << 2, yg, <usize>P << 2, 0, tile);
    } else if (direct) {
      gemmBlock(og, n, Kg, pa, at(xg, p0), <usize>P << 2, 0, yg, <usize>P << 2, 0, tile);
    } else {
      im2colBlock(g, xg, p0, n, col, ldcol);
      gemmBlock(og, n, Kg, pa, col, <usize>ldcol << 2, 0, yg, <usize>P << 2, 0, tile);
    }
  }
}

/**
 * dx for the work items (b, g) claimed with nextItem: per column block, dcol = W_gᵀ · dy_g, then
 * col2im folds dcol onto dx. X is dy [B, outC, outH, outW]; Y is dx [B, inC, inH, inW].
 */
export function convBackwardInputCol(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), P = arg(g, C_OUTH) * arg(g, C_OUTW);
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const Kg = cg * arg(g, C_KH) * arg(g, C_KW);
  const wStride = arg(g, C_WSTRIDE), NC = arg(g, C_NC), nBlk = arg(g, C_NBLK);
  const dy = ptr(g, C_X), w = ptr(g, C_W), dx = ptr(g, C_Y);
  const tile = ptr(g, C_SCRATCH);
  const pa = tile + 128;
  const col = pa + packedABytes(Kg, og);
  const ldcol = roundNR(NC);
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const b = item / groups, gi = item - b * groups;
    packA(at(w, b * wStride + gi * og * Kg), 1, Kg, Kg, og, pa);
    const dxg = at(dx, (b * inC + gi * cg) * inH * inW);
    zeroF32(dxg, cg * inH * inW);
    const dyg = at(dy, (b * outC + gi * og) * P);
    for (let blk = 0; blk < nBlk; blk++) {
      const p0 = blk * NC, n = min(NC, P - p0);
      gemmBlock(Kg, n, og, pa, at(dyg, p0), <usize>P << 2, 0, col, <usize>ldcol << 2, 0, tile);
      col2imBlock(g, dxg, p0, n, col, ldcol);
    }
  }
}

/**
 * The kernels of the transposed conv: for each of `count` kernels [outC, cg, kH, kW] at w
 * (weightSize apart), writes [inC, og, kH, kW] with both spatial axes reversed, so that dx is a
 * stride-1 forward conv of dy. Reads the conv geometry for the shapes.
 */
export function flipWeights(g: usize, count: i32, w: usize, out: usize): void {
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const kH = arg(g, C_KH), kW = arg(g, C_KW), kk = kH * kW;
  const size = groups * og * cg * kk;
  for (let s = 0; s < count; s++) {
    const ws = at(w, s * size), os = at(out, s * size);
    for (let gi = 0; gi < groups; gi++) {
      for (let o = 0; o < og; o++) {
        for (let c = 0; c < cg; c++) {
          const src = at(ws, ((gi * og + o) * cg + c) * kk);
          const dst = at(os, ((gi * cg + c) * og + o) * kk);
          for (let t = 0; t < kk; t++) store<f32>(at(dst, kk - 1 - t), load<f32>(at(src, t)));
        }
      }
    }
  }
}
