// Worker threads that share the wasm memory: one synchronous fork-join call runs a kernel's slices on every thread.

import { CondgradError } from '../../core/errors.js';
import { controlBuffer, spawnKernelWorker, waitAtLeast, type KernelWorker } from './spawn.js';
import { CTRL_DONE, CTRL_ERROR, CTRL_GEN, CTRL_QUIT, CTRL_SLOTS } from './worker_source.js';

/** A kernel entry point: takes the byte address of its argument block. */
export type KernelFn = (args: number) => void;

/**
 * `threads` threads in all: the caller's plus threads-1 workers, each with its own instance of the
 * kernel module over the same shared memory. `run` is synchronous: the main thread runs slice 0,
 * then waits until every worker has reported (Atomics.wait; a browser page's main thread, which
 * may not block, spins on Atomics.load instead: see spawn.browser.ts).
 */
export class ThreadPool {
  readonly threads: number;
  private readonly workers: KernelWorker[] = [];
  private readonly ctrl: Int32Array;
  /** How long a thread of this pool spins before it sleeps, in ms (see chooseSpinMicros). */
  readonly spinMs: number;
  private closed = false;

  private constructor(threads: number, ctrl: Int32Array, spinMs: number) {
    this.threads = threads;
    this.ctrl = ctrl;
    this.spinMs = spinMs;
  }

  /** Starts threads-1 workers, each spinning spinMicros µs between calls, and waits until each has instantiated the module. */
  static async create(
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    names: readonly string[],
    spinMicros: number,
  ): Promise<ThreadPool> {
    const ctrl = new Int32Array(controlBuffer(4 * (CTRL_SLOTS + 2 * threads)));
    const spinMs = spinMicros / 1000;
    const pool = new ThreadPool(threads, ctrl, spinMs);
    try {
      for (let t = 1; t < threads; t++) {
        pool.workers.push(spawnKernelWorker({ module, memory, ctrlBuffer: ctrl.buffer, tid: t, names: [...names], spinMs }));
      }
      await Promise.all(pool.workers.map((w) => w.ready));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /**
   * Runs fns[fn] on every argument block: args[0] on this thread, args[t] on worker t (fewer
   * blocks than threads leave the rest idle). Throws a CondgradError if any slice trapped.
   */
  run(kernel: string, fn: number, local: KernelFn, args: readonly number[]): void {
    if (this.closed) throw new CondgradError('wasm.threads', `${kernel}: the backend was closed`);
    const n = args.length;
    if (n === 1 || this.workers.length === 0) {
      for (const a of args) local(a);
      return;
    }
    if (n > this.threads) throw new CondgradError('wasm.threads', `${kernel}: ${n} slices for ${this.threads} threads`);
    const c = this.ctrl;
    for (let t = 1; t < this.threads; t++) {
      c[CTRL_SLOTS + 2 * t] = t < n ? fn : -1;
      c[CTRL_SLOTS + 1 + 2 * t] = t < n ? args[t] : 0;
    }
    Atomics.store(c, CTRL_ERROR, 0);
    Atomics.store(c, CTRL_DONE, 0);
    Atomics.add(c, CTRL_GEN, 1);
    Atomics.notify(c, CTRL_GEN);
    let failure: unknown = null;
    try {
      local(args[0]);
    } catch (e) {
      failure = e;
    }
    const want = this.threads - 1;
    waitAtLeast(c, CTRL_DONE, want, this.spinMs);
    if (failure !== null) throw new CondgradError('wasm.threads', `${kernel} trapped on the main thread: ${(failure as Error).message}`);
    const bad = Atomics.load(c, CTRL_ERROR);
    if (bad !== 0) throw new CondgradError('wasm.threads', `${kernel} trapped on worker ${bad - 1}`);
  }

  /** Stops and terminates the workers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL_QUIT, 1);
    Atomics.add(this.ctrl, CTRL_GEN, 1);
    Atomics.notify(this.ctrl, CTRL_GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
