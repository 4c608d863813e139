// Wasm test backends: builds the kernels if stale, then one backend per thread count, split even on tiny shapes.

import { buildWasm } from '../../kernels/wasm/build.mjs';
import { createWasmBackend, type WasmBackend } from '../../kernels/wasm/backend.js';

/** Thread counts every wasm kernel test runs with. */
export const WASM_THREADS = [1, 2] as const;

/**
 * Registers before/after hooks in the current describe block and returns a getter for the backend
 * with `threads` threads; minWorkPerThread 1 makes every kernel with two or more items split.
 */
export function useWasmBackend(threads: number): () => WasmBackend {
  let be: WasmBackend | null = null;
  before(async function () {
    this.timeout(120000);
    await buildWasm({ quiet: true });
    be = await createWasmBackend({ threads, minWorkPerThread: 1 });
  });
  after(async () => {
    await be?.destroy();
    be = null;
  });
  return () => {
    if (be === null) throw new Error('wasm backend not started');
    return be;
  };
}
