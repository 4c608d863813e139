// Host side of the batch-norm kernels: float32 runs bnSums/bnApply/bnBackward (float64 sums, channels split over threads), float64 the reference on heap views.

import type { DType } from '../../core/dtype.js';
import { kernelChecks } from '../checks.js';
import { applyChannels, backwardParams, channelSums, forwardParams, statsFromSums } from '../cpu/norm.js';
import type { BatchNormGeometry } from '../geometry/norm.js';
import { N_BATCH, N_CH, N_DY, N_PARAMS, N_PLANE, N_SLOTS, N_STATS, N_SUMS, N_W, N_X, N_Y } from './assembly/layout.js';
import type { WasmRuntime } from './runtime.js';
import { checkLive, type WasmStorage } from './storage.js';

/** Element touches below which a batch-norm kernel stays on one thread. */
const MIN_ELEMS_PER_THREAD = 1 << 17;

type Alloc = (kernel: string, dtype: DType, size: number) => WasmStorage;

const { checkBatchNorm } = kernelChecks('wasm');

function check(
  rt: WasmRuntime,
  kernel: string,
  full: Record<string, WasmStorage>,
  perChannel: Record<string, WasmStorage | null>,
  g: BatchNormGeometry,
  stats?: WasmStorage,
): DType {
  const all = [...Object.entries(full), ...Object.entries(perChannel), ...(stats ? [['stats', stats] as const] : [])];
  for (const [name, s] of all) if (s !== null) checkLive(kernel, name, s, rt.heap);
  return checkBatchNorm(kernel, full, perChannel, g, stats);
}

/** The per-call scratch: 2 f64 sums and 4 f32 params per channel (views valid until the heap grows). */
function scratch(rt: WasmRuntime, g: BatchNormGeometry): { sums: number; params: number; sumsView: Float64Array; paramsView: Float32Array } {
  const C = g.channels;
  const { base } = rt.scratch(32 * C, 1);
  const buf = rt.heap.memory.buffer;
  return { sums: base, params: base + 16 * C, sumsView: new Float64Array(buf, base, 2 * C), paramsView: new Float32Array(buf, base + 16 * C, 4 * C) };
}

/** Pointers of one call (0 where unused). */
interface Ptrs {
  x: number;
  dy: number;
  y: number;
  stats: number;
  w: number;
}

/** Runs a batch-norm kernel over the channels, split over threads by claimed channels. */
function run(rt: WasmRuntime, kernel: 'bnSums' | 'bnApply' | 'bnBackward', p: Ptrs, sc: { sums: number; params: number }, g: BatchNormGeometry): void {
  const s = new Int32Array(N_SLOTS);
  s[N_BATCH] = g.batch;
  s[N_CH] = g.channels;
  s[N_PLANE] = g.plane;
  s[N_X] = p.x;
  s[N_DY] = p.dy;
  s[N_SUMS] = sc.sums;
  s[N_PARAMS] = sc.params;
  s[N_Y] = p.y;
  s[N_STATS] = p.stats;
  s[N_W] = p.w;
  const slices = rt.slicesFor(g.channels, g.size * (p.dy === 0 ? 2 : 5), MIN_ELEMS_PER_THREAD);
  for (let t = 0; t < slices; t++) rt.setArgs(t, s);
  rt.runClaimed(kernel, slices, g.channels);
}

/** stats [3, C]: mean, biased variance, invstd. */
export function batchNormStats(rt: WasmRuntime, alloc: Alloc, x: WasmStorage, g: BatchNormGeometry, eps: number): WasmStorage {
  const dtype = check(rt, 'batchNormStats', { x }, {}, g);
  const stats = alloc('batchNormStats', dtype, 3 * g.channels);
  if (dtype === 'float32') {
    const sc = scratch(rt, g);
    run(rt, 'bnSums', { x: x.ptr, dy: 0, y: 0, stats: 0, w: 0 }, sc, g);
    statsFromSums(sc.sumsView, eps, g, stats.data);
  } else statsFromSums(channelSums(x.data, null, null, g), eps, g, stats.data);
  return stats;
}

export function batchNormForward(
  rt: WasmRuntime,
  alloc: Alloc,
  x: WasmStorage,
  stats: WasmStorage,
  weight: WasmStorage | null,
  bias: WasmStorage | null,
  g: BatchNormGeometry,
): WasmStorage {
  const dtype = check(rt, 'batchNormForward', { x }, { weight, bias }, g, stats);
  const out = alloc('batchNormForward', dtype, g.size);
  const p = forwardParams(stats.data, weight?.data ?? null, bias?.data ?? null, g);
  if (dtype === 'float32') {
    const sc = scratch(rt, g);
    sc.paramsView.set(p);
    run(rt, 'bnApply', { x: x.ptr, dy: 0, y: out.ptr, stats: 0, w: 0 }, sc, g);
  } else applyChannels(x.data, null, p, out.data, g);
  return out;
}

export function batchNormBackward(
  rt: WasmRuntime,
  alloc: Alloc,
  x: WasmStorage,
  dy: WasmStorage,
  stats: WasmStorage,
  weight: WasmStorage | null,
  g: BatchNormGeometry,
  wantDx: boolean,
): { dx: WasmStorage | null; dWeight: WasmStorage; dBias: WasmStorage } {
  const dtype = check(rt, 'batchNormBackward', { x, dy }, { weight }, g, stats);
  const dWeight = alloc('batchNormBackward', dtype, g.channels);
  const dBias = alloc('batchNormBackward', dtype, g.channels);
  const dx = wantDx ? alloc('batchNormBackward', dtype, g.size) : null;
  if (dtype === 'float32') {
    // One kernel: per channel the sums, then dx while its x and dy are in cache; the sums come back for dWeight, dBias.
    const sc = scratch(rt, g);
    run(rt, 'bnBackward', { x: x.ptr, dy: dy.ptr, y: dx === null ? 0 : dx.ptr, stats: stats.ptr, w: weight === null ? 0 : weight.ptr }, sc, g);
    backwardParams(sc.sumsView, stats.data, weight?.data ?? null, g, dWeight.data, dBias.data);
  } else {
    const p = backwardParams(channelSums(x.data, dy.data, stats.data, g), stats.data, weight?.data ?? null, g, dWeight.data, dBias.data);
    if (dx !== null) applyChannels(x.data, dy.data, p, dx.data, g);
  }
  return { dx, dWeight, dBias };
}
