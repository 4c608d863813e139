// The WebGPU adapter in the browser: the page's (or worker's) own navigator.gpu, which gpu.js reaches as it is.

import { CondgradError } from '../../core/errors.js';
import type { AdapterInfo, GpuBackendOptions } from './adapter.js';

interface BrowserAdapter {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}

/** An adapter found: what it says about itself, and how to expose it to gpu.js. */
export interface FoundAdapter {
  readonly info: AdapterInfo;
  /** gpu.js calls navigator.gpu itself in a browser: nothing to install. */
  readonly install: () => () => void;
  /** Native objects the backend must keep alive while it lives. */
  readonly retain: readonly unknown[];
}

/** The options that make a gpu backend different from another (the Dawn choice has no meaning here). */
export function optionsKey(opts: GpuBackendOptions): string {
  return JSON.stringify(['browser', opts.featureLevel ?? null, opts.maxKernels ?? 256]);
}

/** The browser's default WebGPU adapter; a CondgradError ('gpu: no WebGPU adapter …') where there is none. */
export async function findAdapter(opts: GpuBackendOptions): Promise<FoundAdapter> {
  if (opts.backend !== undefined && opts.backend !== 'auto') {
    throw new CondgradError('gpu', `backend '${opts.backend}' names a Dawn backend, which only the Node build chooses; in a browser leave it out`);
  }
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(o?: object): Promise<BrowserAdapter | null> } } }).navigator?.gpu;
  if (gpu === undefined) throw new CondgradError('gpu', 'no WebGPU adapter: this browser has no navigator.gpu (WebGPU is unsupported or switched off)');
  let adapter: BrowserAdapter | null;
  try {
    adapter = await gpu.requestAdapter(opts.featureLevel === 'compatibility' ? { featureLevel: 'compatibility' } : {});
  } catch (e) {
    throw new CondgradError('gpu', `no WebGPU adapter: navigator.gpu.requestAdapter() failed: ${(e as Error).message}`);
  }
  if (adapter === null) throw new CondgradError('gpu', 'no WebGPU adapter: navigator.gpu.requestAdapter() returned none');
  const i = adapter.info ?? {};
  const info: AdapterInfo = Object.freeze({
    name: i.device || i.description || 'WebGPU adapter',
    vendor: i.vendor ?? '',
    architecture: i.architecture ?? '',
    description: i.description ?? '',
    backendType: 'browser',
    featureLevel: opts.featureLevel ?? 'core',
    isFallbackAdapter: i.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
  });
  return { info, install: () => () => undefined, retain: [adapter] };
}
