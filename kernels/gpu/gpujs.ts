// The slice of gpu.js (webgpu mode) and Dawn that the gpu backend uses, typed locally.

import { loadGpuPackage } from './packages.js';

/** A GPU-resident kernel result (gpu.js `WebGPUBufferResult`): a device buffer with a refcount. */
export interface BufferResult {
  readonly buffer: DeviceBuffer;
  readonly output: readonly number[];
  readonly componentCount: number;
  toArray(): Promise<Float32Array>;
  delete(): void;
}

export interface DeviceBuffer {
  _refs: number;
  readonly size: number;
  destroy(): void;
}

/** The WebGPUKernel instance behind a kernel function. */
export interface KernelInstance {
  readonly constructor: { readonly mode: string };
  outputBuffer: DeviceBuffer | null;
  bindGroupDirty: boolean;
  compiledSource: string | null;
  destroy(): void;
}

/** A gpu.js kernel function (the run shortcut). */
export interface KernelFunction {
  (...args: unknown[]): Promise<unknown>;
  readonly kernel: KernelInstance;
  setOutput(output: number[]): KernelFunction;
}

export interface KernelSettings {
  output: number[];
  pipeline: boolean;
  immutable: boolean;
  strictIntegers: boolean;
  dynamicOutput: boolean;
  dynamicArguments: boolean;
  tactic: 'speed' | 'balanced' | 'precision';
}

export interface GpuInstance {
  createKernel(source: string, settings: KernelSettings): KernelFunction;
  destroy(): unknown;
}

export interface GpuJsModule {
  GPU: new (settings: { mode: string }) => GpuInstance;
  WebGPUBufferResult: new (...args: never[]) => BufferResult;
  WebGPUContext: {
    acquire(): Promise<{ adapter: unknown; device: GpuDeviceLike; isLost: boolean }>;
    destroy(): Promise<void>;
  };
}

export interface GpuDeviceLike {
  onuncapturederror: ((e: { error: { message: string } }) => void) | null;
  readonly limits: { readonly maxStorageBuffersPerShaderStage: number };
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/** Loads gpu.js (CommonJS) lazily, so CPU-only users never load it; absent, a CondgradError names it. */
export async function loadGpuJs(): Promise<GpuJsModule> {
  const mod = await loadGpuPackage<{ default?: GpuJsModule } & GpuJsModule>('gpu.js', () => import('gpu.js'));
  return mod.default ?? mod;
}
