// Reading kernel arguments from the i32 block the host writes for each call, and claiming work items.

import { S_CHUNK, S_COUNTER, S_END, S_N } from './layout';

/** Slot i of the argument block at p, as an i32. */
@inline export function arg(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

/** Slot i of the argument block at p, as a byte pointer. */
@inline export function ptr(p: usize, i: i32): usize {
  return <usize>load<u32>(p + (<usize>i << 2));
}

/** Slot i of the argument block at p, read as an f32. */
@inline export function argf(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/** Byte address of float element e past base. */
@inline export function at(base: usize, e: i32): usize {
  return base + (<usize>e << 2);
}

/** Zeroes n floats at dst. */
export function zeroF32(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** Copies n floats from src to dst (regions must not overlap). */
export function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(dst + o, v128.load(src + o));
    v128.store(dst + o, v128.load(src + o, 16), 16);
  }
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** dst[i] += src[i] for n floats. */
export function addF32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(dst + (<usize>i << 2)) + load<f32>(src + (<usize>i << 2)));
}

/**
 * The work item after `item` for this thread (pass -1 first), or -1 when none is left. Threads
 * claim S_CHUNK items at a time from the shared counter, so a thread that is descheduled leaves
 * its share to the others instead of holding up the call.
 */
export function nextItem(g: usize, item: i32): i32 {
  if (item >= 0 && item + 1 < arg(g, S_END)) return item + 1;
  const n = arg(g, S_N), chunk = arg(g, S_CHUNK);
  const c0 = atomic.add<i32>(ptr(g, S_COUNTER), chunk);
  if (c0 >= n) return -1;
  store<i32>(g + (<usize>S_END << 2), min(n, c0 + chunk));
  return c0;
}
