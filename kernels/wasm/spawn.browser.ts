// Kernel workers in the browser: Web Workers from a Blob URL of the embedded source; the page's main thread, which may not block, spins.

import { CondgradError } from '../../core/errors.js';
import { KERNEL_LOOP } from './worker_source.js';

/** What a kernel worker starts from (posted to it: the module and the shared memory are cloned by reference). */
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

const SOURCE = `
self.onmessage = (e) => {
  self.onmessage = null;
  const { module, memory, ctrlBuffer, tid, names, spinMs } = e.data;
  const ready = () => postMessage('ready');
  ${KERNEL_LOOP}
};`;

let sourceUrl: string | null = null;

/** Starts worker `data.tid` (a classic worker on a Blob URL, made once). */
export function spawnKernelWorker(data: KernelWorkerData): KernelWorker {
  sourceUrl ??= URL.createObjectURL(new Blob([SOURCE], { type: 'text/javascript' }));
  const w = new Worker(sourceUrl, { name: `condgrad-wasm-${data.tid}` });
  const ready = new Promise<void>((resolve, reject) => {
    const fail = (why: string): void => reject(new CondgradError('wasm.threads', `worker ${data.tid} failed to start: ${why}`));
    w.onmessage = () => resolve();
    w.onerror = (e) => {
      e.preventDefault();
      fail(e.message || 'error event');
    };
    w.onmessageerror = () => fail('its start-up message could not be cloned');
  });
  try {
    w.postMessage(data);
  } catch (e) {
    w.terminate();
    throw new CondgradError('wasm.threads', `worker ${data.tid} failed to start: ${(e as Error).message}`);
  }
  return { ready, terminate: async () => w.terminate() };
}

/** The buffer of the fork-join control block: shared where the page may share memory, else a plain one (one thread). */
export function controlBuffer(bytes: number): ArrayBufferLike {
  return typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** Workers may block; a window's main thread may not (Atomics.wait throws there), so it spins on Atomics.load. */
const canBlock = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';

/** Waits until ctrl[index] ≥ want: a spin of up to spinMs then Atomics.wait in a worker, a spin on the page's main thread. */
export function waitAtLeast(ctrl: Int32Array, index: number, want: number, spinMs: number): void {
  if (canBlock) {
    for (const until = performance.now() + spinMs; Atomics.load(ctrl, index) < want && performance.now() < until;);
    for (let d = Atomics.load(ctrl, index); d < want; d = Atomics.load(ctrl, index)) Atomics.wait(ctrl, index, d);
    return;
  }
  while (Atomics.load(ctrl, index) < want) {
    // spin: the workers finish their slices within the kernel's run time
  }
}
