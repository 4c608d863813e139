// The gpu backend's runtime: device-resident storages, one ordered launch queue, and a bounded cache of compiled gpu.js kernels.

import { CondgradError } from '../../core/errors.js';
import type { MemoryStats, Storage } from '../../core/backend.js';
import { MAX_EXACT_INDEX, type KernelSpec } from './codegen.js';
import type { BufferResult, GpuDeviceLike, GpuInstance, GpuJsModule, KernelFunction } from './gpujs.js';

const noop = (): void => undefined;

/**
 * A float32 buffer on the device. `ready` settles to the gpu.js buffer handle once the kernel
 * that produces it has been submitted (null for empty storages); kernels chain on it without
 * waiting for the device, and only `read()` waits for results.
 */
export class GpuStorage implements Storage {
  readonly dtype = 'float32' as const;
  disposed = false;
  constructor(
    readonly owner: GpuRuntime,
    readonly size: number,
    readonly ready: Promise<BufferResult | null>,
  ) {}
}

interface CacheEntry {
  readonly fn: KernelFunction;
  /** Set once the first run has been checked (mode, generated loops). */
  checked: boolean;
}

/**
 * Runs kernels in call order. Every device action (launch, read, free) is a step of one
 * promise chain, so a buffer is freed only after every launch that reads it was submitted,
 * and the synchronous Backend API never blocks on the device.
 */
export class GpuRuntime {
  private tail: Promise<void> = Promise.resolve();
  private readonly cache = new Map<string, CacheEntry>();
  private deviceError: string | null = null;
  private device: GpuDeviceLike | null = null;
  private destroyed = false;
  private allocations = 0;
  private bytesAllocated = 0;
  private liveBuffers = 0;
  private liveBytes = 0;
  /** Kernels compiled so far (cache misses). */
  compiled = 0;
  private readonly registry = new FinalizationRegistry<{ ready: Promise<BufferResult | null>; size: number }>((held) => {
    if (this.destroyed) return;
    this.release(held.size);
    void this.enqueue(() => held.ready.then((h) => h?.delete(), noop));
  });

  constructor(
    private readonly gpujs: GpuJsModule,
    private readonly gpu: GpuInstance,
    private readonly maxKernels: number,
  ) {}

  /**
   * Attaches the device: a kernel's first run is checked in a validation error scope (its error
   * fails that kernel), and any other uncaptured device error fails every later launch and read.
   */
  watchDevice(device: GpuDeviceLike): void {
    this.device = device;
    device.onuncapturederror = (e) => {
      this.deviceError ??= e.error.message;
    };
  }

  private enqueue<T>(step: () => Promise<T> | T): Promise<T> {
    const p = this.tail.then(step);
    this.tail = p.then(noop, noop);
    return p;
  }

  /** Resolves once every step queued so far has run (launches submitted, frees done). */
  flush(): Promise<void> {
    return this.tail;
  }

  checkAlive(kernel: string): void {
    if (this.destroyed) throw new CondgradError(`gpu.${kernel}`, 'the gpu backend has been destroyed');
  }

  /** Throws unless `s` is a live storage of this runtime with `want` elements (when given). */
  checkStorage(kernel: string, arg: string, s: unknown, want?: number, what?: string): GpuStorage {
    if (!(s instanceof GpuStorage) || s.owner !== this) {
      const got = s && typeof s === 'object' && 'dtype' in s ? 'a storage of another backend' : String(s);
      throw new CondgradError(`gpu.${kernel}`, `${arg} must be a gpu storage of this backend, got ${got}; move tensors between backends explicitly`);
    }
    if (s.disposed) throw new CondgradError(`gpu.${kernel}`, `${arg} has been disposed`);
    if (want !== undefined && s.size !== want) {
      throw new CondgradError(`gpu.${kernel}`, `${arg} has ${s.size} elements but ${what ?? 'the geometry'} needs ${want}`);
    }
    return s;
  }

  private track(size: number): void {
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

  private release(size: number): void {
    if (size > 0) {
      this.liveBuffers--;
      this.liveBytes -= 4 * size;
    }
  }

  private adopt(size: number, ready: Promise<BufferResult | null>): GpuStorage {
    const s = new GpuStorage(this, size, ready);
    if (size > 0) this.registry.register(s, { ready, size }, s);
    return s;
  }

  /**
   * Queues one kernel over `inputs` (then `params`, when given, as the last argument) and
   * returns its output storage at once. Inputs must be live storages of this runtime.
   */
  launch(spec: KernelSpec, inputs: readonly GpuStorage[], params?: Float32Array): GpuStorage {
    this.checkAlive(spec.name);
    this.track(spec.outSize);
    if (spec.outSize === 0) return this.adopt(0, Promise.resolve(null));
    const readies = inputs.map((s) => s.ready);
    const ready = this.enqueue(async () => {
      const handles = await Promise.all(readies);
      this.checkDevice(spec.name);
      if (handles.some((h) => h === null)) throw new CondgradError(`gpu.${spec.name}`, 'an input is empty; empty inputs must be handled before launch');
      const entry = this.kernel(spec);
      if (spec.dynamic) entry.fn.setOutput([spec.outSize]);
      return this.run(spec, entry, params ? [...handles, params] : handles);
    });
    return this.adopt(spec.outSize, ready);
  }

  /** Calls the kernel; its first run is watched in a validation error scope. */
  private async run(spec: KernelSpec, entry: CacheEntry, args: unknown[]): Promise<BufferResult> {
    const scoped = !entry.checked && this.device !== null;
    if (scoped) this.device!.pushErrorScope('validation');
    let out: unknown;
    let failure: string | null = null;
    try {
      out = await entry.fn(...args);
    } catch (e) {
      failure = (e as Error).message;
    }
    if (scoped) {
      const err = await this.device!.popErrorScope();
      if (err && failure === null) failure = err.message;
    }
    if (failure !== null) {
      this.evict(spec.key);
      throw new CondgradError(`gpu.${spec.name}`, `kernel failed: ${failure}`);
    }
    return this.own(spec, entry, out);
  }

  /** Asserts the result came from a webgpu kernel and takes the output buffer from it. */
  private own(spec: KernelSpec, entry: CacheEntry, out: unknown): BufferResult {
    const fn = entry.fn;
    const mode = fn.kernel?.constructor?.mode;
    if (mode !== 'webgpu' || !(out instanceof this.gpujs.WebGPUBufferResult)) {
      this.evict(spec.key);
      throw new CondgradError(`gpu.${spec.name}`, `the kernel ran in mode '${String(mode)}' and returned ${describe(out)}, not a webgpu device buffer; refusing a silent fallback`);
    }
    if (!entry.checked) {
      const src = fn.kernel.compiledSource;
      if (src && /\bLOOP_MAX\b/.test(src)) {
        out.delete();
        this.evict(spec.key);
        throw new CondgradError(`gpu.${spec.name}`, 'gpu.js emitted a LOOP_MAX-bounded loop; every loop bound must be a literal');
      }
      entry.checked = true;
    }
    const h = out;
    const k = fn.kernel;
    // The handle, not the kernel, owns the buffer: freeing the storage frees the device memory.
    if (k.outputBuffer === h.buffer) {
      h.buffer._refs--;
      k.outputBuffer = null;
      k.bindGroupDirty = true;
    }
    return h;
  }

  private kernel(spec: KernelSpec): CacheEntry {
    const hit = this.cache.get(spec.key);
    if (hit) {
      this.cache.delete(spec.key);
      this.cache.set(spec.key, hit);
      return hit;
    }
    const fn = this.gpu.createKernel(spec.source, {
      output: [spec.outSize], pipeline: true, immutable: true, strictIntegers: true,
      dynamicOutput: spec.dynamic, dynamicArguments: true, tactic: 'precision',
    });
    this.compiled++;
    const entry: CacheEntry = { fn, checked: false };
    this.cache.set(spec.key, entry);
    while (this.cache.size > this.maxKernels) this.evict(this.cache.keys().next().value as string);
    return entry;
  }

  private evict(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cache.delete(key);
    e.fn.kernel.destroy();
  }

  private checkDevice(kernel: string): void {
    if (this.deviceError !== null) throw new CondgradError(`gpu.${kernel}`, `the device reported an error: ${this.deviceError}`);
  }

  /** A storage holding a copy of host data (float32 only). */
  upload(spec: KernelSpec, data: Float32Array): GpuStorage {
    this.checkAlive(spec.name);
    const copy = Float32Array.from(data);
    this.track(copy.length);
    if (copy.length === 0) return this.adopt(0, Promise.resolve(null));
    const ready = this.enqueue(async () => {
      this.checkDevice(spec.name);
      const entry = this.kernel(spec);
      entry.fn.setOutput([copy.length]);
      return this.run(spec, entry, [copy]);
    });
    return this.adopt(copy.length, ready);
  }

  /** Reads a storage back once the work queued before this call has been submitted. */
  read(s: GpuStorage): Promise<Float32Array> {
    this.checkAlive('read');
    this.checkStorage('read', 's', s);
    const ready = s.ready;
    const started = this.enqueue(async () => {
      const h = await ready;
      this.checkDevice('read');
      return { p: h === null ? Promise.resolve(new Float32Array(0)) : h.toArray() };
    });
    return started.then(async ({ p }) => {
      const data = await p;
      this.checkDevice('read');
      return Float32Array.from(data);
    });
  }

  dispose(s: GpuStorage): void {
    if (s.disposed || this.destroyed) return;
    s.disposed = true;
    this.registry.unregister(s);
    this.release(s.size);
    const ready = s.ready;
    void this.enqueue(() => ready.then((h) => h?.delete(), noop));
  }

  memory(): MemoryStats {
    return { allocations: this.allocations, bytesAllocated: this.bytesAllocated, liveBuffers: this.liveBuffers, liveBytes: this.liveBytes };
  }

  /** Storage-buffer arguments one kernel may bind besides its output (the device's per-stage limit minus one). */
  maxKernelInputs(): number {
    return (this.device?.limits.maxStorageBuffersPerShaderStage ?? 8) - 1;
  }

  cachedKernels(): number {
    return this.cache.size;
  }

  /** The distinct modes the cached kernels actually ran in (gpu.js's kernel.constructor.mode). */
  modes(): string[] {
    return [...new Set([...this.cache.values()].map((e) => e.fn.kernel.constructor.mode))];
  }

  /** Frees every kernel, waits for the queue, and marks the runtime dead. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.flush();
    this.destroyed = true;
    for (const key of [...this.cache.keys()]) this.evict(key);
    this.gpu.destroy();
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  return v.constructor?.name ?? typeof v;
}
