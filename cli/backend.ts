// Selects the compute backend for a CLI run: cpu directly; wasm and gpu started through their async factories and closed at the end.

import { listBackends, getBackend, setBackend } from '../core/engine.js';
import type { AnyBackend, BackendName } from '../kernels/backend.js';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'gpu'];

const started: { destroy(): Promise<void> }[] = [];

/** Makes `name` the default backend, starting it first if it is not registered yet (wasm and gpu start asynchronously). */
export async function useBackend(name: BackendName): Promise<AnyBackend> {
  if (listBackends().includes(name)) return setBackend(name);
  let b: AnyBackend & { destroy(): Promise<void> };
  if (name === 'wasm') {
    const { createWasmBackend } = await import('../kernels/wasm/backend.js');
    b = await createWasmBackend();
  } else if (name === 'gpu') {
    const { createGpuBackend } = await import('../kernels/gpu/device.js');
    b = await createGpuBackend();
  } else {
    return getBackend(name);
  }
  started.push(b);
  return setBackend(b);
}

/** Stops the backends useBackend started (worker threads, GPU device), so the process can exit. */
export async function releaseBackends(): Promise<void> {
  while (started.length > 0) await started.pop()!.destroy();
}
