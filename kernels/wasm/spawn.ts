// Kernel workers on Node: node:worker_threads from the embedded source, and a blocking wait (the browser build swaps in spawn.browser.ts).

import { Worker } from 'node:worker_threads';
import { CondgradError } from '../../core/errors.js';
import { KERNEL_LOOP } from './worker_source.js';

/** What a kernel worker starts from. */
export interface KernelWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrlBuffer: ArrayBufferLike;
  tid: number;
  names: string[];
  /** How long the worker spins between calls before it sleeps, in ms. */
  spinMs: number;
}

/** A started worker: `ready` settles once it has instantiated the module. */
export interface KernelWorker {
  readonly ready: Promise<void>;
  terminate(): Promise<void>;
}

// process.getBuiltinModule rather than require: workers inherit the parent's execArgv, and under
// --input-type=module the eval'd source is an ES module where require does not exist.
const SOURCE = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const { module, memory, ctrlBuffer, tid, names, spinMs } = workerData;
const ready = () => parentPort.postMessage('ready');
${KERNEL_LOOP}`;

/** Starts worker `data.tid`; once ready it no longer keeps the process alive. */
export function spawnKernelWorker(data: KernelWorkerData): KernelWorker {
  const w = new Worker(SOURCE, { eval: true, workerData: data });
  const ready = new Promise<void>((resolve, reject) => {
    w.once('message', () => {
      w.unref();
      resolve();
    });
    w.once('error', (e) => reject(new CondgradError('wasm.threads', `worker ${data.tid} failed to start: ${e.message}`)));
  });
  return {
    ready,
    terminate: async () => {
      await w.terminate();
    },
  };
}

/** The buffer of the fork-join control block. */
export function controlBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(bytes);
}

/** Blocks until ctrl[index] ≥ want: a spin of up to spinMs, then Atomics.wait (Node's main thread may block). */
export function waitAtLeast(ctrl: Int32Array, index: number, want: number, spinMs: number): void {
  for (const until = performance.now() + spinMs; Atomics.load(ctrl, index) < want && performance.now() < until;);
  for (let d = Atomics.load(ctrl, index); d < want; d = Atomics.load(ctrl, index)) Atomics.wait(ctrl, index, d);
}
