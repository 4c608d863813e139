// The WebGPU adapter on Node: Dawn through the `webgpu` package, with a navigator.gpu installed for gpu.js (the browser build swaps in find_adapter.browser.ts).

import { CondgradError } from '../../core/errors.js';
import type { AdapterInfo, DawnBackend, GpuBackendOptions } from './adapter.js';
import { loadGpuPackage } from './packages.js';

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
    get info() {
      return a.info;
    },
    get features() {
      return a.features;
    },
    get limits() {
      return a.limits;
    },
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

/** An adapter found: what it says about itself, and how to expose it to gpu.js. */
export interface FoundAdapter {
  readonly info: AdapterInfo;
  /** Makes gpu.js's parameterless navigator.gpu.requestAdapter() reach this adapter; returns the undo. */
  readonly install: () => () => void;
  /** Native objects the backend must keep alive while it lives (Dawn's instance and first adapter). */
  readonly retain: readonly unknown[];
}

/** The options that make a gpu backend different from another (the live-backend check compares these). */
export function optionsKey(opts: GpuBackendOptions): string {
  return JSON.stringify([opts.backend ?? process.env.CONDGRAD_GPU_BACKEND ?? 'auto', opts.featureLevel ?? null, opts.maxKernels ?? 256]);
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
    return () => {
      delete (globalThis as { navigator?: object }).navigator;
    };
  }
  Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  const nav = g.navigator;
  return () => {
    delete (nav as { gpu?: object }).gpu;
  };
}

/**
 * The first Dawn backend of the candidates (the option, env CONDGRAD_GPU_BACKEND, or the
 * platform's order) that gives an adapter. Throws a CondgradError ('gpu: no WebGPU adapter …').
 */
export async function findAdapter(opts: GpuBackendOptions): Promise<FoundAdapter> {
  // Dawn's GLES backend needs a display; headless Linux has none, so ask EGL for a surfaceless one.
  if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
  // A missing or broken 'webgpu' package is pkg's named error (packages.ts), not a bare import failure.
  const webgpu = await loadGpuPackage<WebGpuModule>('webgpu', () => import('webgpu'));
  for (const [k, v] of Object.entries(webgpu.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const tried: string[] = [];
  for (const backend of candidates(opts.backend)) {
    const featureLevel = levelFor(backend, opts.featureLevel);
    let instance: DawnInstance;
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
    return {
      info,
      retain: [dawn, adapter],
      install: () =>
        installNavigatorGpu({
          requestAdapter: async (o: Record<string, unknown> = {}) => withTimestamps(await dawn.requestAdapter({ featureLevel, ...o })),
          getPreferredCanvasFormat: () => 'rgba8unorm',
          wgslLanguageFeatures: new Set<string>(),
        }),
    };
  }
  throw new CondgradError(
    'gpu',
    `no WebGPU adapter (tried ${tried.join('; ')}). On Linux without a GPU, install Mesa's GLES/EGL (Debian: libegl1 libgles2 libgl1-mesa-dri) for the opengles backend`,
  );
}
