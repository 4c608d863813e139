// Choosing a wasm conv algorithm and its blocking: which kernel family applies (depthwise, Winograd, wide padded-plane,
// im2col), the column and tile blocking, and the padded-plane and scratch sizes they need.

import type { Conv2dGeometry } from '../geometry/conv.js';

/** Bytes of one column block that should stay in L2 next to the packed kernel. */
export const COL_BLOCK_BYTES = 96 * 1024;
const NR = 16;
/** Channels per group (in and out) from which 3x3 stride-1 convs use Winograd. */
const WINOGRAD_MIN_CHANNELS = 8;
/**
 * Tiles x (in + out channels) per Winograd block: V and M together take 64 bytes per unit (512 KiB); the filter
 * gradient's blocks are WINOGRAD_FILTER_BLOCKS times as long (2 MiB).
 */
const WINOGRAD_BLOCK_TILES = 8192;
/** Wide pixels per block of the stride-1 filter gradient. */
export const FILTER_BLOCK = 512;
/** Zeroed floats past the padded planes (PLANE SLACK in assembly/plane.ts). */
export const PLANE_SLACK = 64;

/** Stride 1 (not pointwise): the padded-plane kernels, whose wide pixels q = oy*Wp + ox skip im2col. */
export function isWide(g: Conv2dGeometry): boolean {
  return g.strideH === 1 && g.strideW === 1 && !g.pointwise;
}

/** Winograd (F(2x2, 3x3) or F(4x4, 3x3), see winogradTile) pays off for undilated stride-1 3x3 convs with enough channels on both sides. */
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
 * The Winograd filter gradient against the wide path, per sample: its tile sums (tileSumOps, the cheaper form in
 * each block) plus WINO_FILTER_TRANSFORM per tile and channel for the input and dy transforms, against one unit
 * per wide pixel and (input, output) channel pair for the wide path's 9 taps. Fitted to bench/conv_phase_ab.ts
 * (filter gradient, each shape's Winograd against its wide path, 1 thread, busy 2-core EPYC VM, 3x3 to 56x56 planes,
 * 8 to 128 channels, plain and per-sample, 110 pairs): 2 near-ties (1.00x, 1.06x) picked wrong, where the
 * old plane-only model (crossover near 7x7) picked 58 wrong, 1.18x the faster path's time on average. With the GEMM tile
 * sums Winograd wins from 4x4 planes at 16 channels and from 3x3 at 32 and more; 8 channels keep the wide path
 * up to about 10x10 (the dot tiles' set-up against few tiles).
 */
const WINO_FILTER_TRANSFORM = 11.5;

/** Winograd for the filter gradient: a Winograd-able conv whose planes are large enough to pay for the transforms and tile sums. */
export function isWinogradFilter(g: Conv2dGeometry): boolean {
  if (!isWinograd(g)) return false;
  const { th, tw4, rows, nBlk } = winoPlan(g, 2, WINOGRAD_FILTER_BLOCKS);
  const sums = (nBlk - 1) * tileSumOps(g, rows * tw4) + tileSumOps(g, (th - (nBlk - 1) * rows) * tw4);
  const cg = g.inCPerGroup,
    og = g.outCPerGroup;
  return sums + WINO_FILTER_TRANSFORM * th * tw4 * (cg + og) <= cg * og * widePlane(g).pw;
}

/**
 * The Winograd filter gradient's tile sums per block of nt tiles, in inner-loop operations: dot tiles (2 kernels
 * x 4 channels, DOT_FIXED for their set-up, horizontal sums and stores) or 16 GEMMs (2 x 16 micro-tiles, 4x the
 * dot tile's work per tile step, GEMM_FIXED per micro-tile) after transposing V and packing dM per tile and
 * channel. Counted from the kernels' operations, the fixed and packing costs fitted to both forms timed on the same
 * shapes (one thread, 7x7 to 56x56 planes, 8 to 128 channels: GEMM 0.64x the dot tiles on 7x7 C64, 1.03x on 32x32 C64).
 */
const DOT_FIXED = 80;
const DOT_TILE = 5.5;
const GEMM_FIXED = 24;
const GEMM_PACK_V = 2;
const GEMM_PACK_M = 1;

/** Modelled operations of one block of nt tiles' sums as dot tiles and as GEMMs. */
function tileSumCosts(g: Conv2dGeometry, nt: number): { dot: number; gemm: number } {
  const cg = g.inCPerGroup,
    og2 = Math.ceil(g.outCPerGroup / 2);
  return {
    dot: og2 * Math.ceil(cg / 4) * (DOT_FIXED + DOT_TILE * nt),
    gemm: og2 * Math.ceil(cg / 16) * (GEMM_FIXED + 4 * DOT_TILE * nt) + nt * (GEMM_PACK_V * cg + GEMM_PACK_M * g.outCPerGroup),
  };
}

/** Modelled operations of one block's tile sums in the form the cost model picks (the cheaper; never the forced one). */
function tileSumOps(g: Conv2dGeometry, nt: number): number {
  const { dot, gemm } = tileSumCosts(g, nt);
  return Math.min(dot, gemm);
}

/** The tile sums forced on every Winograd filter gradient (tests of both), or null: the cost model. */
let forcedSums: 'gemm' | 'dot' | null = null;

/** Forces the Winograd filter gradient's tile sums (null: back to the cost model); returns the previous setting. */
export function forceWinogradFilterSums(sums: 'gemm' | 'dot' | null): 'gemm' | 'dot' | null {
  const prev = forcedSums;
  forcedSums = sums;
  return prev;
}

/** Whether the Winograd filter gradient sums its tiles as GEMMs (short blocks) rather than dot tiles (long blocks, few channels). */
export function isWinogradFilterGemm(g: Conv2dGeometry): boolean {
  if (forcedSums !== null) return forcedSums === 'gemm';
  const { rows, tw4 } = winoPlan(g, 2, WINOGRAD_FILTER_BLOCKS);
  const { dot, gemm } = tileSumCosts(g, rows * tw4);
  return gemm < dot;
}

/** Columns of the Winograd V/M blocks (winoLd in assembly/winograd.ts). */
function winoLd(tiles: number): number {
  const n = roundNR(tiles);
  return n % 256 === 0 ? n + NR : n;
}

/** Output tile side of the Winograd kernels: F(2x2, 3x3) (4x4 tiles) or F(4x4, 3x3) (6x6 tiles, assembly/winograd4.ts). */
export type WinoTile = 2 | 4;

/**
 * Blocks of the filter gradient's Winograd, in forward blocks: its tile reductions pay a horizontal sum and a
 * read-modify-write per block, so longer blocks win though V and M leave L2 (bench: B8 C64 32² O64 8.5 ->
 * 7.2 ms, B8 C128 16² O128 9.7 -> 7.6 ms; 7x7 to 16x16 planes with 16-64 channels unchanged).
 */
export const WINOGRAD_FILTER_BLOCKS = 4;

/**
 * Tile grid, padded plane and tile-row blocking of the Winograd kernels with m x m output tiles (V and M
 * blocks stay near L2: the same bytes for both tiles; `scale` times that).
 */
export function winoPlan(
  g: Conv2dGeometry,
  m: WinoTile = 2,
  scale = 1,
): { th: number; tw4: number; hp: number; wp: number; rows: number; nBlk: number; ld: number; vm: number } {
  const cg = g.inCPerGroup,
    og = g.outCPerGroup,
    xis = (m + 2) * (m + 2);
  const th = Math.ceil(g.outH / m),
    tw4 = Math.ceil(Math.ceil(g.outW / m) / 4) * 4;
  const budget = Math.floor((scale * WINOGRAD_BLOCK_TILES * 16) / xis / (cg + og));
  // F(4,3)'s blocks are whole 16-column GEMM panels where a panel fits the budget (or nearly: at least one).
  const rows = Math.max(1, Math.min(th, Math.floor((m === 4 ? Math.max(NR, budget - (budget % NR)) : budget) / tw4)));
  const ld = winoLd(rows * tw4);
  return { th, tw4, hp: m * th + 2, wp: m * tw4 + 2, rows, nBlk: Math.ceil(th / rows), ld, vm: xis * 4 * ((cg + og) * ld + 32) };
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

/** A tile forced on every Winograd forward and input gradient (benches and tests of one kernel), or null: the cost model. */
let forcedTile: WinoTile | null = null;

/**
 * Forces F(m x m, 3x3) on every Winograd forward and input gradient (null: back to the cost model); returns the
 * previous setting. F(4,3) stays capped at WINO4_MAX_DEPTH summed channels (F(2,3) past it) even when forced.
 */
export function forceWinogradTile(m: WinoTile | null): WinoTile | null {
  const prev = forcedTile;
  forcedTile = m;
  return prev;
}

/**
 * Channels summed per output (the forward's C/g, the input gradient's O/g) up to which F(4x4, 3x3) meets the
 * parity tests' 1e-4 (relative, floor 1) against the float64 reference on uniform [-1, 1] data; at 512 it
 * reaches about 1.4e-4, F(2x2, 3x3) about 7e-5.
 */
const WINO4_MAX_DEPTH = 128;

/**
 * The Winograd cost model, in ns per unit, fitted to bench/winograd_tiles.ts (one thread, Zen 5, simd128):
 * GEMM multiply-adds over whole 16-column panels, tile transforms per (tile, channel, ξ), kernel transforms
 * per (kernel, ξ), the input gradient's flipped and transposed read apart. Index: [F(2,3), F(4,3)].
 */
const WINO_GEMM = [0.041, 0.045];
const WINO_TILES = [0.289, 0.386];
const WINO_KERNEL = [0.202, 0.152];
const WINO_KERNEL_FLIPPED = [0.233, 0.188];

/** Modelled ns of the Winograd forward (or input gradient, flipped) of g with m x m tiles. */
export function winogradCost(g: Conv2dGeometry, m: WinoTile, flipped: boolean): number {
  const { th, tw4, rows, nBlk } = winoPlan(g, m);
  const cg = g.inCPerGroup,
    og = g.outCPerGroup,
    xis = (m + 2) * (m + 2),
    i = m === 2 ? 0 : 1;
  const planes = g.batch * g.groups;
  const cols = (nBlk - 1) * roundNR(rows * tw4) + roundNR((th - (nBlk - 1) * rows) * tw4);
  const kernels = og * cg * g.groups * (g.perSampleWeights ? g.batch : 1);
  return (
    WINO_GEMM[i] * xis * og * cg * cols * planes +
    WINO_TILES[i] * xis * (cg + og) * th * tw4 * planes +
    (flipped ? WINO_KERNEL_FLIPPED : WINO_KERNEL)[i] * xis * kernels
  );
}

/**
 * The Winograd tile of a forward (or, inputGrad, the transposed conv of an input gradient) that isWinograd
 * accepts: F(2,3) past WINO4_MAX_DEPTH summed channels (forced or not, so that no setting loses the 1e-4),
 * else the forced tile, else the cheaper by winogradCost.
 */
export function winogradTile(g: Conv2dGeometry, inputGrad: boolean): WinoTile {
  if (g.inCPerGroup > WINO4_MAX_DEPTH) return 2;
  if (forcedTile !== null) return forcedTile;
  return winogradCost(g, 4, inputGrad) < winogradCost(g, 2, inputGrad) ? 4 : 2;
}
