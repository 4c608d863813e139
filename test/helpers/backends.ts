// Test backend registry: cpu always, plus wasm and gpu; a backend the environment requires must start.

import type { DType } from '../../core/dtype.js';
import type { AnyBackend, BackendName } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';

/** A backend under test, with what it can do: float64 storage and synchronous read-back. */
export interface TestBackend {
  readonly name: BackendName;
  readonly backend: AnyBackend;
  readonly float64: boolean;
  readonly sync: boolean;
}

/**
 * The optional backends and how to start each. They are created privately (not registered with the
 * engine), so tests that check the engine's registry are unaffected.
 */
const OPTIONAL: readonly { name: BackendName; start: () => Promise<AnyBackend> }[] = [
  { name: 'wasm', start: async () => (await import('../../kernels/wasm/backend.js')).createWasmBackend() },
  { name: 'gpu', start: async () => (await import('../../kernels/gpu/device.js')).createGpuBackend() },
];

/** Backends that hold a device get it back after every suite (a root-level hook), so the process can exit. */
const started: AnyBackend[] = [];
after(async () => {
  for (const b of started.splice(0)) await b.destroy();
});

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

/**
 * The backends the suites run on. CONDGRAD_TEST_BACKENDS=wasm,gpu (or 'none') narrows the optional
 * list; a backend it names, or gpu under CONDGRAD_REQUIRE_GPU=1, must start or discovery fails.
 * Otherwise one that cannot start on this machine (no WebGPU adapter) is skipped with the reason.
 */
export async function discoverBackends(
  env: Readonly<Record<string, string | undefined>> = process.env,
  optional: readonly { name: BackendName; start: () => Promise<AnyBackend> }[] = OPTIONAL,
): Promise<TestBackend[]> {
  const out = [describeCaps('cpu', cpuBackend)];
  const only = env.CONDGRAD_TEST_BACKENDS?.split(',').map((s) => s.trim());
  for (const { name, start } of optional) {
    if (only !== undefined && !only.includes(name)) continue;
    const required = only !== undefined || (name === 'gpu' && env.CONDGRAD_REQUIRE_GPU === '1');
    let b: AnyBackend;
    try {
      b = await start();
    } catch (e) {
      const why = `test backends: '${name}' did not start: ${(e as Error).message}`;
      if (required)
        throw new Error(`${why} (required by ${only !== undefined ? `CONDGRAD_TEST_BACKENDS=${env.CONDGRAD_TEST_BACKENDS}` : 'CONDGRAD_REQUIRE_GPU=1'})`);
      console.warn(`${why}; its suites are skipped`);
      continue;
    }
    started.push(b);
    out.push(describeCaps(name, b));
  }
  return out;
}

/** Every backend available to the tests, cpu first. */
export const testBackends: readonly TestBackend[] = await discoverBackends();

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
