// Host side of the float32 max/avg pooling kernels: argument block and the split of planes over threads.

import type { Pool2dGeometry } from '../geometry/pool.js';
import { P_DY, P_INCLPAD, P_INH, P_INW, P_KH, P_KW, P_OUTH, P_OUTW, P_PADL, P_PADT, P_SH, P_SLOTS, P_SW, P_X, P_Y } from './assembly/layout.js';
import type { WasmRuntime } from './runtime.js';

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
