// Launching the wasm float32 conv kernels: argument blocks, scratch, and the split of work over threads (the choice of
// kernel and blocking is kernels/wasm/conv_choice.ts).

import { transposedConvGeometry, type Conv2dGeometry } from '../geometry/conv.js';
import {
  C_BATCH,
  C_BLK0,
  C_BLK1,
  C_DH,
  C_DW,
  C_GROUPS,
  C_INC,
  C_INCPG,
  C_INH,
  C_INW,
  C_ITEM0,
  C_ITEM1,
  C_KH,
  C_KW,
  C_NBLK,
  C_NC,
  C_OSTRIDE,
  C_TROWS,
  C_OUTC,
  C_OUTCPG,
  C_OUTH,
  C_OUTW,
  C_PADL,
  C_PADT,
  C_SCRATCH,
  C_SH,
  C_SLOTS,
  C_SW,
  C_POINTWISE,
  C_W,
  C_WFLIP,
  C_WSTRIDE,
  C_X,
  C_Y,
  GEMM_TILE,
  W2_TMP,
  W4_TMP,
  WF_TMP,
} from './assembly/layout.js';
import { splitRange, type KernelName, type WasmRuntime } from './runtime.js';
import {
  COL_BLOCK_BYTES,
  FILTER_BLOCK,
  PLANE_SLACK,
  WINOGRAD_FILTER_BLOCKS,
  blockCols,
  dwScratch,
  isWide,
  isWinograd,
  isWinogradFilter,
  isWinogradFilterGemm,
  roundNR,
  widePlane,
  winoPlan,
  winogradTile,
} from './conv_choice.js';

/** Flops below which a conv runs on one thread (a worker that has gone to sleep can take ~100 µs to wake: bench/thread_wake.ts). */
const MIN_FLOPS_PER_THREAD = 1.5e6;
/** Fixed partition of the filter gradient's reduction (see convBackwardFilter). */
const FILTER_SLOTS = 4;
/** The geometry slots of a conv argument block (pointers and ranges left 0). */
function slots(g: Conv2dGeometry): Int32Array {
  const s = new Int32Array(C_SLOTS);
  s[C_BATCH] = g.batch;
  s[C_INC] = g.inC;
  s[C_INH] = g.inH;
  s[C_INW] = g.inW;
  s[C_OUTC] = g.outC;
  s[C_OUTH] = g.outH;
  s[C_OUTW] = g.outW;
  s[C_KH] = g.kH;
  s[C_KW] = g.kW;
  s[C_SH] = g.strideH;
  s[C_SW] = g.strideW;
  s[C_DH] = g.dilationH;
  s[C_DW] = g.dilationW;
  s[C_PADT] = g.padTop;
  s[C_PADL] = g.padLeft;
  s[C_GROUPS] = g.groups;
  s[C_INCPG] = g.inCPerGroup;
  s[C_OUTCPG] = g.outCPerGroup;
  s[C_WSTRIDE] = g.perSampleWeights ? g.weightSize : 0;
  s[C_POINTWISE] = g.pointwise ? 1 : 0;
  return s;
}

/**
 * Runs the Winograd forward: items (b, g, block of tile rows). With s[C_WFLIP] set, g is the transposed
 * conv of an input gradient and s[C_W] holds the forward's kernels, flipped and transposed as they are transformed.
 */
function winogradForward(rt: WasmRuntime, s: Int32Array, g: Conv2dGeometry): void {
  const cg = g.inCPerGroup,
    og = g.outCPerGroup;
  const m = winogradTile(g, s[C_WFLIP] !== 0);
  const { hp, wp, rows, nBlk, vm } = winoPlan(g, m);
  s[C_TROWS] = rows;
  s[C_NBLK] = nBlk;
  // (m + 2)² packed U_ξ planes a cache line apart (uPlaneBytes in assembly/winograd_kernel.ts and winograd4_kernel.ts),
  // after the small buffers of the tiles (W2_TMP or W4_TMP bytes), and the planes.
  const xis = (m + 2) * (m + 2);
  // F(4,3) also keeps a strip of 6 rows of wp + 2 floats (the input transform's first pass).
  const small = m === 4 ? W4_TMP + 4 * 6 * (wp + 2) : W2_TMP;
  const scratch = small + xis * (4 * Math.ceil(og / 2) * 2 * cg + 64) + 4 * (cg * hp * wp + PLANE_SLACK) + vm + 64;
  const items = g.batch * g.groups * nBlk;
  const kernel = m === 4 ? 'convForwardWinograd4' : 'convForwardWinograd';
  runItems(rt, kernel, s, items, rt.slicesFor(items, 2 * g.macs, MIN_FLOPS_PER_THREAD), scratch);
}

/** Writes each slice's block (its own scratch), then runs the kernel with the items claimed dynamically. */
function runItems(rt: WasmRuntime, kernel: KernelName, s: Int32Array, items: number, slices: number, scratchBytes: number): void {
  const sc = rt.scratch(scratchBytes, slices);
  for (let t = 0; t < slices; t++) {
    s[C_SCRATCH] = sc.base + t * sc.stride;
    rt.setArgs(t, s);
  }
  rt.runClaimed(kernel, slices, items);
}

/**
 * y = conv2d(x, w) (float32, byte addresses). x [B, C, H, W], w [(B,) O, C/g, kH, kW], y [B, O, outH, outW].
 * With `flippedW` (only where readsFlipped(g)) w holds the kernels of the conv g transposes, which the
 * kernel reads transposed and flipped while packing.
 */
export function convForward(rt: WasmRuntime, x: number, w: number, y: number, g: Conv2dGeometry, flippedW = false): void {
  const s = slots(g);
  if (flippedW) s[C_WFLIP] = 1;
  s[C_X] = x;
  s[C_W] = w;
  s[C_Y] = y;
  if (g.depthwise) {
    const items = g.batch * g.outC;
    runItems(rt, 'dwForward', s, items, rt.slicesFor(items, 2 * g.macs, MIN_FLOPS_PER_THREAD), dwScratch(g, g.paddedH, g.paddedW));
    return;
  }
  if (isWinograd(g)) {
    winogradForward(rt, s, g);
    return;
  }
  const kg = g.inCPerGroup * g.kH * g.kW;
  const packedA = 4 * Math.ceil(g.outCPerGroup / 2) * 2 * kg;
  const wide = isWide(g);
  const { hp, wp, pw } = widePlane(g);
  const P = wide ? pw : g.outH * g.outW;
  const nc = blockCols(kg, P);
  const nBlk = Math.ceil(P / nc);
  s[C_NC] = nc;
  s[C_NBLK] = nBlk;
  const items = g.batch * g.groups * nBlk;
  const scratch = wide
    ? 128 + packedA + 4 * (kg + 4) + 4 * g.outCPerGroup * roundNR(nc) + 4 * (g.inCPerGroup * hp * wp + PLANE_SLACK) + 64
    : 128 + packedA + 4 * kg * roundNR(nc) + 64;
  runItems(rt, wide ? 'convForwardWide' : 'convForward', s, items, rt.slicesFor(items, 2 * g.macs, MIN_FLOPS_PER_THREAD), scratch);
}

/** Whether convForward on g can read the kernels of the conv g transposes as they are (C_WFLIP): the im2col, wide and Winograd kernels. */
function readsFlipped(g: Conv2dGeometry): boolean {
  return !g.depthwise;
}

/** dx = conv2d input gradient (float32). dy [B, O, outH, outW], w as in convForward, dx [B, C, H, W]. */
export function convBackwardInput(rt: WasmRuntime, dy: number, w: number, dx: number, g: Conv2dGeometry): void {
  const s = slots(g);
  s[C_X] = dy;
  s[C_W] = w;
  s[C_Y] = dx;
  if (g.depthwise) {
    const items = g.batch * g.inC;
    const hp = g.paddedH,
      wp = g.paddedW;
    const hq = g.inH + (g.kH - 1) * g.dilationH,
      wq = g.inW + (g.kW - 1) * g.dilationW;
    // Strided: each stride phase pads a dy window (bounded generously here) and keeps a wide output plane.
    const hb = g.outH + g.inH + g.padTop + g.kH * g.dilationH + 2,
      wb = g.outW + g.inW + g.padLeft + g.kW * g.dilationW + 2;
    const scratch = Math.max(dwScratch(g, Math.max(hp, hq), Math.max(wp, wq)), dwScratch(g, hb, wb));
    runItems(rt, 'dwBackwardInput', s, items, rt.slicesFor(items, 2 * g.macs, MIN_FLOPS_PER_THREAD), scratch);
    return;
  }
  if (g.strideH === 1 && g.strideW === 1) {
    // dx is the stride-1 conv of dy with the flipped, transposed kernels and complementary padding.
    const tg = transposedConvGeometry(g);
    // Per-sample kernels are packed (or, for Winograd, transformed) flipped from w itself, and so is a shared
    // kernel for Winograd (transformed once); im2col and wide pack a shared kernel faster from one flipped copy.
    if (readsFlipped(tg) && (g.perSampleWeights || isWinograd(tg))) {
      convForward(rt, dy, w, dx, tg, true);
      return;
    }
    const count = g.perSampleWeights ? g.batch : 1;
    const bytes = 4 * g.weightStorageSize;
    const flipped = rt.heap.alloc(bytes, 'flipped conv kernels');
    try {
      rt.setArgs(0, s);
      rt.flipWeights(rt.block(0), count, w, flipped);
      convForward(rt, dy, flipped, dx, tg);
    } finally {
      rt.heap.release(flipped, bytes);
    }
    return;
  }
  const kg = g.inCPerGroup * g.kH * g.kW;
  const P = g.outH * g.outW;
  const nc = blockCols(kg, P);
  s[C_NC] = nc;
  s[C_NBLK] = Math.ceil(P / nc);
  const items = g.batch * g.groups;
  const scratch = 128 + 4 * Math.ceil(kg / 2) * 2 * g.outCPerGroup + 4 * kg * roundNR(nc) + 64;
  runItems(rt, 'convBackwardInputCol', s, items, rt.slicesFor(items, 2 * g.macs, MIN_FLOPS_PER_THREAD), scratch);
}

/**
 * dw = conv2d filter gradient (float32): [O, C/g, kH, kW] summed over the batch, or [B, O, C/g, kH, kW]
 * when g.perSampleWeights. x [B, C, H, W], dy [B, O, outH, outW].
 */
export function convBackwardFilter(rt: WasmRuntime, x: number, dy: number, dw: number, g: Conv2dGeometry): void {
  const s = slots(g);
  s[C_X] = x;
  s[C_W] = dy;
  s[C_Y] = dw;
  const ws = g.weightSize;
  if (g.depthwise) {
    const items = g.perSampleWeights ? g.batch * g.outC : g.outC;
    s[C_OSTRIDE] = g.perSampleWeights ? ws : 0;
    runItems(rt, 'dwBackwardFilter', s, items, rt.slicesFor(items, 2 * g.macs, MIN_FLOPS_PER_THREAD), dwScratch(g, g.paddedH, g.paddedW));
    return;
  }
  const kg = g.inCPerGroup * g.kH * g.kW;
  const wino = isWinogradFilter(g);
  const wide = !wino && isWide(g);
  const { hp, wp, pw } = widePlane(g);
  const P = wide ? pw : g.outH * g.outW;
  const plan = winoPlan(g, 2, WINOGRAD_FILTER_BLOCKS);
  // Long blocks amortise the dot tiles' horizontal sums; the wide path reads the planes, not a column buffer.
  const nc = wide ? Math.min(P, FILTER_BLOCK) : blockCols(kg, P, 3 * COL_BLOCK_BYTES);
  const nBlk = wino ? plan.nBlk : Math.ceil(P / nc);
  s[C_NC] = wino ? +isWinogradFilterGemm(g) : nc;
  s[C_TROWS] = plan.rows;
  // The work is cut into at most FILTER_SLOTS slots that depend on the problem, never on the thread
  // count; each slot sums its share in a fixed order and the slots are added in order, so the
  // gradient is the same number with any number of threads.
  const bySample = g.batch >= FILTER_SLOTS || nBlk < 2;
  const nSlots = Math.min(bySample ? g.batch : nBlk, FILTER_SLOTS, Math.max(1, Math.floor((2 * g.macs) / rt.minWork(MIN_FLOPS_PER_THREAD))));
  const slices = Math.min(rt.threads, nSlots);
  const scratchBytes = wino
    ? 4 * (g.inCPerGroup * plan.hp * plan.wp + PLANE_SLACK) +
      4 * (g.outCPerGroup * 4 * plan.th * plan.tw4 + PLANE_SLACK) +
      plan.vm +
      16 * 16 * plan.ld +
      16 * 4 * (g.outCPerGroup * g.inCPerGroup + 16) +
      WF_TMP +
      GEMM_TILE +
      64
    : wide
      ? 4 * (kg + 4) + 4 * (g.inCPerGroup * hp * wp + PLANE_SLACK) + 4 * g.outCPerGroup * pw + 64
      : 4 * kg * roundNR(nc) + 64;
  // Slots that could write the same output kernel get private partial sums, added at the end.
  const private_ = nSlots > 1 && !(g.perSampleWeights && bySample);
  const partBytes = 4 * ws * (g.perSampleWeights ? g.batch : 1);
  const parts: number[] = [];
  const kernel = wino ? 'convBackwardFilterWinograd' : wide ? 'convBackwardFilterWide' : 'convBackwardFilter';
  try {
    for (let t = 1; private_ && t < nSlots; t++) parts.push(rt.heap.alloc(partBytes, 'conv2dBackwardFilter partial sums'));
    const sc = rt.scratch(scratchBytes, slices);
    for (let r = 0; r < nSlots; r += slices) {
      const n = Math.min(slices, nSlots - r);
      for (let t = 0; t < n; t++) {
        const slot = r + t;
        const [lo, hi] = splitRange(bySample ? g.batch : nBlk, nSlots, slot);
        s[C_ITEM0] = bySample ? lo : 0;
        s[C_ITEM1] = bySample ? hi : g.batch;
        s[C_BLK0] = bySample ? 0 : lo;
        s[C_BLK1] = bySample ? nBlk : hi;
        s[C_OSTRIDE] = g.perSampleWeights ? ws : 0;
        s[C_Y] = slot === 0 || !private_ ? dw : parts[slot - 1];
        s[C_SCRATCH] = sc.base + t * sc.stride;
        rt.setArgs(t, s);
      }
      rt.run(kernel, n);
    }
    // Slots split by blocks each saw every sample (per-sample parts are whole [B, ...] gradients).
    for (const p of parts) rt.addF32(dw, p, partBytes / 4);
  } finally {
    for (const p of parts) rt.heap.release(p, partBytes);
  }
}
