// Winograd F(2x2, 3x3) for stride-1, undilated 3x3 convs: 16 GEMMs over transformed 4x4 tiles, 2.25x fewer multiplies.

import { arg, at, nextItem, ptr } from './args';
import { gemmBlock } from './gemm';
import { padPlanes } from './plane';
import { filterTransform, uPlaneBytes } from './winograd_kernel';
import { winoLd, winoV, xiBytes } from './winograd_layout';
import {
  C_GROUPS, C_INC, C_INCPG, C_INH, C_INW, C_NBLK, C_OUTC, C_OUTCPG, C_OUTH, C_OUTW,
  C_WFLIP, C_PADL, C_PADT, C_SCRATCH, C_TROWS, C_W, C_WSTRIDE, C_X, C_Y, W2_TMP,
} from './layout';

@inline function even(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 0, 2, 4, 6);
}

@inline function odd(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(a, b, 1, 3, 5, 7);
}

/**
 * V[ξ][c][t] = (B^T d B)[ξ] for the 4x4 input tiles d of 4 consecutive tiles (lanes), where
 * B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]. row: top-left of the first tile; v: V[0][c] + t.
 */
@inline export function inputTiles(row: usize, wpBytes: usize, v: usize, xi: usize): void {
  // Column transform of each of the 4 rows: e_r = d_r · B.
  let r = row;
  let e00 = f32x4.splat(0), e01 = e00, e02 = e00, e03 = e00, e10 = e00, e11 = e00, e12 = e00, e13 = e00;
  let e20 = e00, e21 = e00, e22 = e00, e23 = e00, e30 = e00, e31 = e00, e32 = e00, e33 = e00;
  for (let i = 0; i < 4; i++) {
    const l0 = v128.load(r), l1 = v128.load(r, 16), m0 = v128.load(r, 8), m1 = v128.load(r, 24);
    const d0 = even(l0, l1), d1 = odd(l0, l1), d2 = even(m0, m1), d3 = odd(m0, m1);
    const a = f32x4.sub(d0, d2), b = f32x4.add(d1, d2), c = f32x4.sub(d2, d1), d = f32x4.sub(d1, d3);
    if (i == 0) { e00 = a; e01 = b; e02 = c; e03 = d; }
    else if (i == 1) { e10 = a; e11 = b; e12 = c; e13 = d; }
    else if (i == 2) { e20 = a; e21 = b; e22 = c; e23 = d; }
    else { e30 = a; e31 = b; e32 = c; e33 = d; }
    r += wpBytes;
  }
  // Row transform: v_0 = e_0 - e_2, v_1 = e_1 + e_2, v_2 = e_2 - e_1, v_3 = e_1 - e_3.
  v128.store(v, f32x4.sub(e00, e20)); v128.store(v + xi, f32x4.sub(e01, e21));
  v128.store(v + 2 * xi, f32x4.sub(e02, e22)); v128.store(v + 3 * xi, f32x4.sub(e03, e23));
  v128.store(v + 4 * xi, f32x4.add(e10, e20)); v128.store(v + 5 * xi, f32x4.add(e11, e21));
  v128.store(v + 6 * xi, f32x4.add(e12, e22)); v128.store(v + 7 * xi, f32x4.add(e13, e23));
  v128.store(v + 8 * xi, f32x4.sub(e20, e10)); v128.store(v + 9 * xi, f32x4.sub(e21, e11));
  v128.store(v + 10 * xi, f32x4.sub(e22, e12)); v128.store(v + 11 * xi, f32x4.sub(e23, e13));
  v128.store(v + 12 * xi, f32x4.sub(e10, e30)); v128.store(v + 13 * xi, f32x4.sub(e11, e31));
  v128.store(v + 14 * xi, f32x4.sub(e12, e32)); v128.store(v + 15 * xi, f32x4.sub(e13, e33));
}

/**
 * The 2x2 outputs of 4 consecutive tiles from M[ξ] (at m, ξ planes xi bytes apart):
 * Y = A^T M A, A^T = [[1,1,1,0],[0,1,-1,-1]]. Writes rows 2ty, 2ty+1 at y0 / y0 + ldy, clipping
 * to rows < rows and cols < cols (8 columns from the first tile's) through `tmp`.
 */
@inline function outputTiles(m: usize, xi: usize, y0: usize, ldy: usize, rows: i32, cols: i32, tmp: usize): void {
  const r00 = f32x4.add(f32x4.add(v128.load(m), v128.load(m + 4 * xi)), v128.load(m + 8 * xi));
  const r01 = f32x4.add(f32x4.add(v128.load(m + xi), v128.load(m + 5 * xi)), v128.load(m + 9 * xi));
  const r02 = f32x4.add(f32x4.add(v128.load(m + 2 * xi), v128.load(m + 6 * xi)), v128.load(m + 10 * xi));
  const r03 = f32x4.add(f32x4.add(v128.load(m + 3 * xi), v128.load(m + 7 * xi)), v128.load(m + 11 * xi));
  const r10 = f32x4.sub(f32x4.sub(v128.load(m + 4 * xi), v128.load(m + 8 * xi)), v128.load(m + 12 * xi));
  const r11 = f32x4.sub(f32x4.sub(v128.load(m + 5 * xi), v128.load(m + 9 * xi)), v128.load(m + 13 * xi));
  const r12 = f32x4.sub(f32x4.sub(v128.load(m + 6 * xi), v128.load(m + 10 * xi)), v128.load(m + 14 * xi));
  const r13 = f32x4.sub(f32x4.sub(v128.load(m + 7 * xi), v128.load(m + 11 * xi)), v128.load(m + 15 * xi));
  const y00 = f32x4.add(f32x4.add(r00, r01), r02), y01 = f32x4.sub(f32x4.sub(r01, r02), r03);
  const y10 = f32x4.add(f32x4.add(r10, r11), r12), y11 = f32x4.sub(f32x4.sub(r11, r12), r13);
  const a0 = v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), a1 = v128.shuffle<f32>(y00, y01, 2, 6, 3, 7);
  const b0 = v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), b1 = v128.shuffle<f32>(y10, y11, 2, 6, 3, 7);
  if (rows >= 2 && cols >= 8) {
    v128.store(y0, a0); v128.store(y0, a1, 16);
    v128.store(y0 + ldy, b0); v128.store(y0 + ldy, b1, 16);
    return;
  }
  v128.store(tmp, a0); v128.store(tmp, a1, 16); v128.store(tmp, b0, 32); v128.store(tmp, b1, 48);
  const nc = min(cols, 8);
  for (let i = 0; i < min(rows, 2); i++) {
    for (let j = 0; j < nc; j++) store<f32>(y0 + <usize>i * ldy + (<usize>j << 2), load<f32>(at(tmp, i * 8 + j)));
  }
}

/**
 * Forward for items (b, g, block of TROWS tile rows) claimed with nextItem. Scratch: tile (W2_TMP bytes), the 16
 * packed U_ξ, the padded planes, V [16][cg][ld] and M [16][og][ld]. FLIPT 1: the transposed conv of
 * the input gradient, reading the forward's kernels unflipped (see filterTransform).
 */
export function convForwardWinograd(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW);
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const wStride = arg(g, C_WSTRIDE), nBlk = arg(g, C_NBLK), rb = arg(g, C_TROWS);
  const th = (outH + 1) >> 1, tw4 = (((outW + 1) >> 1) + 3) & ~3;
  const hp = 2 * th + 2, wp = 2 * tw4 + 2;
  const ld = winoLd(rb * tw4);
  const x = ptr(g, C_X), w = ptr(g, C_W), y = ptr(g, C_Y);
  const tile = ptr(g, C_SCRATCH);
  const uXi = uPlaneBytes(og, cg), flipT = arg(g, C_WFLIP) != 0;
  const up = tile + <usize>W2_TMP;
  const pad = up + 16 * uXi;
  const vXi = xiBytes(cg, ld), mXi = xiBytes(og, ld);
  const vb = winoV(pad, cg, hp, wp);
  const mb = vb + 16 * vXi;
  const wpBytes = <usize>wp << 2;
  let lastBG = -1, lastW = -1;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const bg = item / nBlk, blk = item - bg * nBlk;
    const b = bg / groups, gi = bg - b * groups;
    const wOff = b * wStride + gi * og * cg * 9;
    if (wOff != lastW) {
      filterTransform(at(w, wOff), og, cg, up, uXi, flipT);
      lastW = wOff;
    }
    if (bg != lastBG) {
      padPlanes(at(x, (b * inC + gi * cg) * inH * inW), cg, inH, inW, arg(g, C_PADT), arg(g, C_PADL), pad, hp, wp);
      lastBG = bg;
    }
    const ty0 = blk * rb, nr = min(rb, th - ty0), nt = nr * tw4;
    for (let c = 0; c < cg; c++) {
      const plane = at(pad, c * hp * wp);
      for (let ty = 0; ty < nr; ty++) {
        const row = plane + <usize>(2 * (ty0 + ty)) * wpBytes;
        const v = at(vb, c * ld + ty * tw4);
        for (let tx = 0; tx < tw4; tx += 4) inputTiles(row + (<usize>(2 * tx) << 2), wpBytes, at(v, tx), vXi);
      }
    }
    for (let xi = 0; xi < 16; xi++) {
      gemmBlock(og, nt, cg, up + <usize>xi * uXi, vb + <usize>xi * vXi, <usize>ld << 2, 0, mb + <usize>xi * mXi, <usize>ld << 2, 0, tile);
    }
    const yg = at(y, (b * outC + gi * og) * outH * outW);
    for (let o = 0; o < og; o++) {
      const yo = at(yg, o * outH * outW);
      for (let ty = 0; ty < nr; ty++) {
        const oy = 2 * (ty0 + ty);
        const m = at(mb, o * ld + ty * tw4);
        for (let tx = 0; tx < tw4; tx += 4) {
          outputTiles(at(m, tx), mXi, at(yo, oy * outW + 2 * tx), <usize>outW << 2, outH - oy, outW - 2 * tx, tile + 128);
        }
      }
    }
  }
}
