// Winograd F(4x4, 3x3) tile transforms: Bᵀ d B of 6x6 input tiles and Aᵀ M A of the 6x6 products, four tiles per vector.

import { at } from './args';

// Interpolation points 0, 1, -1, 1/2, -2 (and ∞): the most accurate float32 choice measured against the
// float64 reference (0, ±1, ±2 loses about 2x). Rows of Bᵀ and columns of A are scaled by powers of two so
// that both are integer; winograd4_kernel.ts's G carries the inverse scales.
//   Bᵀ = [[2,-3,-4,3,2,0],[0,-2,1,5,2,0],[0,2,-5,1,2,0],[0,-2,-1,2,1,0],[0,1,-2,-1,2,0],[0,2,-3,-4,3,2]]
//   Aᵀ = [[1,1,1,8,1,0],[0,1,-1,4,-2,0],[0,1,1,2,4,0],[0,1,-1,1,-8,1]]

/** r = Bᵀ d for six vectors d0..d5, stored at q, q + t, ... */
@inline function bt6v(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, q: usize, t: usize): void {
  const two = f32x4.splat(2), three = f32x4.splat(3);
  const a = f32x4.sub(d3, d1), b = f32x4.sub(d4, d2);
  v128.store(q, f32x4.add(f32x4.mul(two, f32x4.add(f32x4.sub(d0, d2), b)), f32x4.mul(three, a)));
  v128.store(q + t, f32x4.add(f32x4.mul(two, f32x4.add(a, b)), f32x4.mul(three, f32x4.add(d2, d3))));
  v128.store(q + 2 * t, f32x4.add(f32x4.mul(two, f32x4.sub(b, a)), f32x4.mul(three, f32x4.sub(d3, d2))));
  v128.store(q + 3 * t, f32x4.add(f32x4.add(a, a), b));
  v128.store(q + 4 * t, f32x4.sub(f32x4.add(b, b), a));
  v128.store(q + 5 * t, f32x4.add(f32x4.mul(two, f32x4.sub(f32x4.sub(d5, d3), a)), f32x4.mul(three, b)));
}

/**
 * V[ξ][c][t] = (Bᵀ d B)[ξ] (ξ = 6i + j) for the tw4 6x6 tiles d of one tile row (4 columns apart). row: the
 * tile row's top-left (6 rows wpBytes apart, 4·tw4 + 2 floats used of each, 2 more readable); v: V[0][c] + t0,
 * planes xi bytes apart; strip: 6 rows of 4·tw4 + 4 floats. First Bᵀ d down whole rows (contiguous vectors),
 * then · B along each row, four tiles (lanes) at a time.
 */
export function inputRow4(row: usize, wpBytes: usize, tw4: i32, v: usize, xi: usize, strip: usize): void {
  const sBytes = <usize>(4 * tw4 + 4) << 2;
  for (let x: usize = 0, e = sBytes; x < e; x += 16) {
    const p = row + x;
    bt6v(v128.load(p), v128.load(p + wpBytes), v128.load(p + 2 * wpBytes), v128.load(p + 3 * wpBytes),
      v128.load(p + 4 * wpBytes), v128.load(p + 5 * wpBytes), strip + x, sBytes);
  }
  for (let i = 0; i < 6; i++) {
    const s = strip + <usize>i * sBytes, vi = v + <usize>(6 * i) * xi;
    for (let tx = 0; tx < tw4; tx += 4) {
      const p = s + (<usize>(4 * tx) << 2);
      const q0 = v128.load(p), q1 = v128.load(p, 16), q2 = v128.load(p, 32), q3 = v128.load(p, 48);
      const q4 = v128.load64_zero(p, 64);
      const t0 = v128.shuffle<f32>(q0, q1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(q0, q1, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(q2, q3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(q2, q3, 2, 6, 3, 7);
      // Column j of the four tiles: (q0[j], q1[j], q2[j], q3[j]); columns 4 and 5 continue into q4.
      const c0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), c1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
      const c2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), c3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
      const c4 = v128.shuffle<f32>(c0, q4, 1, 2, 3, 4), c5 = v128.shuffle<f32>(c1, q4, 1, 2, 3, 5);
      bt6v(c0, c1, c2, c3, c4, c5, vi + (<usize>tx << 2), xi);
    }
  }
}

/** y_i = (Aᵀ m)_i for six vectors m (at p, p + s, ...), stored at q, q + t, ... */
@inline function at6(p: usize, s: usize, q: usize, t: usize): void {
  const m0 = v128.load(p), m1 = v128.load(p + s), m2 = v128.load(p + 2 * s);
  const m3 = v128.load(p + 3 * s), m4 = v128.load(p + 4 * s), m5 = v128.load(p + 5 * s);
  const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2);
  const two = f32x4.splat(2), four = f32x4.splat(4), eight = f32x4.splat(8);
  v128.store(q, f32x4.add(f32x4.add(m0, a), f32x4.add(f32x4.mul(eight, m3), m4)));
  v128.store(q + t, f32x4.add(b, f32x4.sub(f32x4.mul(four, m3), f32x4.mul(two, m4))));
  v128.store(q + 2 * t, f32x4.add(a, f32x4.add(f32x4.mul(two, m3), f32x4.mul(four, m4))));
  v128.store(q + 3 * t, f32x4.add(f32x4.add(b, m3), f32x4.sub(m5, f32x4.mul(eight, m4))));
}

/**
 * The 4x4 outputs of 4 consecutive tiles from M[ξ] (at m, planes xi bytes apart): Y = Aᵀ M A. Writes
 * rows 0..3 at y0 + i·ldy (16 columns from the first tile's), clipped to rows < rows and columns < cols
 * through tmp (640 bytes).
 */
export function outputTiles4(m: usize, xi: usize, y0: usize, ldy: usize, rows: i32, cols: i32, tmp: usize): void {
  // Aᵀ M, column by column: tmp[i][j] (i < 4, 6 vectors per row).
  for (let j = 0; j < 6; j++) at6(m + <usize>j * xi, 6 * xi, tmp + (<usize>j << 4), 96);
  const clip = rows < 4 || cols < 16;
  const out = tmp + 384;
  for (let i = 0; i < 4; i++) {
    const e = tmp + <usize>i * 96;
    // (Aᵀ M A)[i][0..3] of the four tiles, in place, then transposed to one output row.
    at6(e, 16, e, 16);
    const z0 = v128.load(e), z1 = v128.load(e, 16), z2 = v128.load(e, 32), z3 = v128.load(e, 48);
    const t0 = v128.shuffle<f32>(z0, z1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(z0, z1, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(z2, z3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(z2, z3, 2, 6, 3, 7);
    const d = clip ? out + (<usize>i << 6) : y0 + <usize>i * ldy;
    if (!clip || i < rows) {
      v128.store(d, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(d, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
      v128.store(d, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
      v128.store(d, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
    }
  }
  if (!clip) return;
  const nr = min(rows, 4), nc = min(cols, 16);
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++) store<f32>(y0 + <usize>i * ldy + (<usize>j << 2), load<f32>(at(out, i * 16 + j)));
  }
}
