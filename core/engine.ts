// Engine state: the registered backends and factories, the current default backend (and how it is chosen) and the grad-recording switch.

import { CondgradError, checkBool, checkFunction, describeValue } from './errors.js';
import type { AnyBackend, BackendFactory, BackendName } from './backend.js';
import { checkThreadCount, chooseThreadCount } from './threads.js';
import { readEnv } from './platform/env.js';
import type { WasmSimd } from './wasm_simd.js';

// The engine knows no backend implementation: kernels/register.ts (imported by the package entry)
// registers the cpu reference backend and the factories of the asynchronous ones.
const registry = new Map<BackendName, AnyBackend>();
const factories = new Map<BackendName, BackendFactory>();
let current: AnyBackend | null = null;
let gradEnabled = true;

/**
 * Makes a backend available under its name (replacing an earlier one of that name). The first
 * backend registered becomes the default until setBackend or initDefaultBackend changes it.
 */
export function registerBackend(b: AnyBackend): void {
  registry.set(b.name, b);
  current ??= b;
}

/** Tells initBackend how to start the backend `name` (one that needs asynchronous set-up). */
export function registerBackendFactory(name: BackendName, factory: BackendFactory): void {
  factories.set(name, factory);
}

/**
 * The backend registered under `name`, or the current default. The default is the cpu reference
 * backend until initDefaultBackend (run when the package entry is imported) or setBackend changes
 * it; `getBackend().name` says which one new tensors land on.
 */
export function getBackend(name?: BackendName): AnyBackend {
  if (name === undefined) {
    if (current === null) throw new CondgradError('getBackend', 'no backend is registered; import the package entry (or kernels/register.js) first');
    return current;
  }
  const b = registry.get(name);
  if (!b) {
    throw new CondgradError(
      'getBackend',
      `backend '${name}' is not initialised (registered: ${[...registry.keys()].join(', ')}); call await initBackend('${name}') first`,
    );
  }
  return b;
}

const started: AnyBackend[] = [];

/** How initBackend starts a backend. */
export interface InitBackendOptions {
  /** Also make it the default backend for new tensors (default false). */
  makeDefault?: boolean;
  /**
   * wasm only: threads in all, the caller's included, an integer in [1, 64]. Default: the
   * CONDGRAD_THREADS environment variable, else the available parallelism capped at 8 (see
   * chooseThreadCount).
   */
  threads?: number;
}

/** A backend that runs its kernels on a pool of threads (the wasm backend), and the kernel build it runs. */
export type ThreadedBackend = AnyBackend & { readonly threads: number; readonly simd: WasmSimd };

function initOptions(opts: boolean | InitBackendOptions | undefined): InitBackendOptions {
  if (opts === undefined || typeof opts === 'boolean') return { makeDefault: opts === true };
  if (typeof opts !== 'object' || opts === null) {
    throw new CondgradError('initBackend', `options must be a boolean (makeDefault) or { makeDefault?, threads? }, got ${String(opts)}`);
  }
  const known = new Set(['makeDefault', 'threads']);
  for (const k of Object.keys(opts)) {
    if (!known.has(k)) throw new CondgradError('initBackend', `unknown option '${k}' (expected makeDefault, threads)`);
  }
  return opts;
}

/**
 * Starts a backend that needs asynchronous set-up ('wasm': WebAssembly module and worker threads;
 * 'gpu': a WebGPU device) and registers it; a registered backend is returned as is. The second
 * argument is `makeDefault` (it also becomes the default for new tensors) or options.
 *
 * `threads` picks the wasm thread count. If the wasm backend is already running with another
 * count (the package entry starts it on import), it is restarted with the new count, provided it
 * holds no live tensors; otherwise a CondgradError says so (dispose them, or closeBackends() first).
 */
export async function initBackend(name: 'wasm', opts?: boolean | InitBackendOptions): Promise<ThreadedBackend>;
export async function initBackend(name: BackendName, opts?: boolean | InitBackendOptions): Promise<AnyBackend>;
export async function initBackend(name: BackendName, options?: boolean | InitBackendOptions): Promise<AnyBackend> {
  const opts = initOptions(options);
  if (opts.threads !== undefined) {
    if (name !== 'wasm') throw new CondgradError('initBackend', `threads applies to the wasm backend only, not '${String(name)}'`);
    checkThreadCount('initBackend', 'threads', opts.threads);
  }
  let b = registry.get(name);
  let makeDefault = opts.makeDefault === true;
  if (b !== undefined && opts.threads !== undefined && (b as Partial<ThreadedBackend>).threads !== opts.threads) {
    makeDefault = (await stopForRestart(b, opts.threads)) || makeDefault;
    b = undefined;
  }
  if (b === undefined) {
    const factory = factories.get(name);
    if (factory === undefined) {
      throw new CondgradError(
        'initBackend',
        `unknown backend '${String(name)}' (expected one of: ${[...new Set([...registry.keys(), ...factories.keys()])].join(', ')})`,
      );
    }
    const created = await factory({ threads: opts.threads });
    started.push(created);
    registry.set(name, created);
    b = created;
  }
  if (makeDefault) current = b;
  return b;
}

/** Stops a running wasm backend so it can start again with `threads`; refuses while it holds tensors. Returns whether it was the default. */
async function stopForRestart(b: AnyBackend, threads: number): Promise<boolean> {
  const have = (b as Partial<ThreadedBackend>).threads;
  const i = started.indexOf(b);
  const live = b.memory().liveBuffers ?? 0;
  if (i < 0 || live > 0) {
    const why = i < 0 ? 'it was registered from outside initBackend' : `it holds ${live} live tensor buffer${live === 1 ? '' : 's'}`;
    throw new CondgradError(
      'initBackend',
      `the wasm backend is running with ${String(have)} threads and cannot restart with ${threads}: ${why}; dispose them or call closeBackends() first`,
    );
  }
  started.splice(i, 1);
  registry.delete(b.name);
  const wasDefault = current === b;
  if (wasDefault) current = registry.get('cpu') ?? null;
  await b.destroy();
  return wasDefault;
}

/** Stops the backends initBackend started (worker threads, GPU device) so the process can exit; the default falls back to cpu. */
export async function closeBackends(): Promise<void> {
  defaultChoice = null;
  while (started.length > 0) {
    const b = started.pop()!;
    registry.delete(b.name);
    if (current === b) current = registry.get('cpu') ?? null;
    await b.destroy();
  }
}

/** Sets the default backend for new tensors. */
export function setBackend(name: BackendName | AnyBackend): AnyBackend {
  const b = name as unknown as { conv2d?: unknown; name?: unknown } | null;
  if (typeof name !== 'string' && (b === null || typeof b !== 'object' || typeof b.conv2d !== 'function' || !NAMES.includes(b.name as BackendName))) {
    throw new CondgradError('setBackend', `expected a backend name ('cpu', 'wasm', 'gpu') or a backend object, got ${describeValue(name)}`);
  }
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
  /** The CONDGRAD_THREADS value (default: the environment's). */
  threadsEnv?: string;
}

const NAMES: readonly BackendName[] = ['cpu', 'wasm', 'gpu'];

/**
 * Picks the default backend without installing it:
 * - CONDGRAD_BACKEND=cpu|wasm|gpu wins; a backend it names that fails to start throws a
 *   CondgradError with the reason, and any other value throws;
 * - otherwise 'wasm' where WebAssembly SIMD is available and the backend starts (its worker threads
 *   do not keep the process alive), else 'cpu'. If wasm fails to start although SIMD exists, the
 *   reason is reported once (stderr) and cpu is used.
 * A CONDGRAD_THREADS that is not an integer in [1, 64] throws a CondgradError first, whichever
 * backend is chosen, so a mistyped value is never silently ignored.
 */
export async function chooseDefaultBackend(probe: DefaultBackendProbe = {}): Promise<AnyBackend> {
  const env = (probe.env ?? readEnv(BACKEND_ENV) ?? '').trim();
  const start = probe.start ?? ((name: 'wasm' | 'gpu') => initBackend(name));
  chooseThreadCount(undefined, { env: probe.threadsEnv, available: 1 });
  if (env !== '') {
    if (!NAMES.includes(env as BackendName)) {
      throw new CondgradError('initDefaultBackend', `${BACKEND_ENV}='${env}' is not a backend (expected ${NAMES.join(', ')})`);
    }
    if (env === 'cpu') return getBackend('cpu');
    try {
      return await start(env as 'wasm' | 'gpu');
    } catch (e) {
      throw new CondgradError('initDefaultBackend', `${BACKEND_ENV}=${env} was requested but the ${env} backend failed to start: ${(e as Error).message}`);
    }
  }
  if (!(probe.simd ?? wasmSimdSupported())) return getBackend('cpu');
  try {
    return await start('wasm');
  } catch (e) {
    const warn = probe.warn ?? warnOnce;
    warn(
      `condgrad: WebAssembly SIMD is available but the wasm backend failed to start (${(e as Error).message}); using the cpu backend. Set ${BACKEND_ENV}=cpu to choose it explicitly.`,
    );
    return getBackend('cpu');
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

/** Runs fn (synchronous) with gradient recording off (no tape is built). */
export function noGrad<T>(fn: () => T): T {
  return runWithGrad('noGrad', false, fn);
}

/** Runs fn (synchronous) with gradient recording set to `enabled`. */
export function withGrad<T>(enabled: boolean, fn: () => T): T {
  checkBool('withGrad', 'enabled', enabled);
  return runWithGrad('withGrad', enabled, fn);
}

function runWithGrad<T>(op: string, enabled: boolean, fn: () => T): T {
  checkFunction(op, 'fn', fn);
  const prev = gradEnabled;
  gradEnabled = enabled;
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = prev;
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    // The setting was restored when fn returned: the code after its first await ran with the other one.
    throw new CondgradError(
      op,
      `fn returned a Promise: ${op}() applies only while a synchronous fn runs (after an await, recording would silently be ${prev ? 'on' : 'off'} again)`,
    );
  }
  return result;
}
