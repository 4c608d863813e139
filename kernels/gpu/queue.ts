// The gpu backend's launch queue: dispatches recorded into one open compute pass and submitted together, frees deferred past that submit, slow steps kept in order, optional timestamp queries.

import type { Compiled } from './kernels.js';
import { MAP_READ, USAGE, type CommandEncoder, type ComputePass, type GpuDevice, type RawBuffer } from './gpujs.js';

/** Dispatches recorded before the queue submits without waiting for the end of the task. */
export const MAX_BATCH = 128;

const noop = (): void => undefined;

/** Summed device time of one kernel family, from timestamp queries. */
export interface KernelTime {
  calls: number;
  ms: number;
}

/**
 * Orders every device action. While no slow step (a compile, a first checked run) is waiting, a
 * launch records its dispatch at once into the open pass, which is submitted at the end of the
 * current task (a microtask) or after MAX_BATCH dispatches; otherwise actions wait their turn
 * on one promise chain. WebGPU runs one queue in order, and Dawn orders dispatches of a pass that
 * write and then read a buffer, so a later dispatch always sees an earlier one's output.
 */
export class LaunchQueue {
  private encoder: CommandEncoder | null = null;
  private pass: ComputePass | null = null;
  private recorded = 0;
  private frees: RawBuffer[] = [];
  private scheduled = false;
  private waiting = 0;
  private tail: Promise<void> = Promise.resolve();
  /** Command buffers submitted and dispatches recorded so far. */
  submits = 0;
  dispatches = 0;
  private timing: { set: { destroy(): void }; names: string[]; pending: Promise<void>[]; times: Map<string, KernelTime> } | null = null;

  private dev: GpuDevice | null = null;

  attach(device: GpuDevice): void {
    this.dev = device;
  }

  private get device(): GpuDevice {
    if (this.dev === null) throw new Error('the launch queue has no device attached');
    return this.dev;
  }

  /** True when an action may run now: no slow step is queued or running. */
  get idle(): boolean {
    return this.waiting === 0;
  }

  /** Runs `step` after every step queued before it. */
  later<T>(step: () => Promise<T> | T): Promise<T> {
    this.waiting++;
    const p = this.tail.then(step);
    this.tail = p.then(noop, noop).then(() => {
      this.waiting--;
    });
    return p;
  }

  /** Resolves once every queued step has run and everything recorded has been submitted. */
  async flush(): Promise<void> {
    while (!this.idle) await this.tail;
    this.submit();
  }

  /** Records one dispatch of `c` over `inputs` (storage bindings in order) into `out`. */
  dispatch(c: Compiled, name: string, uniform: RawBuffer, inputs: readonly RawBuffer[], out: RawBuffer, groups: { x: number; y: number }): void {
    const entries = [{ binding: 0, resource: { buffer: uniform } }];
    inputs.forEach((b, i) => entries.push({ binding: 1 + i, resource: { buffer: b } }));
    entries.push({ binding: 1 + inputs.length, resource: { buffer: out } });
    const group = this.device.createBindGroup({ layout: c.layout, entries });
    this.encoder ??= this.device.createCommandEncoder();
    let pass = this.pass;
    if (this.timing !== null) {
      const i = this.timing.names.push(name) - 1;
      pass = this.encoder.beginComputePass({
        timestampWrites: { querySet: this.timing.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
      });
    } else {
      pass ??= this.pass = this.encoder.beginComputePass();
    }
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(groups.x, groups.y);
    if (this.timing !== null) pass.end();
    this.dispatches++;
    if (++this.recorded >= MAX_BATCH) this.submit();
    else this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.submit();
    });
  }

  /** Submits what is recorded, with `extra` commands after it; then frees what waited for it. */
  submit(extra?: (enc: CommandEncoder) => void): void {
    if (this.encoder === null && extra === undefined) {
      this.drainFrees();
      return;
    }
    const enc = this.encoder ?? this.device.createCommandEncoder();
    this.pass?.end();
    this.pass = null;
    const names = this.timing?.names.splice(0) ?? [];
    const resolved = names.length > 0 ? this.resolveTimes(enc, names.length) : null;
    extra?.(enc);
    this.device.queue.submit([enc.finish()]);
    this.submits++;
    this.encoder = null;
    this.recorded = 0;
    this.drainFrees();
    if (resolved !== null) this.collectTimes(resolved, names);
  }

  private drainFrees(): void {
    for (const b of this.frees.splice(0)) b.destroy();
  }

  /** Destroys `b` once the recorded work that may use it has been submitted. */
  free(b: RawBuffer): void {
    if (this.encoder !== null) this.frees.push(b);
    else b.destroy();
  }

  /** A new storage buffer of `n` floats (at least one: WebGPU binds no empty buffer). */
  buffer(n: number): RawBuffer {
    return this.device.createBuffer({ size: 4 * Math.max(1, n), usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
  }

  /** A storage buffer holding a copy of `data`. */
  upload(data: Float32Array): RawBuffer {
    const b = this.device.createBuffer({ size: 4 * Math.max(1, data.length), usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, mappedAtCreation: true });
    new Float32Array(b.getMappedRange()).set(data);
    b.unmap();
    return b;
  }

  /** Copies `n` floats of `b` to the host after everything recorded so far. */
  async read(b: RawBuffer, n: number): Promise<Float32Array> {
    const staging = this.device.createBuffer({ size: 4 * n, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    this.submit((enc) => enc.copyBufferToBuffer(b, 0, staging, 0, 4 * n));
    try {
      await staging.mapAsync(MAP_READ, 0, 4 * n);
      return new Float32Array(staging.getMappedRange(0, 4 * n).slice(0));
    } finally {
      staging.destroy();
    }
  }

  /** One dispatch in its own submit inside a validation error scope: the message of its error, or null. */
  async checked(run: () => void): Promise<string | null> {
    this.submit();
    this.device.pushErrorScope('validation');
    let thrown: string | null = null;
    try {
      run();
      this.submit();
    } catch (e) {
      thrown = (e as Error).message;
    }
    const err = await this.device.popErrorScope();
    return thrown ?? err?.message ?? null;
  }

  // ---- timestamp queries ----
  /** Starts timing every dispatch (one pass each) when the device has 'timestamp-query'; false otherwise. */
  startTiming(): boolean {
    if (!this.device.features.has('timestamp-query')) return false;
    this.submit();
    this.timing ??= { set: this.device.createQuerySet({ type: 'timestamp', count: 2 * MAX_BATCH }), names: [], pending: [], times: new Map() };
    return true;
  }

  /** Stops timing and returns the device time per kernel family measured since startTiming(). */
  async stopTiming(): Promise<Map<string, KernelTime>> {
    const t = this.timing;
    if (t === null) return new Map();
    this.submit();
    await Promise.all(t.pending);
    this.timing = null;
    t.set.destroy();
    return t.times;
  }

  private resolveTimes(enc: CommandEncoder, n: number): { resolve: RawBuffer; read: RawBuffer } {
    const resolve = this.device.createBuffer({ size: 16 * n, usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC });
    const read = this.device.createBuffer({ size: 16 * n, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    enc.resolveQuerySet(this.timing!.set, 0, 2 * n, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, 16 * n);
    return { resolve, read };
  }

  private collectTimes(bufs: { resolve: RawBuffer; read: RawBuffer }, names: string[]): void {
    const t = this.timing!;
    t.pending.push(
      bufs.read
        .mapAsync(MAP_READ)
        .then(() => {
          const ns = new BigUint64Array(bufs.read.getMappedRange().slice(0));
          names.forEach((name, i) => {
            const e = t.times.get(name) ?? { calls: 0, ms: 0 };
            e.calls++;
            e.ms += Number(ns[2 * i + 1] - ns[2 * i]) / 1e6;
            t.times.set(name, e);
          });
        })
        .finally(() => {
          bufs.resolve.destroy();
          bufs.read.destroy();
        }),
    );
  }
}
