// The wasm runtime: the compiled module, its instance on the shared heap, argument blocks, scratch and the thread pool.

import { CondgradError } from '../../core/errors.js';
import { ARG_SLOTS, S_CHUNK, S_COUNTER, S_END, S_N } from './assembly/layout.js';
import { sharedMemoryThreads } from '../../core/platform/env.js';
import { WasmHeap } from './heap.js';
import { chooseSpinMicros, chooseThreadCount } from '../../core/threads.js';
import { chooseWasmSimd, type WasmSimd, type WasmSimdRequest } from '../../core/wasm_simd.js';
import { ThreadPool, type KernelFn } from './threads.js';

/** Base64 to bytes with atob (a global in Node and in browsers). */
function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Every kernel the host dispatches by name (the index is what workers receive). */
export const KERNELS = [
  'convForward',
  'convBackwardInputCol',
  'convBackwardFilter',
  'dwForward',
  'dwBackwardInput',
  'dwBackwardFilter',
  'matmul',
  'maxPoolForward',
  'maxPoolBackward',
  'avgPoolForward',
  'avgPoolBackward',
  'binary',
  'unary',
  'reluBackward',
  'reduce',
  'convForwardWide',
  'convBackwardFilterWide',
  'convForwardWinograd',
  'convForwardWinograd4',
  'convBackwardFilterWinograd',
  'matmulThin',
  'matmulDots',
  'adamStep',
  'bnSums',
  'bnApply',
  'bnBackward',
] as const;
export type KernelName = (typeof KERNELS)[number];

interface KernelExports {
  heapBase(): number;
  flipWeights(g: number, count: number, w: number, out: number): void;
  addF32(dst: number, src: number, n: number): void;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** The generated module (kernels/wasm/build.mjs) of one build: its base64 binary. */
async function kernelBase64(shared: boolean, simd: WasmSimd): Promise<string> {
  // Generated and git-ignored: ignored by the type checker so that a checkout type-checks before its
  // first build; a missing module is reported by kernelModule.
  /* eslint-disable @typescript-eslint/ban-ts-comment -- @ts-expect-error would fail once the modules exist */
  if (simd === 'relaxed') {
    // @ts-ignore
    if (shared) return ((await import('./generated/kernels_wasm_relaxed.js')) as { WASM_RELAXED_BASE64: string }).WASM_RELAXED_BASE64;
    // @ts-ignore
    return ((await import('./generated/kernels_wasm_relaxed_unshared.js')) as { WASM_RELAXED_UNSHARED_BASE64: string }).WASM_RELAXED_UNSHARED_BASE64;
  }
  // @ts-ignore
  if (shared) return ((await import('./generated/kernels_wasm.js')) as { WASM_BASE64: string }).WASM_BASE64;
  // @ts-ignore
  return ((await import('./generated/kernels_wasm_unshared.js')) as { WASM_UNSHARED_BASE64: string }).WASM_UNSHARED_BASE64;
  /* eslint-enable @typescript-eslint/ban-ts-comment */
}

/**
 * Compiles (once) a kernel module embedded by kernels/wasm/build.mjs: the one over a shared memory
 * (threads), or with `shared` false the same kernels over an unshared memory; `simd` picks the
 * plain 128-bit SIMD build or the relaxed-SIMD one (which only a runtime that validates relaxed
 * SIMD can compile: see core/wasm_simd.ts).
 */
export function kernelModule(shared = true, simd: WasmSimd = 'simd128'): Promise<WebAssembly.Module> {
  const key = `${String(shared)} ${simd}`;
  let p = modules.get(key);
  if (p === undefined) {
    p = (async () => {
      let b64: string;
      try {
        b64 = await kernelBase64(shared, simd);
      } catch (e) {
        modules.delete(key);
        throw new CondgradError('wasm', `the wasm kernels are not built; run \`node kernels/wasm/build.mjs\` (${(e as Error).message})`);
      }
      return WebAssembly.compile(decodeBase64(b64));
    })();
    modules.set(key, p);
  }
  return p;
}

export interface RuntimeOptions {
  /**
   * Threads in all, the caller's included (default: chooseThreadCount, i.e. CONDGRAD_THREADS, else
   * available parallelism capped at 8). Without shared memory (below) it is 1.
   */
  threads?: number;
  /**
   * Whether the heap is a shared WebAssembly.Memory that worker threads can use (default: where
   * workers may share memory: always in Node, on a cross-origin isolated page in a browser).
   * Without it the kernels run on one thread over an unshared memory.
   */
  sharedMemory?: boolean;
  /** Upper bound of the wasm heap in bytes (default and maximum 4 GiB). */
  maxMemoryBytes?: number;
  /**
   * Work (flops or elements) a thread must get before a kernel is split; the defaults keep tiny
   * ops on one thread. Tests set 1 to exercise the threaded paths on small shapes.
   */
  minWorkPerThread?: number;
  /**
   * Which kernel build runs: 'relaxed' (multiply-adds as f32x4.relaxed_madd, fused where the CPU
   * has FMA), 'simd128' (the plain build), or 'auto' (default: CONDGRAD_WASM_SIMD, else relaxed
   * where the runtime validates relaxed SIMD and it is the preferred build; see chooseWasmSimd).
   */
  simd?: WasmSimdRequest;
  /**
   * How long an idle thread spins before it sleeps, in µs (default: CONDGRAD_SPIN_US, else
   * DEFAULT_SPIN_US = 200; 0 sleeps at once): a worker waiting for the next kernel call, the
   * caller waiting for the workers. Only matters with more than one thread.
   */
  spinMicros?: number;
}

let statedOneThread = false;

/** 1, stating once on the console why, when more than one thread was asked for. */
function oneThread(requested: number, reason: string): number {
  if (requested > 1 && !statedOneThread) {
    statedOneThread = true;
    console.info(`condgrad: the wasm backend runs on 1 thread instead of ${requested}: ${reason}`);
  }
  return 1;
}

/** Bytes per argument block. */
const BLOCK = ARG_SLOTS * 4;

export class WasmRuntime {
  readonly heap: WasmHeap;
  readonly pool: ThreadPool;
  readonly threads: number;
  /** The kernel build this runtime runs. */
  readonly simd: WasmSimd;
  private readonly ex: KernelExports;
  private readonly fns: KernelFn[];
  private readonly argBase: number;
  /** The shared i32 that threads claim work items from (see nextItem in assembly/args.ts). */
  private readonly counter: number;
  private i32: Int32Array;
  private f32: Float32Array;
  private readonly minWork_: number | undefined;
  private scratchPtr = 0;
  private scratchBytes = 0;

  private constructor(heap: WasmHeap, ex: KernelExports, fns: KernelFn[], pool: ThreadPool, minWork: number | undefined, simd: WasmSimd) {
    this.heap = heap;
    this.simd = simd;
    this.minWork_ = minWork;
    this.ex = ex;
    this.fns = fns;
    this.pool = pool;
    this.threads = pool.threads;
    this.argBase = heap.alloc(BLOCK * pool.threads, 'argument blocks');
    this.counter = heap.alloc(4, 'work counter');
    this.i32 = new Int32Array(heap.memory.buffer);
    this.f32 = new Float32Array(heap.memory.buffer);
  }

  static async create(opts: RuntimeOptions = {}): Promise<WasmRuntime> {
    const requested = chooseThreadCount(opts.threads).threads;
    const spin = chooseSpinMicros(opts.spinMicros);
    const support = sharedMemoryThreads();
    const shared = opts.sharedMemory ?? support.ok;
    const threads = shared ? requested : oneThread(requested, support.ok ? 'sharedMemory is false' : support.reason);
    const maxBytes = opts.maxMemoryBytes ?? 4 * 1024 ** 3;
    if (!(maxBytes >= 1 << 20)) throw new CondgradError('wasm', `maxMemoryBytes must be at least 1 MiB, got ${maxBytes}`);
    const simd = chooseWasmSimd(opts.simd);
    const module = await kernelModule(shared, simd);
    const probe = new WebAssembly.Memory({ initial: 1, maximum: 1, shared });
    const heapBase = (new WebAssembly.Instance(module, { env: { memory: probe } }).exports as unknown as KernelExports).heapBase();
    const heap = new WasmHeap(heapBase, 16 << 20, maxBytes, shared);
    const inst = new WebAssembly.Instance(module, { env: { memory: heap.memory } });
    const ex = inst.exports as unknown as KernelExports & Record<string, KernelFn>;
    const fns = KERNELS.map((k) => ex[k]);
    const pool = await ThreadPool.create(threads, module, heap.memory, KERNELS, spin);
    return new WasmRuntime(heap, ex, fns, pool, opts.minWorkPerThread, simd);
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

  /**
   * Runs a kernel whose items [0, n) the threads claim `chunk` at a time (default: about four
   * chunks per thread), on the first `slices` blocks (already written with setArgs).
   */
  runClaimed(kernel: KernelName, slices: number, n: number, chunk = Math.max(1, Math.floor(n / (4 * slices)))): void {
    this.views();
    for (let t = 0; t < slices; t++) {
      const o = this.block(t) >> 2;
      this.i32[o + S_COUNTER] = this.counter;
      this.i32[o + S_CHUNK] = chunk;
      this.i32[o + S_N] = n;
      this.i32[o + S_END] = 0;
    }
    Atomics.store(this.i32, this.counter >> 2, 0);
    this.run(kernel, slices);
  }

  /** The work a thread needs before a kernel is split: the minWorkPerThread option, else `dflt`. */
  minWork(dflt: number): number {
    return this.minWork_ ?? dflt;
  }

  /** Threads worth using for `work` units (flops or element touches), given `items` splittable items. */
  slicesFor(items: number, work: number, minWorkPerThread: number): number {
    return Math.max(1, Math.min(this.threads, items, Math.floor(work / (this.minWork_ ?? minWorkPerThread))));
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
