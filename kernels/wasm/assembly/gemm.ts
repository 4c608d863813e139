// f32x4 GEMM core: the 2x16 register-tiled micro-kernel, its panel packers and a blocked driver.

import { madd } from './madd';

/** Rows of A per micro-tile. */
export const MR: i32 = 2;
/** Columns of B per micro-tile (four f32x4 lanes). */
export const NR: i32 = 16;

/**
 * C[0..mr, 0..nr] (+)= A·B over kc steps.
 * a: packed A panel, [kc][2] floats. b: rows of (at least) 16 floats, ldb bytes apart.
 * c: row 0 of the tile, rows ldc bytes apart. beta 0 overwrites, 1 accumulates.
 * tile: 128 bytes of scratch used when the tile is ragged (mr < 2 or nr < 16).
 */
export function micro(kc: i32, a: usize, b: usize, ldb: usize, c: usize, ldc: usize, mr: i32, nr: i32, beta: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16), b2 = v128.load(b, 32), b3 = v128.load(b, 48);
    const a0 = v128.load32_splat(a);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c02 = madd(a0, b2, c02);
    c03 = madd(a0, b3, c03);
    const a1 = v128.load32_splat(a, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    c12 = madd(a1, b2, c12);
    c13 = madd(a1, b3, c13);
    a += 8;
    b += ldb;
  }
  storeTile(c, ldc, mr, nr, beta, tile, c00, c01, c02, c03, c10, c11, c12, c13);
}

/**
 * As micro, but row k of B starts at b + off[k] (byte offsets, i32 table at off): B rows are
 * shifted views of one padded plane (the implicit im2col of a stride-1 conv).
 */
export function microOff(kc: i32, a: usize, b: usize, off: usize, c: usize, ldc: usize, mr: i32, nr: i32, beta: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const end = off + (<usize>kc << 2);
  for (let t = off; t < end; t += 4) {
    const p = b + <usize>load<i32>(t);
    const b0 = v128.load(p), b1 = v128.load(p, 16), b2 = v128.load(p, 32), b3 = v128.load(p, 48);
    const a0 = v128.load32_splat(a);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c02 = madd(a0, b2, c02);
    c03 = madd(a0, b3, c03);
    const a1 = v128.load32_splat(a, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    c12 = madd(a1, b2, c12);
    c13 = madd(a1, b3, c13);
    a += 8;
  }
  storeTile(c, ldc, mr, nr, beta, tile, c00, c01, c02, c03, c10, c11, c12, c13);
}

/** Stores (or adds, beta 1) the 2x16 accumulators; ragged tiles go through `tile` and store mr x nr. */
@inline function storeTile(c: usize, ldc: usize, mr: i32, nr: i32, beta: i32, tile: usize,
  c00: v128, c01: v128, c02: v128, c03: v128, c10: v128, c11: v128, c12: v128, c13: v128): void {
  if (mr == 2 && nr == 16) {
    const c1 = c + ldc;
    if (beta != 0) {
      c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
      c02 = f32x4.add(c02, v128.load(c, 32)); c03 = f32x4.add(c03, v128.load(c, 48));
      c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16));
      c12 = f32x4.add(c12, v128.load(c1, 32)); c13 = f32x4.add(c13, v128.load(c1, 48));
    }
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
    v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16); v128.store(tile, c02, 32); v128.store(tile, c03, 48);
  v128.store(tile, c10, 64); v128.store(tile, c11, 80); v128.store(tile, c12, 96); v128.store(tile, c13, 112);
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ldc;
    const t = tile + (<usize>i << 6);
    for (let j = 0; j < nr; j++) {
      const p = row + (<usize>j << 2);
      const v = load<f32>(t + (<usize>j << 2));
      store<f32>(p, beta != 0 ? load<f32>(p) + v : v);
    }
  }
}

/**
 * Packs an m x k block of A (element (i, kk) at src + 4*(i*rs + kk*cs)) into 2-row panels
 * [ceil(m/2)][k][2], zero-filling the missing row of an odd m.
 */
export function packA(src: usize, rs: i32, cs: i32, m: i32, k: i32, dst: usize): void {
  for (let i = 0; i < m; i += 2) {
    const r0 = src + (<usize>(i * rs) << 2);
    const two = i + 1 < m;
    const r1 = two ? r0 + (<usize>rs << 2) : r0;
    const step = <usize>cs << 2;
    let p0 = r0, p1 = r1;
    for (let kk = 0; kk < k; kk++) {
      store<f32>(dst, load<f32>(p0));
      store<f32>(dst, two ? load<f32>(p1) : 0, 4);
      dst += 8;
      p0 += step;
      p1 += step;
    }
  }
}

/**
 * Packs a k x n block of B (element (kk, j) at src + 4*(kk*rs + j*cs)) into 16-column panels
 * [ceil(n/16)][k][16], zero-filling past column n.
 */
export function packB(src: usize, rs: i32, cs: i32, k: i32, n: i32, dst: usize): void {
  for (let j0 = 0; j0 < n; j0 += NR) {
    const w = min(NR, n - j0);
    for (let kk = 0; kk < k; kk++) {
      const row = src + (<usize>(kk * rs + j0 * cs) << 2);
      if (cs == 1 && w == NR) {
        v128.store(dst, v128.load(row)); v128.store(dst, v128.load(row, 16), 16);
        v128.store(dst, v128.load(row, 32), 32); v128.store(dst, v128.load(row, 48), 48);
      } else {
        for (let j = 0; j < NR; j++) {
          store<f32>(dst + (<usize>j << 2), j < w ? load<f32>(row + (<usize>(j * cs) << 2)) : 0);
        }
      }
      dst += 64;
    }
  }
}

/**
 * C[m x n] (+)= packedA · B. pa: 2-row panels of A over kc (from packA). b: B rows of at least
 * n (rounded up to 16) readable floats, ldb bytes apart; panel j starts at b + 64*j... unless
 * bPanel > 0, in which case panel j starts at b + j*bPanel (packed B) and ldb is 64.
 * c: ldc bytes per row.
 */
export function gemmBlock(m: i32, n: i32, kc: i32, pa: usize, b: usize, ldb: usize, bPanel: usize, c: usize, ldc: usize, beta: i32, tile: usize): void {
  const aPanel = <usize>(kc * MR) << 2;
  for (let j = 0; j < n; j += NR) {
    const nr = min(NR, n - j);
    const jb = j / NR;
    const bp = bPanel > 0 ? b + <usize>jb * bPanel : b + (<usize>j << 2);
    let ap = pa;
    let cp = c + (<usize>j << 2);
    for (let i = 0; i < m; i += MR) {
      micro(kc, ap, bp, ldb, cp, ldc, min(MR, m - i), nr, beta, tile);
      ap += aPanel;
      cp += ldc << 1;
    }
  }
}

/** As gemmBlock (overwriting C), with B rows at b + off[k] + 4*j (see microOff). */
export function gemmBlockOff(m: i32, n: i32, kc: i32, pa: usize, b: usize, off: usize, c: usize, ldc: usize, tile: usize): void {
  const aPanel = <usize>(kc * MR) << 2;
  for (let j = 0; j < n; j += NR) {
    const nr = min(NR, n - j);
    const bp = b + (<usize>j << 2);
    let ap = pa;
    let cp = c + (<usize>j << 2);
    for (let i = 0; i < m; i += MR) {
      microOff(kc, ap, bp, off, cp, ldc, min(MR, m - i), nr, 0, tile);
      ap += aPanel;
      cp += ldc << 1;
    }
  }
}
