// Wasm storages: blocks of the shared wasm heap with a typed-array view, freed by dispose() or by the GC.

import { bytesPerElement, type DType, type FloatArray } from '../../core/dtype.js';
import { CondgradError } from '../../core/errors.js';
import type { MemoryStats, Storage } from '../../core/backend.js';
import type { WasmHeap } from './heap.js';

/** A float32 or float64 buffer in the wasm heap: `ptr` is its byte address, `data` a view of exactly `size` elements. */
export class WasmStorage implements Storage {
  readonly dtype: DType;
  readonly size: number;
  readonly ptr: number;
  /** @internal the heap that owns the block */
  readonly heap: WasmHeap;
  /** Set by dispose; a disposed storage must not be used. */
  disposed = false;
  private view: FloatArray;

  constructor(heap: WasmHeap, dtype: DType, size: number, ptr: number) {
    this.heap = heap;
    this.dtype = dtype;
    this.size = size;
    this.ptr = ptr;
    this.view = this.makeView();
  }

  private makeView(): FloatArray {
    const buf = this.heap.memory.buffer;
    return this.dtype === 'float32' ? new Float32Array(buf, this.ptr, this.size) : new Float64Array(buf, this.ptr, this.size);
  }

  /**
   * A view of the elements, valid while the storage is alive and not disposed, until the heap next
   * grows: an unshared memory's old buffer is detached then, so read `data` again after any
   * allocation rather than keeping the view.
   */
  get data(): FloatArray {
    if (this.view.buffer !== this.heap.memory.buffer) this.view = this.makeView();
    return this.view;
  }
}

interface Held {
  ptr: number;
  bytes: number;
}

/** Allocates storages on one heap, counts them, and frees the ones the GC collects before dispose. */
export class StorageAllocator {
  private readonly heap: WasmHeap;
  private allocations = 0;
  private bytesAllocated = 0;
  private liveBuffers = 0;
  private liveBytes = 0;
  private readonly registry: FinalizationRegistry<Held>;

  constructor(heap: WasmHeap) {
    this.heap = heap;
    this.registry = new FinalizationRegistry((h: Held) => this.free(h.ptr, h.bytes));
  }

  alloc(dtype: DType, size: number, what: string): WasmStorage {
    if (dtype !== 'float32' && dtype !== 'float64') throw new CondgradError('wasm.alloc', `${what}: unsupported dtype ${String(dtype)}`);
    if (!Number.isSafeInteger(size) || size < 0) throw new CondgradError('wasm.alloc', `${what}: size must be a non-negative integer, got ${size}`);
    const bytes = size * bytesPerElement(dtype);
    const ptr = this.heap.alloc(bytes, `${what} (${size} x ${dtype})`);
    const s = new WasmStorage(this.heap, dtype, size, ptr);
    this.allocations++;
    this.bytesAllocated += bytes;
    this.liveBuffers++;
    this.liveBytes += bytes;
    this.registry.register(s, { ptr, bytes }, s);
    return s;
  }

  dispose(s: WasmStorage): void {
    if (s.disposed) return;
    s.disposed = true;
    this.registry.unregister(s);
    this.free(s.ptr, s.size * bytesPerElement(s.dtype));
  }

  private free(ptr: number, bytes: number): void {
    this.heap.release(ptr, bytes);
    this.liveBuffers--;
    this.liveBytes -= bytes;
  }

  stats(): MemoryStats {
    return { allocations: this.allocations, bytesAllocated: this.bytesAllocated, liveBuffers: this.liveBuffers, liveBytes: this.liveBytes };
  }
}

/** Throws unless s is a live storage of this heap. */
export function checkLive(kernel: string, arg: string, s: WasmStorage, heap: WasmHeap): void {
  if (!(s instanceof WasmStorage) || s.heap !== heap) {
    throw new CondgradError(`wasm.${kernel}`, `${arg} is not a storage of this wasm backend`);
  }
  if (s.disposed) throw new CondgradError(`wasm.${kernel}`, `${arg} was disposed`);
}
