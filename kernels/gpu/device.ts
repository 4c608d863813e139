// Dawn (WebGPU for Node) setup for the gpu backend: picks a Dawn backend, installs navigator.gpu for gpu.js, reports the adapter.

import { CondgradError } from '../../core/errors.js';
import type { AdapterInfo, DawnBackend } from './adapter.js';
import { GpuBackend } from './backend.js';
import { loadGpuJs } from './gpujs.js';
import { loadGpuPackage } from './packages.js';
import { GpuRuntime } from './runtime.js';

export interface GpuBackendOptions {
  /**
   * Which Dawn backend to use. 'auto' (the default, or env CONDGRAD_GPU_BACKEND) tries the
   * platform's native API first and, on Linux, falls back to OpenGL ES (which runs on Mesa
   * llvmpipe where no Vulkan device exists).
   */
  backend?: DawnBackend | 'auto';
  /** WebGPU feature level; default 'compatibility' for opengl/opengles, 'core' otherwise. */
  featureLevel?: 'core' | 'compatibility';
  /** Bound on the compiled-kernel cache (default 256). */
  maxKernels?: number;
}

interface DawnAdapter {
  readonly info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  readonly features: ReadonlySet<string>;
  readonly limits: Record<string, number>;
  requestDevice(desc?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<unknown>;
}

/**
 * The adapter as gpu.js sees it: its device also asks for 'timestamp-query' where the adapter offers
 * it, so the launch queue can time kernels (GpuBackend.profile).
 */
function withTimestamps(a: DawnAdapter | null): object | null {
  if (a === null || !a.features.has('timestamp-query')) return a;
  return {
    get info() { return a.info; },
    get features() { return a.features; },
    get limits() { return a.limits; },
    requestDevice: (desc: Parameters<DawnAdapter['requestDevice']>[0] = {}) =>
      a.requestDevice({ ...desc, requiredFeatures: [...(desc.requiredFeatures ?? []), 'timestamp-query'] }),
  };
}
interface DawnInstance {
  requestAdapter(opts?: Record<string, unknown>): Promise<DawnAdapter | null>;
}
interface WebGpuModule {
  create(flags: string[]): DawnInstance;
  globals: Record<string, unknown>;
}

function candidates(opt: GpuBackendOptions['backend']): DawnBackend[] {
  const want = opt ?? (process.env.CONDGRAD_GPU_BACKEND as DawnBackend | 'auto' | undefined) ?? 'auto';
  if (want !== 'auto') return [want];
  if (process.platform === 'darwin') return ['metal'];
  if (process.platform === 'win32') return ['d3d12', 'vulkan'];
  return ['vulkan', 'opengles'];
}

function levelFor(backend: DawnBackend, opt: GpuBackendOptions['featureLevel']): 'core' | 'compatibility' {
  return opt ?? (backend === 'opengl' || backend === 'opengles' ? 'compatibility' : 'core');
}

/** Puts a navigator.gpu on globalThis that gpu.js's parameterless requestAdapter() reaches. */
function installNavigatorGpu(gpu: object): () => void {
  const g = globalThis as { navigator?: object };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return () => { delete (globalThis as { navigator?: object }).navigator; };
  }
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  const nav = g.navigator;
  return () => { delete (nav as { gpu?: object }).gpu; };
}

let active: { backend: GpuBackend; opts: string } | null = null;
let starting: Promise<GpuBackend> | null = null;

/**
 * Creates the gpu backend: float32 gpu.js kernels in webgpu mode on a Dawn adapter. Throws a
 * CondgradError ('gpu: no WebGPU adapter …') when none can be found. gpu.js shares one device,
 * so one gpu backend lives at a time: while it lives, calls with the same options return it,
 * and calls with other options throw. `destroy()` frees it.
 */
export async function createGpuBackend(opts: GpuBackendOptions = {}): Promise<GpuBackend> {
  const key = JSON.stringify([opts.backend ?? process.env.CONDGRAD_GPU_BACKEND ?? 'auto', opts.featureLevel ?? null, opts.maxKernels ?? 256]);
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
  // Dawn's GLES backend needs a display; headless Linux has none, so ask EGL for a surfaceless one.
  if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
  // Both optional packages load first, so a missing one is named before any adapter is probed.
  const webgpu = await loadGpuPackage<WebGpuModule>('webgpu', () => import('webgpu'));
  const gpujs = await loadGpuJs();
  for (const [k, v] of Object.entries(webgpu.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const tried: string[] = [];
  for (const backend of candidates(opts.backend)) {
    const featureLevel = levelFor(backend, opts.featureLevel);
    let instance: DawnInstance | null;
    let adapter: DawnAdapter | null = null;
    try {
      instance = webgpu.create([`backend=${backend}`]);
      adapter = await instance.requestAdapter({ featureLevel });
    } catch (e) {
      tried.push(`${backend}: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    if (adapter === null) {
      tried.push(`${backend} (${featureLevel}): no adapter`);
      continue;
    }
    const info: AdapterInfo = Object.freeze({
      name: adapter.info.device || adapter.info.description,
      vendor: adapter.info.vendor,
      architecture: adapter.info.architecture,
      description: adapter.info.description,
      backendType: backend,
      featureLevel,
      isFallbackAdapter: adapter.info.isFallbackAdapter ?? false,
    });
    const dawn = instance;
    const uninstall = installNavigatorGpu({
      requestAdapter: async (o: Record<string, unknown> = {}) => withTimestamps(await dawn.requestAdapter({ featureLevel, ...o })),
      getPreferredCanvasFormat: () => 'rgba8unorm',
      wgslLanguageFeatures: new Set<string>(),
    });
    instance = null;
    const gpu = new gpujs.GPU({ mode: 'webgpu' });
    const runtime = new GpuRuntime(gpujs, gpu, opts.maxKernels ?? 256);
    const teardown = async (): Promise<void> => {
      await runtime.destroy();
      await gpujs.WebGPUContext.destroy();
      uninstall();
      if (active?.backend === backendObj) active = null;
    };
    const backendObj = new GpuBackend(runtime, info, teardown);
    try {
      const ctx = await gpujs.WebGPUContext.acquire();
      runtime.watchDevice(ctx.device);
      await backendObj.selfTest();
    } catch (e) {
      await teardown().catch(() => undefined);
      if (e instanceof CondgradError) throw e;
      throw new CondgradError('gpu', `no WebGPU adapter: ${backend} adapter '${info.name}' failed to start: ${(e as Error).message}`);
    }
    active = { backend: backendObj, opts: key };
    return backendObj;
  }
  throw new CondgradError('gpu', `no WebGPU adapter (tried ${tried.join('; ')}). On Linux without a GPU, install Mesa's GLES/EGL (Debian: libegl1 libgles2 libgl1-mesa-dri) for the opengles backend`);
}
