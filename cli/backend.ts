// Selects the compute backend for a CLI run: cpu directly; wasm and gpu started through their async factories and closed at the end.

import { closeBackends, initBackend } from '../core/engine.js';
import type { AnyBackend, BackendName } from '../core/backend.js';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'gpu'];

/** Makes `name` the default backend, starting it first if it is not registered yet (wasm and gpu start asynchronously); `threads` for wasm. */
export async function useBackend(name: BackendName, threads?: number): Promise<AnyBackend> {
  return initBackend(name, { makeDefault: true, threads });
}

/** Stops the backends useBackend started (worker threads, GPU device), so the process can exit. */
export const releaseBackends = closeBackends;
