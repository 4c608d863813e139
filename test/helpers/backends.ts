// Test backend registry: cpu always, plus wasm and gpu when their modules exist and initialise here.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DType } from '../../core/dtype.js';
import type { AnyBackend, BackendName } from '../../kernels/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';

/** A backend under test, with what it can do: float64 storage and synchronous read-back. */
export interface TestBackend {
  readonly name: BackendName;
  readonly backend: AnyBackend;
  readonly float64: boolean;
  readonly sync: boolean;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Optional backends: the module that provides each (relative to the repo root), first existing one
 * wins. They are created privately (not registered with the engine), so tests that check the
 * engine's registry are unaffected; CONDGRAD_TEST_BACKENDS=wasm,gpu (or 'none') narrows the list.
 */
const OPTIONAL: readonly { name: BackendName; modules: readonly string[] }[] = [
  { name: 'wasm', modules: ['kernels/wasm/backend.ts'] },
  { name: 'gpu', modules: ['kernels/gpu/device.ts'] },
];

/** Backends that hold a device get it back after every suite (a root-level hook), so the process can exit. */
const started: AnyBackend[] = [];
after(async () => {
  for (const b of started.splice(0)) {
    const destroy = (b as { destroy?: () => unknown }).destroy;
    if (typeof destroy === 'function') await destroy.call(b);
  }
});

function isBackend(v: unknown, name: BackendName): v is AnyBackend {
  return typeof v === 'object' && v !== null && (v as AnyBackend).name === name && typeof (v as AnyBackend).conv2d === 'function';
}

/** Finds the backend in a module: an exported instance, or an exported init/create/load factory (possibly async). */
async function backendFrom(mod: Record<string, unknown>, name: BackendName): Promise<AnyBackend | null> {
  for (const v of Object.values(mod)) if (isBackend(v, name)) return v;
  for (const [k, v] of Object.entries(mod)) {
    if (typeof v === 'function' && /^(init|create|load)\w*backend$/i.test(k)) {
      const b: unknown = await (v as () => unknown)();
      if (isBackend(b, name)) return b;
    }
  }
  return null;
}

function describeCaps(name: BackendName, backend: AnyBackend): TestBackend {
  let sync = true;
  const probe = backend.fromArray(new Float32Array([1]));
  try {
    backend.readSync(probe);
  } catch {
    sync = false;
  }
  backend.dispose(probe);
  return { name, backend, float64: backend.dtypes.includes('float64'), sync };
}

async function loadBackends(): Promise<TestBackend[]> {
  const out = [describeCaps('cpu', cpuBackend)];
  const only = process.env.CONDGRAD_TEST_BACKENDS?.split(',').map((s) => s.trim());
  for (const { name, modules } of OPTIONAL) {
    if (only !== undefined && !only.includes(name)) continue;
    const file = modules.map((m) => join(root, m)).find((f) => existsSync(f));
    if (file === undefined) continue;
    try {
      const b = await backendFrom(await import(pathToFileURL(file).href) as Record<string, unknown>, name);
      if (b !== null) {
        started.push(b);
        out.push(describeCaps(name, b));
      }
    } catch (e) {
      // A backend that cannot start on this machine (no GPU, no WebAssembly build) is skipped, not failed.
      console.warn(`test backends: '${name}' did not initialise: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Every backend available to the tests, cpu first. */
export const testBackends: readonly TestBackend[] = await loadBackends();

/** Runs a describe block per available backend, named `backend=<name>`. */
export function forEachBackend(fn: (tb: TestBackend) => void): void {
  for (const tb of testBackends) describe(`backend=${tb.name}`, () => fn(tb));
}

/**
 * Runs a describe block per available backend and per dtype it stores, named
 * `backend=<name> dtype=<dtype>`.
 */
export function forEachBackendDtype(fn: (tb: TestBackend, dtype: DType) => void): void {
  for (const tb of testBackends) {
    for (const dtype of tb.backend.dtypes) describe(`backend=${tb.name} dtype=${dtype}`, () => fn(tb, dtype));
  }
}
