// Choosing a wasm conv algorithm and its blocking: which kernel family applies (depthwise, Winograd, wide padded-plane,
// im2col), the column and tile blocking, and the padded-plane and scratch sizes they need.

import type { Conv2dGeometry } from '../geometry/conv.js';

/** Bytes of one column block that should stay in L2 next to the packed kernel. */
export const COL_BLOCK_BYTES = 96 * 1024;
const NR = 16;
/** Channels per group (in and out) from which 3x3 stride-1 convs use Winograd. */
const WINOGRAD_MIN_CHANNELS = 8;
/** Tiles x (in + out channels) per Winograd block: V and M together take 64 bytes per unit (512 KiB). */
const WINOGRAD_BLOCK_TILES = 8192;
/** Wide pixels per block of the stride-1 filter gradient. */
export const FILTER_BLOCK = 512;
/** Zeroed floats past the padded planes (PLANE SLACK in assembly/plane.ts). */
export const PLANE_SLACK = 64;

/** Stride 1 (not pointwise): the padded-plane kernels, whose wide pixels q = oy*Wp + ox skip im2col. */
export function isWide(g: Conv2dGeometry): boolean {
  return g.strideH === 1 && g.strideW === 1 && !g.pointwise;
}

/** Winograd F(2x2, 3x3) pays off for undilated stride-1 3x3 convs with enough channels on both sides. */
export function isWinograd(g: Conv2dGeometry): boolean {
  return (
    g.kH === 3 &&
    g.kW === 3 &&
    g.strideH === 1 &&
    g.strideW === 1 &&
    g.dilationH === 1 &&
    g.dilationW === 1 &&
    g.inCPerGroup >= WINOGRAD_MIN_CHANNELS &&
    g.outCPerGroup >= WINOGRAD_MIN_CHANNELS
  );
}

/**
 * The filter gradient's Winograd pays per (sample, kernel) for its 16 tile reductions' horizontal
 * sums and the inverse transform (about WINO_FILTER_FIXED tile-ξ products' worth), against 16
 * products per tile; the wide path costs about WIDE_FILTER_COST per tap and wide pixel. Fitted to
 * bench/per_sample_conv.ts on Zen 5 (64 channels, 4x4 to 14x14 planes; the crossover is near 7x7).
 */
const WINO_FILTER_FIXED = 240;
const WIDE_FILTER_COST = 0.915;

/** Winograd for the filter gradient: a Winograd-able conv whose planes are large enough to pay for the fixed cost. */
export function isWinogradFilter(g: Conv2dGeometry): boolean {
  if (!isWinograd(g)) return false;
  const th = Math.ceil(g.outH / 2),
    tw4 = Math.ceil(Math.ceil(g.outW / 2) / 4) * 4;
  return 16 * th * tw4 + WINO_FILTER_FIXED <= WIDE_FILTER_COST * 9 * widePlane(g).pw;
}

/** Columns of the Winograd V/M blocks (winoLd in assembly/winograd.ts). */
function winoLd(tiles: number): number {
  const n = roundNR(tiles);
  return n % 256 === 0 ? n + NR : n;
}

/** Tile grid, padded plane and tile-row blocking of the Winograd kernels (V and M blocks stay near L2). */
export function winoPlan(g: Conv2dGeometry): { th: number; tw4: number; hp: number; wp: number; rows: number; nBlk: number; ld: number; vm: number } {
  const cg = g.inCPerGroup,
    og = g.outCPerGroup;
  const th = Math.ceil(g.outH / 2),
    tw4 = Math.ceil(Math.ceil(g.outW / 2) / 4) * 4;
  const rows = Math.max(1, Math.min(th, Math.floor(WINOGRAD_BLOCK_TILES / (cg + og) / tw4)));
  const ld = winoLd(rows * tw4);
  return { th, tw4, hp: 2 * th + 2, wp: 2 * tw4 + 2, rows, nBlk: Math.ceil(th / rows), ld, vm: 16 * 4 * ((cg + og) * ld + 32) };
}

/** Padded plane [hp, wp] of the wide (stride-1) kernels, and the wide pixel count. */
export function widePlane(g: Conv2dGeometry): { hp: number; wp: number; pw: number } {
  return { hp: g.paddedH, wp: g.paddedW, pw: (g.outH - 1) * g.paddedW + g.outW };
}

/** Output pixels per column block for a reduction depth of kg rows. */
export function blockCols(kg: number, pixels: number, bytes = COL_BLOCK_BYTES): number {
  const nc = Math.max(NR, Math.min(512, Math.floor(bytes / 4 / kg / NR) * NR));
  return nc >= pixels ? pixels : nc;
}

export const roundNR = (n: number): number => Math.ceil(n / NR) * NR;

/** Scratch of the depthwise kernels: tap table, tail buffer, a padded plane of hp x wp and a wide output plane. */
export function dwScratch(g: Conv2dGeometry, hp: number, wp: number): number {
  return 4 * (2 * g.kH * g.kW + 4) + 64 + 2 * 4 * (hp * wp + PLANE_SLACK) + 256;
}
