// Host side of the max/avg pooling kernels: the backend's checks and dispatch (float64 and out-of-range geometries run
// the reference loops on views of the heap), the argument block and the split of planes over threads.

import type { DType } from '../../core/dtype.js';
import * as cpuPool from '../cpu/pool.js';
import type { Pool2dGeometry } from '../geometry/pool.js';
import { P_DY, P_INCLPAD, P_INH, P_INW, P_KH, P_KW, P_OUTH, P_OUTW, P_PADL, P_PADT, P_SH, P_SLOTS, P_SW, P_X, P_Y } from './assembly/layout.js';
import { checkSize, poolOutsideWasm, sameDtype } from './checks.js';
import type { WasmRuntime } from './runtime.js';
import type { WasmStorage } from './storage.js';

/** Element touches below which a pooling kernel stays on one thread. */
const MIN_ELEMS_PER_THREAD = 1 << 17;

/** Pooling forward/backward over planes (float32). x/dy/y byte addresses (unused ones 0). */
export function pool(
  rt: WasmRuntime,
  kernel: 'maxPoolForward' | 'maxPoolBackward' | 'avgPoolForward' | 'avgPoolBackward',
  x: number,
  dy: number,
  y: number,
  g: Pool2dGeometry,
): void {
  const s = new Int32Array(P_SLOTS);
  s[P_INH] = g.inH;
  s[P_INW] = g.inW;
  s[P_OUTH] = g.outH;
  s[P_OUTW] = g.outW;
  s[P_KH] = g.kH;
  s[P_KW] = g.kW;
  s[P_SH] = g.strideH;
  s[P_SW] = g.strideW;
  s[P_PADT] = g.padTop;
  s[P_PADL] = g.padLeft;
  s[P_INCLPAD] = g.countIncludePad ? 1 : 0;
  s[P_X] = x;
  s[P_DY] = dy;
  s[P_Y] = y;
  const planes = g.batch * g.channels;
  const work = planes * g.outH * g.outW * g.kH * g.kW;
  const slices = rt.slicesFor(planes, work, MIN_ELEMS_PER_THREAD);
  for (let t = 0; t < slices; t++) rt.setArgs(t, s);
  rt.runClaimed(kernel, slices, planes);
}

/** The backend's pooling entry points. */
export type PoolOp = 'maxPool2d' | 'maxPool2dBackward' | 'avgPool2d' | 'avgPool2dBackward';

const KERNEL = {
  maxPool2d: 'maxPoolForward',
  maxPool2dBackward: 'maxPoolBackward',
  avgPool2d: 'avgPoolForward',
  avgPool2dBackward: 'avgPoolBackward',
} as const;

/**
 * One pooling op on storages: checks x / dy (dtype, sizes), allocates the output with `alloc`, and runs the wasm
 * kernel (float32 within its argument limits) or the reference loop. x is null for avgPool2dBackward, dy for the forwards.
 */
export function poolOp(
  rt: WasmRuntime,
  alloc: (kernel: string, dtype: DType, size: number) => WasmStorage,
  op: PoolOp,
  x: WasmStorage | null,
  dy: WasmStorage | null,
  g: Pool2dGeometry,
): WasmStorage {
  const inN = g.batch * g.channels * g.inH * g.inW,
    outN = g.batch * g.channels * g.outH * g.outW;
  const args = [x, dy].filter((s): s is WasmStorage => s !== null);
  const dtype = sameDtype(rt.heap, op, x && dy ? ['x', 'dy'] : [x ? 'x' : 'dy'], args);
  if (x) checkSize(op, 'x', x, inN, 'the pool input');
  if (dy) checkSize(op, 'dy', dy, outN, 'the pool output');
  const out = alloc(op, dtype, op.endsWith('Backward') ? inN : outN);
  if (dtype === 'float32' && poolOutsideWasm(g) === null) pool(rt, KERNEL[op], x ? x.ptr : 0, dy ? dy.ptr : 0, out.ptr, g);
  else if (op === 'maxPool2d') cpuPool.maxPool2dForward(x!.data, out.data, g);
  else if (op === 'maxPool2dBackward') cpuPool.maxPool2dBackward(x!.data, dy!.data, out.data, g);
  else if (op === 'avgPool2d') cpuPool.avgPool2dForward(x!.data, out.data, g);
  else cpuPool.avgPool2dBackward(dy!.data, out.data, g);
  return out;
}
