// Stride-1 conv on padded planes ("wide" pixels q = oy*Wp + ox): no im2col, B rows are offset views of the planes.

import { arg, at, copyF32, nextItem, ptr, zeroF32 } from './args';
import { MR, NR, gemmBlockOff, packA } from './gemm';
import { dotTile } from './convfilter';
import { packAFlipped } from './conv';
import { SLACK, padPlanes } from './plane';
import {
  C_DH, C_DW, C_GROUPS, C_INC, C_INCPG, C_INH, C_INW, C_ITEM0, C_ITEM1, C_KH, C_KW, C_NBLK, C_NC, C_OSTRIDE,
  C_OUTC, C_OUTCPG, C_OUTH, C_OUTW, C_PADL, C_PADT, C_SCRATCH, C_W, C_WFLIP, C_WSTRIDE, C_X, C_Y, C_BLK0, C_BLK1,
} from './layout';

/** Padded plane rows: every input row a stride-1 output row reads. */
@inline function planeH(g: usize): i32 {
  return arg(g, C_OUTH) + (arg(g, C_KH) - 1) * arg(g, C_DH);
}

@inline function planeW(g: usize): i32 {
  return arg(g, C_OUTW) + (arg(g, C_KW) - 1) * arg(g, C_DW);
}

/** Writes the byte offset of B row k = (c, ky, kx) within the padded planes, for every k of a group. */
function offsets(g: usize, off: usize): void {
  const kH = arg(g, C_KH), kW = arg(g, C_KW), dH = arg(g, C_DH), dW = arg(g, C_DW);
  const hp = planeH(g), wp = planeW(g);
  let k = 0;
  for (let c = 0, cg = arg(g, C_INCPG); c < cg; c++) {
    for (let ky = 0; ky < kH; ky++) {
      for (let kx = 0; kx < kW; kx++) store<i32>(at(off, k++), (c * hp * wp + ky * dH * wp + kx * dW) << 2);
    }
  }
}

/** Pads the group's input planes of sample b into pad. */
function padGroup(g: usize, x: usize, b: i32, gi: i32, pad: usize): void {
  const inH = arg(g, C_INH), inW = arg(g, C_INW), cg = arg(g, C_INCPG);
  padPlanes(at(x, (b * arg(g, C_INC) + gi * cg) * inH * inW), cg, inH, inW, arg(g, C_PADT), arg(g, C_PADL), pad, planeH(g), planeW(g));
}

/** Bytes of the padded planes of one group. */
@inline function padBytes(g: usize): usize {
  return <usize>(arg(g, C_INCPG) * planeH(g) * planeW(g) + SLACK) << 2;
}

/**
 * Stride-1 forward for items (b, g, block of wide pixels) claimed with nextItem: C_wide = W_g · B with
 * B row k = the padded planes shifted by off[k]; valid wide columns are then copied to y.
 * Scratch: tile, packed W_g, offset table, wide C block, padded planes.
 */
export function convForwardWide(g: usize): void {
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW), P = outH * outW;
  const groups = arg(g, C_GROUPS), og = arg(g, C_OUTCPG), Kg = arg(g, C_INCPG) * arg(g, C_KH) * arg(g, C_KW);
  const wp = planeW(g), pw = (outH - 1) * wp + outW;
  const wStride = arg(g, C_WSTRIDE), NC = arg(g, C_NC), nBlk = arg(g, C_NBLK), ldw = (NC + NR - 1) / NR * NR;
  const x = ptr(g, C_X), w = ptr(g, C_W), y = ptr(g, C_Y);
  const tile = ptr(g, C_SCRATCH);
  const pa = tile + 128;
  const off = pa + (<usize>(((og + MR - 1) / MR) * MR * Kg) << 2);
  const cw = off + (<usize>((Kg + 3) & ~3) << 2);
  const pad = cw + (<usize>(og * ldw) << 2);
  offsets(g, off);
  const flip = arg(g, C_WFLIP) != 0, kk = arg(g, C_KH) * arg(g, C_KW);
  let lastBG = -1;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const bg = item / nBlk, blk = item - bg * nBlk;
    const b = bg / groups, gi = bg - b * groups;
    if (bg != lastBG) {
      if (flip) packAFlipped(at(w, b * wStride + gi * og * Kg), og, Kg / kk, kk, pa);
      else packA(at(w, b * wStride + gi * og * Kg), Kg, 1, og, Kg, pa);
      padGroup(g, x, b, gi, pad);
      lastBG = bg;
    }
    const q0 = blk * NC, n = min(NC, pw - q0);
    gemmBlockOff(og, n, Kg, pa, at(pad, q0), off, cw, <usize>ldw << 2, tile);
    const yg = at(y, (b * outC + gi * og) * P);
    for (let o = 0; o < og; o++) {
      const src = at(cw, o * ldw), dst = at(yg, o * P);
      let q = q0;
      const qe = q0 + n;
      while (q < qe) {
        const oy = q / wp, ox = q - oy * wp;
        if (ox >= outW) {
          q = (oy + 1) * wp;
          continue;
        }
        const len = min(outW - ox, qe - q);
        copyF32(at(dst, oy * outW + ox), at(src, q - q0), len);
        q += len;
      }
    }
  }
}

/**
 * Stride-1 filter gradient for samples [ITEM0, ITEM1) and wide-pixel blocks [BLK0, BLK1): dy is
 * spread to wide rows (zero in the pad columns) so dW[o, k] = Σ_q dy_wide[o, q] · plane[off[k] + q].
 * X is x, W is dy, Y the output (OSTRIDE as in convBackwardFilter). Scratch: offsets, planes, wide dy.
 */
export function convBackwardFilterWide(g: usize): void {
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW), P = outH * outW;
  const groups = arg(g, C_GROUPS), og = arg(g, C_OUTCPG), Kg = arg(g, C_INCPG) * arg(g, C_KH) * arg(g, C_KW);
  const wp = planeW(g), pw = (outH - 1) * wp + outW;
  const NC = arg(g, C_NC), oStride = arg(g, C_OSTRIDE);
  const x = ptr(g, C_X), dy = ptr(g, C_W), out = ptr(g, C_Y);
  const off = ptr(g, C_SCRATCH);
  const pad = off + (<usize>((Kg + 3) & ~3) << 2);
  const dyw = pad + padBytes(g);
  offsets(g, off);
  const blk0 = arg(g, C_BLK0), blk1 = arg(g, C_BLK1);
  if (oStride == 0) zeroF32(out, outC * Kg);
  for (let b = arg(g, C_ITEM0), bEnd = arg(g, C_ITEM1); b < bEnd; b++) {
    const ob = at(out, b * oStride);
    if (oStride != 0) zeroF32(ob, outC * Kg);
    for (let gi = 0; gi < groups; gi++) {
      padGroup(g, x, b, gi, pad);
      const dyg = at(dy, (b * outC + gi * og) * P);
      for (let o = 0; o < og; o++) {
        const row = at(dyw, o * pw);
        for (let oy = 0; oy < outH; oy++) {
          copyF32(at(row, oy * wp), at(dyg, o * P + oy * outW), outW);
          if (oy + 1 < outH) zeroF32(at(row, oy * wp + outW), wp - outW);
        }
      }
      const og0 = at(ob, gi * og * Kg);
      for (let blk = blk0; blk < blk1; blk++) {
        const q0 = blk * NC, n = min(NC, pw - q0);
        const base = at(pad, q0);
        for (let k = 0; k < Kg; k += 4) {
          const nr = min(4, Kg - k);
          const t = at(off, k);
          const r0 = base + <usize>load<i32>(t);
          const r1 = nr > 1 ? base + <usize>load<i32>(t, 4) : r0;
          const r2 = nr > 2 ? base + <usize>load<i32>(t, 8) : r1;
          const r3 = nr > 3 ? base + <usize>load<i32>(t, 12) : r2;
          for (let o = 0; o < og; o += 2) {
            dotTile(at(dyw, o * pw + q0), <usize>pw << 2, r0, r1, r2, r3, n, at(og0, o * Kg + k), <usize>Kg << 2, min(2, og - o), nr, 1);
          }
        }
      }
    }
  }
}
