// The Winograd forwards' scratch layout: the columns of V and M, and where their ξ planes sit after the padded planes.

import { NR } from './gemm';
import { SLACK } from './plane';

/** Columns of the transformed-tile matrices: the block's tiles, rounded to panels, off 1 KiB multiples. */
export function winoLd(tiles: i32): i32 {
  const n = (tiles + NR - 1) / NR * NR;
  return (n & 255) == 0 ? n + NR : n;
}

/** Bytes from one ξ plane of a [ch][ld] matrix to the next, one cache line more so that a tile's planes do not share cache sets. */
@inline export function xiBytes(ch: i32, ld: i32): usize {
  return <usize>(ch * ld + 16) << 2;
}

/** V [ξ][cg][ld], after the cg padded planes [hp][wp] (and SLACK) at pad; M [ξ][og][ld] follows V. */
@inline export function winoV(pad: usize, cg: i32, hp: i32, wp: i32): usize {
  return pad + (<usize>(cg * hp * wp + SLACK) << 2);
}
