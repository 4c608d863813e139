// The wasm runtime: the compiled module, its instance on the shared heap, argument blocks, scratch and the thread pool.

import { CondgradError } from '../../core/errors.js';
import { ARG_SLOTS } from './assembly/layout.js';
import { WasmHeap } from './heap.js';
import { ThreadPool, type KernelFn } from './threads.js';

/** Every kernel the host dispatches by name (the index is what workers receive). */
export const KERNELS = [
  'convForward', 'convBackwardInputCol', 'convBackwardFilter', 'dwForward', 'dwBackwardInput', 'dwBackwardFilter',
  'matmul', 'maxPoolForward', 'maxPoolBackward', 'avgPoolForward', 'avgPoolBackward', 'binary', 'unary',
  'reluBackward', 'reduce', 'convForwardWide', 'convBackwardFilterWide', 'convForwardWinograd',
  'convBackwardFilterWinograd',
] as const;
export type KernelName = (typeof KERNELS)[number];

interface KernelExports {
  heapBase(): number;
  flipWeights(g: number, count: number, w: number, out: number): void;
  addF32(dst: number, src: number, n: number): void;
}

let modulePromise: Promise<WebAssembly.Module> | null = null;

/** Compiles (once) the kernel module embedded by kernels/wasm/build.mjs. */
export function kernelModule(): Promise<WebAssembly.Module> {
  modulePromise ??= (async () => {
    let b64: string;
    try {
      b64 = (await import('./generated/kernels_wasm.js')).WASM_BASE64;
    } catch (e) {
      modulePromise = null;
      throw new CondgradError('wasm', `the wasm kernels are not built; run \`node kernels/wasm/build.mjs\` (${(e as Error).message})`);
    }
    return WebAssembly.compile(Buffer.from(b64, 'base64'));
  })();
  return modulePromise;
}

export interface RuntimeOptions {
  /** Threads in all, the caller's included (default 2). */
  threads?: number;
  /** Upper bound of the wasm heap in bytes (default and maximum 4 GiB). */
  maxMemoryBytes?: number;
  /**
   * Work (flops or elements) a thread must get before a kernel is split; the defaults keep tiny
   * ops on one thread. Tests set 1 to exercise the threaded paths on small shapes.
   */
  minWorkPerThread?: number;
}

/** Bytes per argument block. */
const BLOCK = ARG_SLOTS * 4;

export class WasmRuntime {
  readonly heap: WasmHeap;
  readonly pool: ThreadPool;
  readonly threads: number;
  private readonly ex: KernelExports;
  private readonly fns: KernelFn[];
  private readonly argBase: number;
  private i32: Int32Array;
  private f32: Float32Array;
  private readonly minWork: number | undefined;
  private scratchPtr = 0;
  private scratchBytes = 0;

  private constructor(heap: WasmHeap, ex: KernelExports, fns: KernelFn[], pool: ThreadPool, minWork: number | undefined) {
    this.heap = heap;
    this.minWork = minWork;
    this.ex = ex;
    this.fns = fns;
    this.pool = pool;
    this.threads = pool.threads;
    this.argBase = heap.alloc(BLOCK * pool.threads, 'argument blocks');
    this.i32 = new Int32Array(heap.memory.buffer);
    this.f32 = new Float32Array(heap.memory.buffer);
  }

  static async create(opts: RuntimeOptions = {}): Promise<WasmRuntime> {
    const threads = opts.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new CondgradError('wasm', `threads must be an integer in [1, 64], got ${String(threads)}`);
    }
    const maxBytes = opts.maxMemoryBytes ?? 4 * 1024 ** 3;
    if (!(maxBytes >= 1 << 20)) throw new CondgradError('wasm', `maxMemoryBytes must be at least 1 MiB, got ${maxBytes}`);
    const module = await kernelModule();
    const probe = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const heapBase = (new WebAssembly.Instance(module, { env: { memory: probe } }).exports as unknown as KernelExports).heapBase();
    const heap = new WasmHeap(heapBase, 16 << 20, maxBytes);
    const inst = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
    const ex = inst.exports as unknown as KernelExports & Record<string, KernelFn>;
    const fns = KERNELS.map((k) => ex[k]);
    const pool = await ThreadPool.create(threads, module, heap.memory, KERNELS);
    return new WasmRuntime(heap, ex, fns, pool, opts.minWorkPerThread);
  }

  private views(): void {
    if (this.i32.buffer.byteLength !== this.heap.memory.buffer.byteLength) {
      this.i32 = new Int32Array(this.heap.memory.buffer);
      this.f32 = new Float32Array(this.heap.memory.buffer);
    }
  }

  /** Byte address of thread t's argument block. */
  block(t: number): number {
    return this.argBase + t * BLOCK;
  }

  /** Writes i32 slots into thread t's block (pointers are stored as their 32-bit patterns). */
  setArgs(t: number, slots: ArrayLike<number>): void {
    this.views();
    const o = this.block(t) >> 2;
    for (let i = 0; i < slots.length; i++) this.i32[o + i] = slots[i];
  }

  setArg(t: number, slot: number, v: number): void {
    this.views();
    this.i32[(this.block(t) >> 2) + slot] = v;
  }

  setArgF32(t: number, slot: number, v: number): void {
    this.views();
    this.f32[(this.block(t) >> 2) + slot] = v;
  }

  /**
   * Per-thread scratch of `bytes` each (64-byte aligned), valid until the next call: returns the
   * base address of thread 0's; thread t's is at base + t * stride, stride = the returned stride.
   */
  scratch(bytes: number, threads: number): { base: number; stride: number } {
    const stride = Math.ceil(bytes / 64) * 64;
    const total = stride * threads;
    if (total > this.scratchBytes) {
      if (this.scratchBytes > 0) this.heap.release(this.scratchPtr, this.scratchBytes);
      this.scratchBytes = 0;
      this.scratchPtr = this.heap.alloc(total, 'kernel scratch');
      this.scratchBytes = total;
    }
    return { base: this.scratchPtr, stride };
  }

  /** Runs a kernel on the first `slices` argument blocks, one per thread. */
  run(kernel: KernelName, slices: number): void {
    const fn = KERNELS.indexOf(kernel);
    const args: number[] = [];
    for (let t = 0; t < slices; t++) args.push(this.block(t));
    this.pool.run(kernel, fn, this.fns[fn], args);
  }

  /** Threads worth using for `work` units (flops or element touches), given `items` splittable items. */
  slicesFor(items: number, work: number, minWorkPerThread: number): number {
    return Math.max(1, Math.min(this.threads, items, Math.floor(work / (this.minWork ?? minWorkPerThread))));
  }

  flipWeights(gBlock: number, count: number, w: number, out: number): void {
    this.ex.flipWeights(gBlock, count, w, out);
  }

  /** dst[i] += src[i] for n floats (byte addresses), on this thread. */
  addF32(dst: number, src: number, n: number): void {
    this.ex.addF32(dst, src, n);
  }

  /** Stops the worker threads. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Splits [0, n) into `parts` contiguous ranges; range t is [lo, hi). */
export function splitRange(n: number, parts: number, t: number): [number, number] {
  return [Math.floor((n * t) / parts), Math.floor((n * (t + 1)) / parts)];
}
