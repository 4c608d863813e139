// Selects the compute backend for a CLI run: cpu directly, wasm and gpu through the package's initBackend when the build has it.

import { CondgradError } from '../core/errors.js';
import { listBackends, setBackend } from '../core/engine.js';
import type { AnyBackend, BackendName } from '../kernels/backend.js';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'wasm', 'gpu'];

/** Makes `name` the default backend, initialising it first if needed (wasm and gpu start asynchronously). */
export async function useBackend(name: BackendName): Promise<AnyBackend> {
  if (listBackends().includes(name)) return setBackend(name);
  const api = (await import('../index.js')) as Record<string, unknown>;
  const init = api.initBackend;
  if (typeof init !== 'function') {
    throw new CondgradError('backend', `backend '${name}' is not available in this build (registered: ${listBackends().join(', ')})`);
  }
  await (init as (n: BackendName) => Promise<unknown>)(name);
  return setBackend(name);
}
