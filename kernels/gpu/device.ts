// The gpu backend's set-up: finds a WebGPU adapter (find_adapter.ts: Dawn on Node; find_adapter.browser.ts: navigator.gpu), starts gpu.js on it, self-tests.

import { CondgradError } from '../../core/errors.js';
import { GpuBackend } from './backend.js';
import type { GpuBackendOptions } from './adapter.js';
import { findAdapter, optionsKey } from './find_adapter.js';
import { loadGpuJs } from './gpujs.js';
import { GpuRuntime } from './runtime.js';

export type { AdapterInfo, DawnBackend, GpuBackendOptions } from './adapter.js';

let active: { backend: GpuBackend; opts: string } | null = null;
/** What live gpu backends keep from being collected (see FoundAdapter.retain). */
const retained = new Set<readonly unknown[]>();
let starting: Promise<GpuBackend> | null = null;

/**
 * Creates the gpu backend: float32 gpu.js kernels in webgpu mode on a Dawn adapter. Throws a
 * CondgradError ('gpu: no WebGPU adapter …') when none can be found. gpu.js shares one device,
 * so one gpu backend lives at a time: while it lives, calls with the same options return it,
 * and calls with other options throw. `destroy()` frees it.
 */
export async function createGpuBackend(opts: GpuBackendOptions = {}): Promise<GpuBackend> {
  const key = optionsKey(opts);
  if (active !== null && !active.backend.destroyed) {
    if (active.opts !== key) throw new CondgradError('gpu', `a gpu backend with options ${active.opts} is live; destroy() it before creating one with ${key}`);
    return active.backend;
  }
  if (starting !== null) return starting;
  starting = start(opts, key);
  try {
    return await starting;
  } finally {
    starting = null;
  }
}

async function start(opts: GpuBackendOptions, key: string): Promise<GpuBackend> {
  // findAdapter loads 'webgpu' first (on Node), so a missing package is named before gpu.js starts.
  const found = await findAdapter(opts);
  const gpujs = await loadGpuJs();
  const { info } = found;
  const uninstall = found.install();
  const gpu = new gpujs.GPU({ mode: 'webgpu' });
  const runtime = new GpuRuntime(gpujs, gpu, opts.maxKernels ?? 256);
  const teardown = async (): Promise<void> => {
    await runtime.destroy();
    await gpujs.WebGPUContext.destroy();
    uninstall();
    retained.delete(found.retain);
    if (active?.backend === backendObj) active = null;
  };
  const backendObj = new GpuBackend(runtime, info, teardown);
  retained.add(found.retain);
  try {
    const ctx = await gpujs.WebGPUContext.acquire();
    runtime.watchDevice(ctx.device);
    await backendObj.selfTest();
  } catch (e) {
    await teardown().catch(() => undefined);
    if (e instanceof CondgradError) throw e;
    throw new CondgradError('gpu', `no WebGPU adapter: ${info.backendType} adapter '${info.name}' failed to start: ${(e as Error).message}`);
  }
  active = { backend: backendObj, opts: key };
  return backendObj;
}
