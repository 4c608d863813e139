// The wasm linear memory (growable; shared where threads use it) and its allocator: size-class free lists over a bump pointer, coalesced when they hoard memory.

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
 * Owns the module's shared WebAssembly.Memory. Blocks come from per-size-class free lists, then
 * from coalesced free spans (first fit, split), then from the top of the heap, which grows the
 * memory; growth past `maxBytes` raises a CondgradError. When the free lists hold more bytes than
 * are in use, or the top cannot grow, every free block is coalesced with its neighbours (and
 * the last span returned to the top), so a mix of request sizes cannot strand the heap in lists
 * of the wrong size.
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  private top: number;
  private readonly free = new Map<number, number[]>();
  /** Coalesced free spans [address, bytes], address-ordered. */
  private spans: [number, number][] = [];
  /** Bytes in blocks currently handed out (by class size). */
  usedBytes = 0;
  /** Bytes in the free lists and spans. */
  freeBytes = 0;
  /** Bytes in the size-class free lists alone. */
  private listBytes = 0;

  /** Whether the memory is shared (its buffer then never detaches when it grows). */
  readonly shared: boolean;

  constructor(heapBase: number, initialBytes: number, maxBytes: number, shared = true) {
    const maxPages = Math.min(65536, Math.max(1, Math.floor(maxBytes / PAGE)));
    const initial = Math.min(maxPages, Math.max(1, Math.ceil(initialBytes / PAGE)));
    this.memory = new WebAssembly.Memory({ initial, maximum: maxPages, shared });
    this.shared = shared;
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
      this.freeBytes -= cls;
      this.listBytes -= cls;
      return list.pop()!;
    }
    if (this.listBytes > this.usedBytes) this.coalesce();
    const fromSpan = this.takeSpan(cls);
    if (fromSpan >= 0) return fromSpan;
    if (this.top + cls > this.maxBytes && this.freeBytes > 0) {
      this.coalesce();
      const again = this.takeSpan(cls);
      if (again >= 0) return again;
    }
    const end = this.top + cls;
    if (end > this.maxBytes) {
      throw new CondgradError(
        'wasm.alloc',
        `out of memory: ${what} needs ${bytes} bytes but the wasm heap has ${this.maxBytes - this.top} of its ${this.maxBytes} bytes left at the top and ${this.freeBytes} free in fragments (${this.usedBytes} in use)`,
      );
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
          throw new CondgradError(
            'wasm.alloc',
            `out of memory: growing the wasm heap to ${end} bytes for ${what} (${bytes} bytes) failed: ${(e as Error).message}`,
          );
        }
      }
    }
    const p = this.top;
    this.top = end;
    this.usedBytes += cls;
    return p;
  }

  /** First fit of `cls` bytes from the coalesced spans (splitting the span), or -1. */
  private takeSpan(cls: number): number {
    for (let i = 0; i < this.spans.length; i++) {
      const span = this.spans[i];
      if (span[1] < cls) continue;
      const p = span[0];
      if (span[1] === cls) this.spans.splice(i, 1);
      else {
        span[0] += cls;
        span[1] -= cls;
      }
      this.usedBytes += cls;
      this.freeBytes -= cls;
      return p;
    }
    return -1;
  }

  /** Merges every free block and span with its free neighbours; a span that ends at the top lowers the top. */
  private coalesce(): void {
    const blocks: [number, number][] = this.spans;
    for (const [cls, list] of this.free) for (const p of list) blocks.push([p, cls]);
    this.free.clear();
    this.listBytes = 0;
    blocks.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [p, n] of blocks) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last[0] + last[1] === p) last[1] += n;
      else merged.push([p, n]);
    }
    const tail = merged[merged.length - 1];
    if (tail !== undefined && tail[0] + tail[1] === this.top) {
      merged.pop();
      this.top = tail[0];
      this.freeBytes -= tail[1];
    }
    this.spans = merged;
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
    this.freeBytes += cls;
    this.listBytes += cls;
  }
}
