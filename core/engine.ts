// Engine state: the registered backends, the current default backend and the grad-recording switch.

import { CondgradError } from './errors.js';
import type { AnyBackend, BackendName } from '../kernels/backend.js';
import { cpuBackend } from '../kernels/cpu/backend.js';

const registry = new Map<BackendName, AnyBackend>([['cpu', cpuBackend]]);
let current: AnyBackend = cpuBackend;
let gradEnabled = true;

/** Makes a backend available under its name (replacing an earlier one of that name). */
export function registerBackend(b: AnyBackend): void {
  registry.set(b.name, b);
}

/** The backend registered under `name`, or the current default. */
export function getBackend(name?: BackendName): AnyBackend {
  if (name === undefined) return current;
  const b = registry.get(name);
  if (!b) {
    throw new CondgradError('getBackend', `backend '${name}' is not initialised (registered: ${[...registry.keys()].join(', ')}); call await initBackend('${name}') first`);
  }
  return b;
}

type Closable = AnyBackend & { destroy(): Promise<void> };
const started: Closable[] = [];

/**
 * Starts a backend that needs asynchronous set-up ('wasm': WebAssembly module and worker threads;
 * 'gpu': a WebGPU device) and registers it; a registered backend is returned as is. With
 * `makeDefault` it also becomes the default for new tensors.
 */
export async function initBackend(name: BackendName, makeDefault = false): Promise<AnyBackend> {
  let b = registry.get(name);
  if (b === undefined) {
    let created: Closable;
    if (name === 'wasm') {
      const { createWasmBackend } = await import('../kernels/wasm/backend.js');
      created = await createWasmBackend();
    } else if (name === 'gpu') {
      const { createGpuBackend } = await import('../kernels/gpu/device.js');
      created = await createGpuBackend();
    } else {
      throw new CondgradError('initBackend', `unknown backend '${String(name)}' (expected 'cpu', 'wasm' or 'gpu')`);
    }
    started.push(created);
    registry.set(name, created);
    b = created;
  }
  if (makeDefault) current = b;
  return b;
}

/** Stops the backends initBackend started (worker threads, GPU device) so the process can exit; the default falls back to cpu. */
export async function closeBackends(): Promise<void> {
  while (started.length > 0) {
    const b = started.pop()!;
    registry.delete(b.name);
    if (current === b) current = cpuBackend;
    await b.destroy();
  }
}

/** Sets the default backend for new tensors. */
export function setBackend(name: BackendName | AnyBackend): AnyBackend {
  current = typeof name === 'string' ? getBackend(name) : name;
  if (typeof name !== 'string') registry.set(name.name, name);
  return current;
}

export function listBackends(): BackendName[] {
  return [...registry.keys()];
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (no tape is built). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with gradient recording set to `enabled`. */
export function withGrad<T>(enabled: boolean, fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}
