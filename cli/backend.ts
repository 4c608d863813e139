// Selects the compute backend for a CLI run, the same way in every command: --backend, else $CONDGRAD_BACKEND, else the library default.

import { BACKEND_ENV, closeBackends, initBackend, initDefaultBackend } from '../core/engine.js';
import type { AnyBackend, BackendName } from '../core/backend.js';
import { choice, given, UsageError, type Values } from './command.js';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'gpu'];

/**
 * The backend named by $CONDGRAD_BACKEND, or null when it is unset or empty. A value that is not
 * a backend is a UsageError in every command (the dispatcher checks it before any command runs).
 */
export function backendFromEnv(env: NodeJS.ProcessEnv = process.env): BackendName | null {
  const v = (env[BACKEND_ENV] ?? '').trim();
  if (v === '') return null;
  if (!BACKEND_NAMES.includes(v as BackendName)) throw new UsageError(`${BACKEND_ENV}='${v}' is not a backend (expected ${BACKEND_NAMES.join(', ')})`);
  return v as BackendName;
}

/** Makes `name` the default backend, starting it first if it is not registered yet (wasm and gpu start asynchronously); `threads` for wasm. */
export async function useBackend(name: BackendName, threads?: number): Promise<AnyBackend> {
  return initBackend(name, { makeDefault: true, threads });
}

/**
 * Starts and selects the backend a command computes on: --backend when given, else
 * $CONDGRAD_BACKEND, else wasm where WebAssembly SIMD is available, else cpu. `threads` (wasm
 * only, a UsageError for another backend) restarts wasm with that many threads.
 */
export async function selectBackend(values: Values, threads?: number): Promise<AnyBackend> {
  const name = given(values, 'backend') ? choice(values, 'backend', BACKEND_NAMES, 'cpu') : (backendFromEnv() ?? (await initDefaultBackend()).name);
  if (threads !== undefined && name !== 'wasm') throw new UsageError(`--threads applies to the wasm backend, not ${name}`);
  return useBackend(name, threads);
}

/** The --backend help line shared by the commands that compute. */
export const BACKEND_USAGE = `  --backend <name>          cpu | wasm | gpu (default: $${BACKEND_ENV}, else wasm where WebAssembly SIMD is available, else cpu)`;

/** Stops the backends useBackend started (worker threads, GPU device), so the process can exit. */
export const releaseBackends = closeBackends;
