// Device-resident storages of the gpu backend: where each one's data is, the checks every kernel argument passes, and the memory accounting.

import { CondgradError } from '../../core/errors.js';
import type { MemoryStats, Storage } from '../../core/backend.js';
import { MAX_EXACT_INDEX } from './codegen.js';
import type { RawBuffer } from './gpujs.js';

/** Where a storage's data is: its device buffer once launched (null while queued or empty), or why it failed. */
export interface Cell {
  buffer: RawBuffer | null;
  failed: CondgradError | null;
}

/**
 * A float32 buffer on the device. Kernels are recorded in call order without waiting for the
 * device; only `read()` waits for results. A failed kernel fails its storage and every storage
 * computed from it, and reading any of them rejects with the kernel's CondgradError.
 */
export class GpuStorage implements Storage {
  readonly dtype = 'float32' as const;
  disposed = false;
  constructor(
    /** The runtime that made it. */
    readonly owner: object,
    readonly size: number,
    /** @internal */ readonly cell: Cell,
  ) {}
}

/** Throws unless `s` is a live storage of `owner` with `want` elements (when given). */
export function checkStorage(owner: object, kernel: string, arg: string, s: unknown, want?: number, what?: string): GpuStorage {
  if (!(s instanceof GpuStorage) || s.owner !== owner) {
    const got = s && typeof s === 'object' && 'dtype' in s ? 'a storage of another backend' : String(s);
    throw new CondgradError(`gpu.${kernel}`, `${arg} must be a gpu storage of this backend, got ${got}; move tensors between backends explicitly`);
  }
  if (s.disposed) throw new CondgradError(`gpu.${kernel}`, `${arg} has been disposed`);
  if (want !== undefined && s.size !== want) {
    throw new CondgradError(`gpu.${kernel}`, `${arg} has ${s.size} elements but ${what ?? 'the geometry'} needs ${want}`);
  }
  return s;
}

/** Allocation counts and live bytes of one runtime's storages. */
export class MemoryAccount {
  private allocations = 0;
  private bytesAllocated = 0;
  private liveBuffers = 0;
  private liveBytes = 0;

  /** Counts a new storage of `size` floats; refuses sizes the kernels cannot index exactly. */
  track(size: number): void {
    if (size > MAX_EXACT_INDEX) {
      throw new CondgradError('gpu.alloc', `a buffer of ${size} elements exceeds the ${MAX_EXACT_INDEX} elements the gpu backend indexes exactly`);
    }
    this.allocations++;
    this.bytesAllocated += 4 * size;
    if (size > 0) {
      this.liveBuffers++;
      this.liveBytes += 4 * size;
    }
  }

  release(size: number): void {
    if (size > 0) {
      this.liveBuffers--;
      this.liveBytes -= 4 * size;
    }
  }

  stats(): MemoryStats {
    return { allocations: this.allocations, bytesAllocated: this.bytesAllocated, liveBuffers: this.liveBuffers, liveBytes: this.liveBytes };
  }
}
