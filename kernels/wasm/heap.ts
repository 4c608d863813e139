// The wasm linear memory (shared, growable) and its allocator: size-class free lists over a bump pointer.

import { CondgradError } from '../../core/errors.js';

/** Bytes per wasm page. */
const PAGE = 65536;
/** Every block is aligned to, and rounded up to a multiple of, this many bytes. */
const ALIGN = 64;
/** Readable bytes past the end of every block, so vector loops may over-read a ragged tail. */
export const SLACK = 64;

/** The size class (block bytes) of a request of `bytes`: 64-byte steps up to 1 KiB, then 8 steps per power of two. */
export function sizeClass(bytes: number): number {
  const need = Math.max(bytes, 0) + SLACK;
  if (need <= 1024) return Math.ceil(need / ALIGN) * ALIGN;
  const step = Math.max(ALIGN, 2 ** Math.floor(Math.log2(need)) / 8);
  return Math.ceil(need / step) * step;
}

/**
 * Owns the module's shared WebAssembly.Memory. Blocks come from per-size-class free lists or
 * from the top of the heap, which grows the memory; growth past `maxBytes` raises a CondgradError.
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Bytes in blocks currently handed out (by class size). */
  usedBytes = 0;

  constructor(heapBase: number, initialBytes: number, maxBytes: number) {
    const maxPages = Math.min(65536, Math.max(1, Math.floor(maxBytes / PAGE)));
    const initial = Math.min(maxPages, Math.max(1, Math.ceil(initialBytes / PAGE)));
    this.memory = new WebAssembly.Memory({ initial, maximum: maxPages, shared: true });
    this.maxBytes = maxPages * PAGE;
    this.top = Math.ceil(heapBase / ALIGN) * ALIGN;
  }

  /** Current memory size in bytes. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  /** Allocates a block for `bytes` and returns its byte address; `what` names the request in errors. */
  alloc(bytes: number, what: string): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new CondgradError('wasm.alloc', `${what}: invalid byte count ${bytes}`);
    const cls = sizeClass(bytes);
    const list = this.free.get(cls);
    if (list !== undefined && list.length > 0) {
      this.usedBytes += cls;
      return list.pop()!;
    }
    const end = this.top + cls;
    if (end > this.maxBytes) {
      throw new CondgradError('wasm.alloc', `out of memory: ${what} needs ${bytes} bytes but the wasm heap has ${this.maxBytes - this.top} of its ${this.maxBytes} bytes left (${this.usedBytes} in use)`);
    }
    const have = this.byteLength;
    if (end > have) {
      const need = Math.ceil((end - have) / PAGE);
      const extra = Math.max(need, Math.min(Math.ceil(have / PAGE / 4), (this.maxBytes - have) / PAGE));
      try {
        this.memory.grow(extra);
      } catch {
        try {
          this.memory.grow(need);
        } catch (e) {
          throw new CondgradError('wasm.alloc', `out of memory: growing the wasm heap to ${end} bytes for ${what} (${bytes} bytes) failed: ${(e as Error).message}`);
        }
      }
    }
    const p = this.top;
    this.top = end;
    this.usedBytes += cls;
    return p;
  }

  /** Returns a block of a `bytes` request to its free list. */
  release(ptr: number, bytes: number): void {
    const cls = sizeClass(bytes);
    let list = this.free.get(cls);
    if (list === undefined) {
      list = [];
      this.free.set(cls, list);
    }
    list.push(ptr);
    this.usedBytes -= cls;
  }
}
