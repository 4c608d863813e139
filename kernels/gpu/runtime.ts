// The gpu backend's runtime: device-resident storages and their accounting, launched through the launch queue (queue.ts) from the kernel cache (kernels.ts).

import { CondgradError } from '../../core/errors.js';
import type { MemoryStats } from '../../core/backend.js';
import type { KernelSpec } from './codegen.js';
import type { GpuDevice, GpuInstance, GpuJsModule } from './gpujs.js';
import { dispatchShape, KernelCache, type Compiled } from './kernels.js';
import { HostParams } from './host_params.js';
import { LaunchQueue, type KernelTime } from './queue.js';
import { checkStorage, GpuStorage, MemoryAccount, type Cell } from './storage.js';

export { GpuStorage };

/**
 * Runs kernels in call order. A launch whose kernel is compiled and checked is recorded at once
 * (queue.ts); a first launch compiles it and runs it in a validation error scope, and every
 * action after it waits its turn, so the synchronous Backend API never blocks on the device.
 */
export class GpuRuntime {
  private readonly queue = new LaunchQueue();
  private readonly kernels: KernelCache;
  private readonly hostParams = new HostParams(this.queue);
  private deviceError: string | null = null;
  private device: GpuDevice | null = null;
  private destroyed = false;
  private readonly account = new MemoryAccount();
  private readonly registry = new FinalizationRegistry<{ cell: Cell; size: number }>((held) => {
    if (this.destroyed) return;
    this.account.release(held.size);
    this.whenIdle(() => this.freeCell(held.cell));
  });

  constructor(
    private readonly gpujs: GpuJsModule,
    private readonly gpu: GpuInstance,
    maxKernels: number,
  ) {
    this.kernels = new KernelCache(
      gpu,
      maxKernels,
      (b) => this.queue.free(b),
      () => this.attach(),
    );
  }

  /** Kernels compiled so far (cache misses). */
  get compiled(): number {
    return this.kernels.compiled;
  }

  /**
   * Attaches the device: a kernel's first run is checked in a validation error scope (its error
   * fails that kernel), and any other uncaptured device error fails every later launch and read.
   */
  watchDevice(device: GpuDevice): void {
    this.device = device;
    this.queue.attach(device);
    device.onuncapturederror = (e) => {
      this.deviceError ??= e.error.message;
    };
  }

  private async attach(): Promise<GpuDevice> {
    if (this.device === null) this.watchDevice((await this.gpujs.WebGPUContext.acquire()).device);
    return this.device!;
  }

  /** True when an action may run at once (the device is attached and no slow step waits). */
  private get fast(): boolean {
    return this.device !== null && this.queue.idle;
  }

  private whenIdle(step: () => void): void {
    if (this.fast) step();
    else void this.queue.later(step);
  }

  /** Resolves once every action queued so far has run and been submitted to the device. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  checkAlive(kernel: string): void {
    if (this.destroyed) throw new CondgradError(`gpu.${kernel}`, 'the gpu backend has been destroyed');
  }

  /** Throws unless `s` is a live storage of this runtime with `want` elements (when given). */
  checkStorage(kernel: string, arg: string, s: unknown, want?: number, what?: string): GpuStorage {
    return checkStorage(this, kernel, arg, s, want, what);
  }

  private adopt(size: number, cell: Cell): GpuStorage {
    const s = new GpuStorage(this, size, cell);
    if (size > 0) this.registry.register(s, { cell, size }, s);
    return s;
  }

  /**
   * Queues one kernel over `inputs` (then `params`, when given, as the last argument) and
   * returns its output storage at once. Inputs must be live storages of this runtime.
   */
  launch(spec: KernelSpec, inputs: readonly GpuStorage[], params?: Float32Array): GpuStorage {
    this.checkAlive(spec.name);
    this.account.track(spec.outSize);
    const cell: Cell = { buffer: null, failed: null };
    if (spec.outSize === 0) return this.adopt(0, cell);
    const args = inputs.map((s) => ({ cell: s.cell, size: s.size }));
    const hit = this.fast ? this.kernels.hit(spec.key) : null;
    if (hit !== null && hit.checked) this.encode(spec, hit, args, params, cell);
    else void this.queue.later(() => this.launchSlow(spec, args, params, cell));
    return this.adopt(spec.outSize, cell);
  }

  /** A first launch: compiles the kernel if needed and runs it once in a validation error scope. */
  private async launchSlow(spec: KernelSpec, args: readonly { cell: Cell; size: number }[], params: Float32Array | undefined, cell: Cell): Promise<void> {
    try {
      const failed = args.find((a) => a.cell.failed !== null);
      if (failed) {
        cell.failed = failed.cell.failed;
        return;
      }
      let c = this.kernels.hit(spec.key);
      if (c === null) {
        const standIns: unknown[] = args.map((a) => ({ type: 'WebGPUBuffer', output: [a.size] }));
        if (params) standIns.push(params);
        c = await this.kernels.compile(spec, standIns);
      }
      await this.attach();
      if (c.checked) return this.encode(spec, c, args, params, cell);
      const compiled = c;
      const err = await this.queue.checked(() => this.encode(spec, compiled, args, params, cell));
      if (err !== null) {
        this.kernels.evict(spec.key);
        this.freeCell(cell);
        throw new CondgradError(`gpu.${spec.name}`, `kernel failed: ${err}`);
      }
      if (cell.failed === null) c.checked = true;
    } catch (e) {
      cell.failed ??= e instanceof CondgradError ? e : new CondgradError(`gpu.${spec.name}`, `kernel failed: ${(e as Error).message}`);
    }
  }

  /** Records the dispatch of a compiled kernel, or fails `cell` when an input failed or the device did. */
  private encode(spec: KernelSpec, c: Compiled, args: readonly { cell: Cell; size: number }[], params: Float32Array | undefined, cell: Cell): void {
    const failed = args.find((a) => a.cell.failed !== null);
    if (failed) {
      cell.failed = failed.cell.failed;
      return;
    }
    if (this.deviceError !== null) {
      cell.failed = new CondgradError(`gpu.${spec.name}`, `the device reported an error: ${this.deviceError}`);
      return;
    }
    if (args.some((a) => a.cell.buffer === null)) {
      cell.failed = new CondgradError(`gpu.${spec.name}`, 'an input is empty; empty inputs must be handled before launch');
      return;
    }
    const bufs = args.map((a) => a.cell.buffer!);
    const sizes = args.map((a) => a.size);
    if (params) {
      bufs.push(this.hostParams.get(params));
      sizes.push(params.length);
    }
    if (bufs.length !== c.arrayArgs) {
      cell.failed = new CondgradError(`gpu.${spec.name}`, `the kernel binds ${c.arrayArgs} arrays but got ${bufs.length}`);
      return;
    }
    const device = this.device!;
    const threads = spec.threads ?? spec.outSize / (spec.components ?? 1);
    const groups = dispatchShape(threads, device.limits.maxComputeWorkgroupsPerDimension, spec.workgroup);
    const uniform = this.kernels.uniform(device, c, threads, sizes, groups.width);
    const out = this.queue.buffer(spec.outSize);
    this.queue.dispatch(c, spec.name, uniform, bufs, out, groups);
    cell.buffer = out;
  }

  /** A storage holding a copy of host data (float32 only). */
  upload(data: Float32Array): GpuStorage {
    this.checkAlive('fromArray');
    this.account.track(data.length);
    const cell: Cell = { buffer: null, failed: null };
    if (data.length === 0) return this.adopt(0, cell);
    if (this.device !== null) cell.buffer = this.queue.upload(data);
    else {
      const copy = Float32Array.from(data);
      void this.queue
        .later(async () => {
          await this.attach();
          cell.buffer = this.queue.upload(copy);
        })
        .catch((e: unknown) => {
          cell.failed = new CondgradError('gpu.fromArray', `upload failed: ${(e as Error).message}`);
        });
    }
    return this.adopt(data.length, cell);
  }

  /** Reads a storage back once the work queued before this call has run. */
  read(s: GpuStorage): Promise<Float32Array> {
    this.checkAlive('read');
    this.checkStorage('read', 's', s);
    const { cell, size } = s;
    const go = (): Promise<Float32Array> => {
      if (cell.failed !== null) return Promise.reject(cell.failed);
      if (this.deviceError !== null) return Promise.reject(new CondgradError('gpu.read', `the device reported an error: ${this.deviceError}`));
      if (cell.buffer === null) return Promise.resolve(new Float32Array(0));
      return this.queue.read(cell.buffer, size).then((data) => {
        if (this.deviceError !== null) throw new CondgradError('gpu.read', `the device reported an error: ${this.deviceError}`);
        return data;
      });
    };
    if (this.fast) return go();
    // The step only starts the read, so later launches need not wait for the mapping.
    return this.queue.later(() => ({ p: go() })).then(({ p }) => p);
  }

  private freeCell(cell: Cell): void {
    if (cell.buffer !== null) this.queue.free(cell.buffer);
    cell.buffer = null;
  }

  dispose(s: GpuStorage): void {
    if (s.disposed || this.destroyed) return;
    s.disposed = true;
    this.registry.unregister(s);
    this.account.release(s.size);
    const cell = s.cell;
    this.whenIdle(() => this.freeCell(cell));
  }

  memory(): MemoryStats {
    return this.account.stats();
  }

  /** Storage-buffer arguments one kernel may bind besides its output (the device's per-stage limit minus one). */
  maxKernelInputs(): number {
    return (this.device?.limits.maxStorageBuffersPerShaderStage ?? 8) - 1;
  }

  cachedKernels(): number {
    return this.kernels.size;
  }

  /** The distinct modes the cached kernels compiled in (gpu.js's kernel.constructor.mode). */
  modes(): string[] {
    return this.kernels.modes();
  }

  /** Command buffers submitted and dispatches recorded so far. */
  launchStats(): { submits: number; dispatches: number } {
    return { submits: this.queue.submits, dispatches: this.queue.dispatches };
  }

  /** Whether the device records timestamp queries. */
  get timestampQueries(): boolean {
    return this.device?.features.has('timestamp-query') ?? false;
  }

  /** Device time per kernel family over `run`, from timestamp queries; null where the device has none. */
  async profile(run: () => unknown): Promise<Map<string, KernelTime> | null> {
    await this.flush();
    if (!this.queue.startTiming()) return null;
    try {
      await run();
    } catch (e) {
      await this.queue.stopTiming();
      throw e;
    }
    return this.queue.stopTiming();
  }

  /** Frees every kernel, waits for the queue, and marks the runtime dead. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await this.flush();
    this.destroyed = true;
    this.kernels.clear();
    this.hostParams.clear();
    this.queue.submit();
    this.gpu.destroy();
  }
}
