// Zero-padded copies of input planes: what the padded-plane conv kernels read instead of bounds-checking.

import { at, zeroF32 } from './args';

/** Floats past the end of a padded plane that vector loops may read (kept zero). */
export const SLACK: i32 = 64;

/**
 * Copies plane src [h, w] into pad [hp, wp] at offset (padT, padL), zero elsewhere, then zeroes
 * SLACK floats past the end; negative offsets crop. pad must hold hp*wp + SLACK floats.
 */
export function padPlane(src: usize, h: i32, w: i32, padT: i32, padL: i32, pad: usize, hp: i32, wp: i32): void {
  const c0 = max(0, padL), c1 = min(wp, padL + w);
  for (let r = 0; r < hp; r++) {
    const row = at(pad, r * wp), iy = r - padT;
    if (iy < 0 || iy >= h || c1 <= c0) {
      zeroF32(row, wp);
      continue;
    }
    for (let i = 0; i < c0; i++) store<f32>(at(row, i), 0);
    const d = at(row, c0), s = at(src, iy * w + c0 - padL), n = c1 - c0;
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(at(d, i), v128.load(at(s, i)));
    for (; i < n; i++) store<f32>(at(d, i), load<f32>(at(s, i)));
    for (let j = c1; j < wp; j++) store<f32>(at(row, j), 0);
  }
  zeroF32(at(pad, hp * wp), SLACK);
}

/** Pads `count` consecutive planes of src (h*w apart) into consecutive padded planes (hp*wp apart). */
export function padPlanes(src: usize, count: i32, h: i32, w: i32, padT: i32, padL: i32, pad: usize, hp: i32, wp: i32): void {
  for (let c = 0; c < count; c++) padPlane(at(src, c * h * w), h, w, padT, padL, at(pad, c * hp * wp), hp, wp);
}
