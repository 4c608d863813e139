// Backends for the bench: start each requested one, or say why it is unavailable (the factory's own error message).

import { cpuBackend } from '../../kernels/cpu/backend.js';
import type { AnyBackend, BackendName } from '../../core/backend.js';
import { createGpuBackend } from '../../kernels/gpu/device.js';
import { createWasmBackend } from '../../kernels/wasm/backend.js';
import type { BackendStatus } from './rows.js';

export const BENCH_BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'gpu'];

/** A backend the bench tried to start: the backend (null when unavailable), its status line, and how to shut it down. */
export interface Acquired {
  readonly status: BackendStatus;
  readonly backend: AnyBackend | null;
  close(): Promise<void>;
}

const unavailable = (name: string, reason: string): Acquired => ({ status: { name, available: false, reason }, backend: null, close: () => Promise.resolve() });

/** Whether a gpu adapter is a software rasterizer running on the CPU (Mesa llvmpipe/softpipe, SwiftShader, WARP). */
export function isSoftwareAdapter(info: { name?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter) return true;
  return /llvmpipe|softpipe|swiftshader|lavapipe|microsoft basic render|warp/i.test(`${info.name ?? ''} ${info.description ?? ''}`);
}

/**
 * Starts one backend. cpu always works; wasm starts `threads` threads (default: CONDGRAD_THREADS,
 * else the machine's available parallelism capped at 8); gpu needs a WebGPU adapter. A factory that throws makes the backend
 * unavailable with the factory's message as the reason.
 */
export async function acquireBackend(name: BackendName, opts: { threads?: number } = {}): Promise<Acquired> {
  try {
    switch (name) {
      case 'cpu':
        return { status: { name, available: true, info: { threads: 1, dtype: 'float32' } }, backend: cpuBackend, close: () => Promise.resolve() };
      case 'wasm': {
        const b = await createWasmBackend({ threads: opts.threads });
        return { status: { name, available: true, info: { threads: b.threads, dtype: 'float32' } }, backend: b, close: () => b.destroy() };
      }
      case 'gpu': {
        const b = await createGpuBackend();
        const info = { ...b.adapterInfo, software: isSoftwareAdapter(b.adapterInfo), dtype: 'float32' };
        return { status: { name, available: true, info }, backend: b, close: () => b.destroy() };
      }
      default:
        return unavailable(String(name), `unknown backend '${String(name)}' (known: ${BENCH_BACKENDS.join(', ')})`);
    }
  } catch (e) {
    return unavailable(name, (e as Error).message ?? String(e));
  }
}
