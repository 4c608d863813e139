// The real-GPU check's adapter phase: what each Dawn backend offers, and starting the gpu backend on a hardware adapter where one exists.

import { createGpuBackend } from '../../kernels/gpu/device.js';
import { type DawnBackend } from '../../kernels/gpu/adapter.js';
import type { GpuBackend } from '../../kernels/gpu/backend.js';
import { isSoftwareAdapter } from '../report/backends.js';
import { errText, withTimeout } from './budget.js';
import type { AdapterProbe } from './format.js';

interface RawAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  limits: Record<string, unknown>;
}
interface WebGpuModule {
  create(flags: string[]): { requestAdapter(o?: Record<string, unknown>): Promise<RawAdapter | null> };
}

const LIMITS = [
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
];

const levelOf = (b: string): 'core' | 'compatibility' => (b === 'opengles' || b === 'opengl' ? 'compatibility' : 'core');

/**
 * Asks each Dawn backend for its default adapter, without starting gpu.js: name, vendor,
 * architecture, a few compute limits, and whether it is a software rasterizer.
 * @param backends Dawn backend names, e.g. ['vulkan', 'opengles']
 */
export async function probeAdapters(backends: readonly DawnBackend[], timeoutMs: number): Promise<AdapterProbe[]> {
  if (process.platform === 'linux') process.env.EGL_PLATFORM ??= 'surfaceless';
  const out: AdapterProbe[] = [];
  let webgpu: WebGpuModule;
  const t0 = performance.now();
  try {
    webgpu = (await import('webgpu')) as unknown as WebGpuModule;
  } catch (e) {
    return backends.map((backend) => ({
      backend,
      featureLevel: levelOf(backend),
      ok: false,
      error: `webgpu (dawn.node) failed to load: ${errText(e)}`,
      ms: performance.now() - t0,
    }));
  }
  for (const backend of backends) {
    const featureLevel = levelOf(backend);
    const t = performance.now();
    try {
      const inst = webgpu.create([`backend=${backend}`]);
      const a = await withTimeout(inst.requestAdapter({ featureLevel }), timeoutMs, `${backend} requestAdapter`);
      if (a === null) {
        out.push({ backend, featureLevel, ok: false, error: 'no adapter', ms: performance.now() - t });
        continue;
      }
      const info = {
        name: a.info.device || a.info.description,
        vendor: a.info.vendor,
        architecture: a.info.architecture,
        description: a.info.description,
        isFallbackAdapter: a.info.isFallbackAdapter ?? false,
      };
      const limits: Record<string, number> = {};
      for (const k of LIMITS) if (typeof a.limits[k] === 'number') limits[k] = a.limits[k];
      out.push({ backend, featureLevel, ok: true, ...info, software: isSoftwareAdapter(info), limits, ms: performance.now() - t });
    } catch (e) {
      out.push({ backend, featureLevel, ok: false, error: errText(e), ms: performance.now() - t });
    }
  }
  return out;
}

/** The started gpu backend (or null) and every attempt, in order. */
export interface GpuStart {
  gpu: GpuBackend | null;
  chosen: AdapterProbe | null;
  attempts: AdapterProbe[];
}

/**
 * Starts the gpu backend on each Dawn backend in turn and keeps the first hardware adapter; a
 * software one is kept only when no later backend gives hardware (it is destroyed and restarted
 * at the end, since one gpu backend lives at a time).
 */
export async function startGpu(order: readonly DawnBackend[], timeoutMs: number): Promise<GpuStart> {
  const attempts: AdapterProbe[] = [];
  let softwareFallback: DawnBackend | null = null;
  const tryOne = async (backend: DawnBackend): Promise<{ gpu: GpuBackend; probe: AdapterProbe } | null> => {
    const t = performance.now();
    try {
      const gpu = await withTimeout(createGpuBackend({ backend }), timeoutMs, `gpu backend start on ${backend}`);
      const a = gpu.adapterInfo;
      const probe: AdapterProbe = {
        backend,
        featureLevel: a.featureLevel,
        ok: true,
        name: a.name,
        vendor: a.vendor,
        architecture: a.architecture,
        description: a.description,
        isFallbackAdapter: a.isFallbackAdapter,
        software: isSoftwareAdapter(a),
        ms: performance.now() - t,
      };
      attempts.push(probe);
      return { gpu, probe };
    } catch (e) {
      attempts.push({ backend, featureLevel: levelOf(backend), ok: false, error: errText(e), ms: performance.now() - t });
      return null;
    }
  };
  for (const backend of order) {
    const got = await tryOne(backend);
    if (got === null) continue;
    if (!got.probe.software) return { gpu: got.gpu, chosen: got.probe, attempts };
    softwareFallback ??= backend;
    if (backend !== order[order.length - 1]) await withTimeout(got.gpu.destroy(), timeoutMs, 'gpu destroy').catch(() => undefined);
    else return { gpu: got.gpu, chosen: got.probe, attempts };
  }
  if (softwareFallback !== null) {
    const got = await tryOne(softwareFallback);
    if (got !== null) return { gpu: got.gpu, chosen: got.probe, attempts };
  }
  return { gpu: null, chosen: null, attempts };
}
