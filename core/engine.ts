// Engine state: the registered backends, the current default backend (and how it is chosen) and the grad-recording switch.

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

/**
 * The backend registered under `name`, or the current default. The default is the cpu reference
 * backend until initDefaultBackend (run when the package entry is imported) or setBackend changes
 * it; `getBackend().name` says which one new tensors land on.
 */
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
  defaultChoice = null;
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

/** The environment variable that names the default backend: 'cpu', 'wasm' or 'gpu' (unset or empty: automatic). */
export const BACKEND_ENV = 'CONDGRAD_BACKEND';

/** A module whose one function returns i8x16.popcnt(i8x16.splat(0)): it validates only where 128-bit SIMD does. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** True when this runtime has WebAssembly with 128-bit SIMD, which the wasm backend's kernels need. */
export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** What chooseDefaultBackend looks at; every field defaults to this process's (tests inject their own). */
export interface DefaultBackendProbe {
  /** The requested name (default: the CONDGRAD_BACKEND environment variable). */
  env?: string;
  /** Whether WebAssembly SIMD is available (default: wasmSimdSupported()). */
  simd?: boolean;
  /** Starts and registers an asynchronous backend (default: initBackend). */
  start?: (name: 'wasm' | 'gpu') => Promise<AnyBackend>;
  /** Reports that wasm could not start although SIMD exists (default: one line on stderr). */
  warn?: (message: string) => void;
}

const NAMES: readonly BackendName[] = ['cpu', 'wasm', 'gpu'];

/**
 * Picks the default backend without installing it:
 * - CONDGRAD_BACKEND=cpu|wasm|gpu wins; a backend it names that fails to start throws a
 *   CondgradError with the reason, and any other value throws;
 * - otherwise 'wasm' where WebAssembly SIMD is available and the backend starts (its worker threads
 *   do not keep the process alive), else 'cpu'. If wasm fails to start although SIMD exists, the
 *   reason is reported once (stderr) and cpu is used.
 */
export async function chooseDefaultBackend(probe: DefaultBackendProbe = {}): Promise<AnyBackend> {
  const env = (probe.env ?? (typeof process === 'object' ? process.env?.[BACKEND_ENV] : undefined) ?? '').trim();
  const start = probe.start ?? ((name: 'wasm' | 'gpu') => initBackend(name));
  if (env !== '') {
    if (!NAMES.includes(env as BackendName)) {
      throw new CondgradError('initDefaultBackend', `${BACKEND_ENV}='${env}' is not a backend (expected ${NAMES.join(', ')})`);
    }
    if (env === 'cpu') return cpuBackend;
    try {
      return await start(env as 'wasm' | 'gpu');
    } catch (e) {
      throw new CondgradError('initDefaultBackend', `${BACKEND_ENV}=${env} was requested but the ${env} backend failed to start: ${(e as Error).message}`);
    }
  }
  if (!(probe.simd ?? wasmSimdSupported())) return cpuBackend;
  try {
    return await start('wasm');
  } catch (e) {
    const warn = probe.warn ?? warnOnce;
    warn(`condgrad: WebAssembly SIMD is available but the wasm backend failed to start (${(e as Error).message}); using the cpu backend. Set ${BACKEND_ENV}=cpu to choose it explicitly.`);
    return cpuBackend;
  }
}

let warned = false;
function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  console.error(message);
}

let defaultChoice: Promise<AnyBackend> | null = null;

/**
 * Chooses the default backend (see chooseDefaultBackend) and makes it the default; the package entry
 * awaits this on import, so `getBackend().name` tells which was chosen. Later calls return the same
 * choice until closeBackends.
 */
export function initDefaultBackend(): Promise<AnyBackend> {
  defaultChoice ??= chooseDefaultBackend().then((b) => setBackend(b));
  return defaultChoice;
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
