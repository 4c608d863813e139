// Winograd F(4x4, 3x3) forward for stride-1, undilated 3x3 convs: 36 GEMMs over 6x6 tiles at stride 4, 4x fewer multiplies than direct.

import { arg, at, nextItem, ptr, zeroF32 } from './args';
import { NR, gemmBlock } from './gemm';
import { padPlanes } from './plane';
import { winoLd, winoV, xiBytes } from './winograd_layout';
import { KC4, filterTransform4, uPlaneBytes4, uPos4 } from './winograd4_kernel';
import { inputRow4, outputTiles4 } from './winograd4_tiles';
import {
  C_GROUPS, C_INC, C_INH, C_INCPG, C_INW, C_NBLK, C_OUTC, C_OUTCPG, C_OUTH, C_OUTW,
  C_PADL, C_PADT, C_SCRATCH, C_TROWS, C_W, C_WFLIP, C_WSTRIDE, C_X, C_Y, W4_TMP,
} from './layout';

/**
 * Forward for items (b, g, block of TROWS tile rows) claimed with nextItem, as convForwardWinograd with
 * 6x6 tiles. Scratch: W4_TMP bytes (layout.ts), the 36 packed U_ξ, the padded planes [cg][4·th + 2][4·tw4 + 2],
 * V [36][cg][ld], M [36][og][ld] and a strip of 6 x (4·tw4 + 4) floats. FLIPT 1: the input gradient's transposed conv (see filterTransform4).
 */
export function convForwardWinograd4(g: usize): void {
  const inC = arg(g, C_INC), inH = arg(g, C_INH), inW = arg(g, C_INW);
  const outC = arg(g, C_OUTC), outH = arg(g, C_OUTH), outW = arg(g, C_OUTW);
  const groups = arg(g, C_GROUPS), cg = arg(g, C_INCPG), og = arg(g, C_OUTCPG);
  const wStride = arg(g, C_WSTRIDE), nBlk = arg(g, C_NBLK), rb = arg(g, C_TROWS);
  const th = (outH + 3) >> 2, tw4 = (((outW + 3) >> 2) + 3) & ~3;
  const hp = 4 * th + 2, wp = 4 * tw4 + 2;
  const ld = winoLd(rb * tw4), ldb = <usize>ld << 2;
  const x = ptr(g, C_X), w = ptr(g, C_W), y = ptr(g, C_Y);
  const tile = ptr(g, C_SCRATCH), tmp = tile + 256;
  const uXi = uPlaneBytes4(og, cg), flipT = arg(g, C_WFLIP) != 0;
  const up = tile + <usize>W4_TMP;
  const pad = up + 36 * uXi;
  const vXi = xiBytes(cg, ld), mXi = xiBytes(og, ld);
  const vb = winoV(pad, cg, hp, wp);
  const mb = vb + 36 * vXi;
  const strip = mb + 36 * mXi;
  const wpBytes = <usize>wp << 2;
  let lastBG = -1, lastW = -1;
  for (let item = nextItem(g, -1); item >= 0; item = nextItem(g, item)) {
    const bg = item / nBlk, blk = item - bg * nBlk;
    const b = bg / groups, gi = bg - b * groups;
    const wOff = b * wStride + gi * og * cg * 9;
    if (wOff != lastW) {
      filterTransform4(at(w, wOff), og, cg, up, uXi, flipT, tmp);
      lastW = wOff;
    }
    if (bg != lastBG) {
      padPlanes(at(x, (b * inC + gi * cg) * inH * inW), cg, inH, inW, arg(g, C_PADT), arg(g, C_PADL), pad, hp, wp);
      lastBG = bg;
    }
    const ty0 = blk * rb, nr = min(rb, th - ty0), nt = nr * tw4;
    // The GEMMs run whole 16-column panels (nn columns, within ld): the columns past nt are zeroed, not stale.
    const nn = (nt + NR - 1) & ~(NR - 1);
    for (let c = 0; c < cg; c++) {
      const plane = at(pad, c * hp * wp);
      for (let xi = 0; nn > nt && xi < 36; xi++) zeroF32(at(vb + <usize>xi * vXi, c * ld + nt), nn - nt);
      for (let ty = 0; ty < nr; ty++) {
        inputRow4(plane + <usize>(4 * (ty0 + ty)) * wpBytes, wpBytes, tw4, at(vb, c * ld + ty * tw4), vXi, strip);
      }
    }
    for (let xi = 0; xi < 36; xi++) {
      const u = up + <usize>xi * uXi, v = vb + <usize>xi * vXi, m = mb + <usize>xi * mXi;
      // Chunks of KC4 channels, summed into M in order.
      for (let c0 = 0; c0 < cg; c0 += KC4) {
        gemmBlock(og, nn, min(KC4, cg - c0), u + (<usize>uPos4(0, c0, og, cg) << 2), at(v, c0 * ld), ldb, 0, m, ldb, c0 > 0 ? 1 : 0, tile);
      }
    }
    const yg = at(y, (b * outC + gi * og) * outH * outW);
    for (let o = 0; o < og; o++) {
      const yo = at(yg, o * outH * outW);
      for (let ty = 0; ty < nr; ty++) {
        const oy = 4 * (ty0 + ty);
        const m = at(mb, o * ld + ty * tw4);
        for (let tx = 0; tx < tw4; tx += 4) {
          outputTiles4(at(m, tx), mXi, at(yo, oy * outW + 4 * tx), <usize>outW << 2, outH - oy, outW - 4 * tx, tmp);
        }
      }
    }
  }
}
