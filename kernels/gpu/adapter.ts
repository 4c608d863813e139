// What the gpu backend knows of its WebGPU adapter: the Dawn backend names and the adapter's self-description.

/** A Dawn backend name, as `create(['backend=…'])` spells it. */
export type DawnBackend = 'vulkan' | 'opengles' | 'opengl' | 'metal' | 'd3d12' | 'd3d11';

/** What the adapter says about itself, plus the Dawn backend and feature level in use. */
export interface AdapterInfo {
  readonly name: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly backendType: DawnBackend;
  readonly featureLevel: 'core' | 'compatibility';
  readonly isFallbackAdapter: boolean;
}
