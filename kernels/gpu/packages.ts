// The gpu backend's optional npm packages (gpu.js and webgpu): loaded lazily, and one named error when one is missing.

import { CondgradError } from '../../core/errors.js';

/**
 * The packages the gpu backend loads and the versions it is built and tested against: optional
 * peer dependencies of condgrad (package.json; a test keeps the two in step), so a plain install
 * brings neither and cpu/wasm users never download Dawn.
 */
export const GPU_PACKAGES = { 'gpu.js': '2.24.1', webgpu: '0.6.2' } as const;

export type GpuPackage = keyof typeof GPU_PACKAGES;

const ROLE: Record<GpuPackage, string> = { 'gpu.js': 'the kernel compiler', webgpu: "Dawn's WebGPU for Node" };

/** Whether `e` says that `pkg` itself (not something it imports) could not be found. */
function isMissing(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string };
  return (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && (err.message ?? '').includes(`'${pkg}'`);
}

/** The CondgradError for a gpu package that is absent or failed to load. */
export function missingGpuPackage(pkg: GpuPackage, e: unknown): CondgradError {
  const install = Object.entries(GPU_PACKAGES)
    .map(([n, v]) => `${n}@${v}`)
    .join(' ');
  const first = ((e as Error)?.message ?? String(e)).split('\n')[0];
  const what = isMissing(e, pkg) ? 'is not installed' : `failed to load (${first})`;
  return new CondgradError(
    'gpu',
    `the gpu backend needs the optional package '${pkg}' (${ROLE[pkg]}), which ${what}. ` +
      `Install both gpu packages (npm install ${install}; they are optional peer dependencies of condgrad), or use the cpu or wasm backend`,
  );
}

/**
 * Imports one of the gpu packages (a dynamic import, so cpu and wasm users never load them).
 * `importer` does the import (tests pass a failing one); a failure becomes missingGpuPackage.
 */
export async function loadGpuPackage<T>(pkg: GpuPackage, importer: () => Promise<unknown>): Promise<T> {
  try {
    return (await importer()) as T;
  } catch (e) {
    throw missingGpuPackage(pkg, e);
  }
}
