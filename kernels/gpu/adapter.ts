// What the gpu backend knows of its WebGPU adapter: the Dawn backend names, the backend's options and the adapter's self-description.

/** A Dawn backend name, as `create(['backend=…'])` spells it. */
export type DawnBackend = 'vulkan' | 'opengles' | 'opengl' | 'metal' | 'd3d12' | 'd3d11';

export interface GpuBackendOptions {
  /**
   * Which Dawn backend to use (Node only). 'auto' (the default, or env CONDGRAD_GPU_BACKEND) tries
   * the platform's native API first and, on Linux, falls back to OpenGL ES (which runs on Mesa
   * llvmpipe where no Vulkan device exists).
   */
  backend?: DawnBackend | 'auto';
  /** WebGPU feature level; default 'compatibility' for opengl/opengles, 'core' otherwise. */
  featureLevel?: 'core' | 'compatibility';
  /** Bound on the compiled-kernel cache (default 256). */
  maxKernels?: number;
}

/** What the adapter says about itself, plus the Dawn backend and feature level in use. */
export interface AdapterInfo {
  readonly name: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** The Dawn backend on Node; 'browser' for the browser's own WebGPU. */
  readonly backendType: DawnBackend | 'browser';
  readonly featureLevel: 'core' | 'compatibility';
  readonly isFallbackAdapter: boolean;
}
