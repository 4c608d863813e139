// Memory of one call: the backend's bytesAllocated delta (total and minus the results) and the process RSS delta, after a forced GC.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bytesPerElement } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';

let gcFn: (() => void) | null | undefined;
let heldAfterGc = 0;

/** JS heap plus ArrayBuffer bytes in use (typed-array storages live outside the heap). */
function heldBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Forces a full GC unless less than `minGrowth` bytes (heap + ArrayBuffers) were taken since the
 * last forced one: fast calls leave too little garbage to be worth a collection each time.
 */
export function gcIfGrown(minGrowth: number): void {
  if (heldBytes() - heldAfterGc >= minGrowth) forceGc();
}

/** Forces a full GC (enabling --expose-gc at run time when node was not started with it); a no-op where neither works. */
export function forceGc(): void {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc;
    if (typeof g === 'function') gcFn = g;
    else {
      try {
        setFlagsFromString('--expose-gc');
        gcFn = runInNewContext('gc') as () => void;
      } catch {
        gcFn = null;
      }
    }
  }
  gcFn?.();
  heldAfterGc = heldBytes();
}

export interface MemoryDelta {
  /** bytesAllocated delta: everything the call allocated on the backend, results included. */
  allocBytes: number;
  /** allocBytes minus the results' bytes. */
  scratchBytes: number;
  /** Process RSS delta (host memory; the gpu's device buffers do not show here). */
  rssDeltaBytes: number;
}

/** Bytes of the tensors' storages. */
export function tensorBytes(ts: readonly Tensor[]): number {
  return ts.reduce((n, t) => n + t.size * bytesPerElement(t.dtype), 0);
}

/**
 * Starts measuring one call on `backend`: reads the counters now; the returned function, given
 * the call's results, reads them again and returns the deltas. Force a GC before starting, so
 * that earlier garbage neither shows up nor gets collected on the call's RSS.
 */
export function startMemory(backend: AnyBackend): (results: readonly Tensor[]) => MemoryDelta {
  const a0 = backend.memory().bytesAllocated;
  const rss0 = process.memoryUsage().rss;
  return (results) => {
    const allocBytes = backend.memory().bytesAllocated - a0;
    const rssDeltaBytes = process.memoryUsage().rss - rss0;
    return { allocBytes, scratchBytes: allocBytes - tensorBytes(results), rssDeltaBytes };
  };
}
