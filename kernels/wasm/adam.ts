// The wasm fused Adam/AdamW step (float32): the host side of assembly/adam.ts, split into blocks the threads claim.

import type { AdamStepHyper } from '../../core/backend.js';
import {
  AD_B1,
  AD_B2,
  AD_C1,
  AD_C2,
  AD_EPS,
  AD_G,
  AD_INVBC2,
  AD_KEEP,
  AD_L2,
  AD_M,
  AD_N,
  AD_OUTM,
  AD_OUTP,
  AD_OUTV,
  AD_P,
  AD_SLOTS,
  AD_STEP,
  AD_V,
} from './assembly/layout.js';
import type { WasmRuntime } from './runtime.js';

/** Elements per work item (BLOCK in assembly/adam.ts). */
const ADAM_BLOCK = 4096;
/** Fewer elements than this per thread are not worth a hand-off. */
const MIN_ELEMS_PER_THREAD = 1 << 17;

/**
 * The new [p, m, v] of one Adam/AdamW step into outP, outM, outV (byte addresses of n floats
 * each; the scalars as kernels/cpu/adam.ts derives them, rounded to f32 like the op-composed update's).
 */
export function adamStep(rt: WasmRuntime, ptrs: readonly [number, number, number, number, number, number, number], n: number, h: AdamStepHyper): void {
  const s = new Int32Array(AD_SLOTS);
  [AD_P, AD_G, AD_M, AD_V, AD_OUTP, AD_OUTM, AD_OUTV].forEach((slot, i) => {
    s[slot] = ptrs[i];
  });
  s[AD_N] = n;
  const f: [number, number][] = [
    [AD_B1, h.beta1],
    [AD_C1, 1 - h.beta1],
    [AD_B2, h.beta2],
    [AD_C2, 1 - h.beta2],
    [AD_INVBC2, 1 / Math.sqrt(1 - Math.pow(h.beta2, h.step))],
    [AD_EPS, h.eps],
    [AD_STEP, -h.lr / (1 - Math.pow(h.beta1, h.step))],
    [AD_L2, h.decoupled ? 0 : h.weightDecay],
    [AD_KEEP, h.decoupled && h.weightDecay !== 0 ? 1 - h.lr * h.weightDecay : 1],
  ];
  const blocks = Math.ceil(n / ADAM_BLOCK);
  const slices = rt.slicesFor(blocks, n, MIN_ELEMS_PER_THREAD);
  for (let t = 0; t < slices; t++) {
    rt.setArgs(t, s);
    for (const [slot, x] of f) rt.setArgF32(t, slot, x);
  }
  rt.runClaimed('adamStep', slices, blocks);
}
