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

/** A WebGPU buffer as the launch queue uses it. */
export interface RawBuffer {
  readonly size: number;
  destroy(): void;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
}

/** GPUBufferUsage / GPUMapMode values (fixed by the WebGPU spec). */
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
export const MAP_READ = 0x1;

/** gpu.js's record of a kernel's parameter struct. */
export interface ParamsLayout {
  readonly arrayArgs: readonly unknown[];
  readonly scalarArgs: readonly unknown[];
  readonly bufferConstants: readonly unknown[];
  readonly randomSeedOffset: number | null;
  readonly byteLength: number;
}

/** The WebGPUKernel instance behind a kernel function. */
export interface KernelInstance {
  readonly constructor: { readonly mode: string };
  outputBuffer: DeviceBuffer | null;
  bindGroupDirty: boolean;
  compiledSource: string | null;
  readonly output: readonly number[];
  /** Values each invocation writes (Array(n) returns). */
  readonly componentCount: number;
  readonly paramsLayout: ParamsLayout | null;
  readonly computePipeline: unknown;
  readonly bindGroupLayout: unknown;
  /** Translates the source and builds the pipeline; argument types come from `args`. */
  build(...args: unknown[]): Promise<void>;
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
    acquire(): Promise<{ adapter: unknown; device: GpuDevice; isLost: boolean }>;
    destroy(): Promise<void>;
  };
}

export interface GpuDeviceLike {
  onuncapturederror: ((e: { error: { message: string } }) => void) | null;
  readonly limits: { readonly maxStorageBuffersPerShaderStage: number; readonly maxComputeWorkgroupsPerDimension: number };
  readonly features: { has(name: string): boolean };
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

export interface ComputePass {
  setPipeline(p: unknown): void;
  setBindGroup(i: number, g: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface CommandEncoder {
  beginComputePass(desc?: Record<string, unknown>): ComputePass;
  copyBufferToBuffer(src: RawBuffer, srcOffset: number, dst: RawBuffer, dstOffset: number, size: number): void;
  resolveQuerySet(set: unknown, first: number, count: number, dst: RawBuffer, offset: number): void;
  finish(): unknown;
}

/** The device calls the launch queue makes. */
export interface GpuDevice extends GpuDeviceLike {
  createBuffer(desc: { size: number; usage: number; mappedAtCreation?: boolean }): RawBuffer;
  createBindGroup(desc: { layout: unknown; entries: { binding: number; resource: { buffer: RawBuffer } }[] }): unknown;
  createCommandEncoder(): CommandEncoder;
  createQuerySet(desc: { type: 'timestamp'; count: number }): { destroy(): void };
  readonly queue: { submit(cmds: unknown[]): void };
}

/** Loads gpu.js (CommonJS) lazily, so CPU-only users never load it; absent, a CondgradError names it. */
export async function loadGpuJs(): Promise<GpuJsModule> {
  const mod = await loadGpuPackage<{ default?: GpuJsModule } & GpuJsModule>('gpu.js', () => import('gpu.js'));
  return mod.default ?? mod;
}
