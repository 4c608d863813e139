// The gpu backend's kernel cache: gpu.js compiles each kernel source to a WGSL compute pipeline once; a bounded LRU keeps them.

import { CondgradError } from '../../core/errors.js';
import type { KernelSpec } from './codegen.js';
import { USAGE, type GpuDevice, type GpuInstance, type RawBuffer } from './gpujs.js';
import { compileWgsl } from './wgsl.js';

/** Workgroup size gpu.js gives every 1-d kernel. */
const WORKGROUP = 64;
/** Uniform-parameter buffers kept per kernel (one per distinct set of sizes). */
const UNIFORMS_PER_KERNEL = 32;

/** A compiled kernel: gpu.js's (or a hand-written WGSL shader's) pipeline and bind-group layout, dispatched by the launch queue. */
export interface Compiled {
  readonly key: string;
  /** The mode it runs in ('webgpu': gpu.js's kernel mode, or a WGSL shader on the same device). */
  readonly mode: string;
  readonly destroy: () => void;
  readonly pipeline: unknown;
  readonly layout: unknown;
  /** Storage-buffer arguments the shader binds before its output (inputs, then the host parameters). */
  readonly arrayArgs: number;
  /** Bytes of the shader's uniform `Params` struct. */
  readonly paramsBytes: number;
  /** Uniform buffers by the sizes they describe, oldest first. */
  readonly uniforms: Map<string, RawBuffer>;
  /** Set once a dispatch of it has passed a validation error scope. */
  checked: boolean;
}

/** Workgroup counts for `n` threads (`workgroup` per group: gpu.js's 64 unless a WGSL kernel says), folding into y past the per-dimension limit; and the row width the shader uses. */
export function dispatchShape(n: number, maxGroups: number, workgroup = WORKGROUP): { x: number; y: number; width: number } {
  let x = Math.ceil(n / workgroup);
  let y = 1;
  if (x > maxGroups) {
    y = Math.ceil(x / maxGroups);
    x = Math.ceil(x / y);
  }
  return { x, y, width: x * workgroup };
}

/** Compiles gpu.js kernels on demand and keeps the `max` most recently used. */
export class KernelCache {
  private readonly cache = new Map<string, Compiled>();
  /** Kernels compiled so far (cache misses). */
  compiled = 0;

  constructor(
    private readonly gpu: GpuInstance,
    private readonly max: number,
    /** Frees a buffer once the work recorded so far no longer needs it. */
    private readonly freeLater: (b: RawBuffer) => void,
    /** The device gpu.js runs on, for the hand-written WGSL kernels. */
    private readonly device: () => Promise<GpuDevice>,
  ) {}

  /** The cached kernel, most recently used now; null on a miss. */
  hit(key: string): Compiled | null {
    const c = this.cache.get(key);
    if (c === undefined) return null;
    this.cache.delete(key);
    this.cache.set(key, c);
    return c;
  }

  /**
   * Compiles `spec` through gpu.js (JS source → WGSL → pipeline) and caches it. `args` stand in for the
   * run-time arguments (gpu.js types its parameters from them). Refuses anything but a webgpu kernel.
   */
  async compile(spec: KernelSpec, args: readonly unknown[]): Promise<Compiled> {
    if (spec.wgsl !== undefined) return this.add(await this.compileWgsl(spec, spec.wgsl));
    const fn = this.gpu.createKernel(spec.source, {
      output: [Math.max(1, spec.outSize / (spec.components ?? 1))],
      pipeline: true,
      immutable: true,
      strictIntegers: true,
      dynamicOutput: spec.dynamic,
      dynamicArguments: true,
      tactic: 'precision',
    });
    this.compiled++;
    const k = fn.kernel;
    const mode = k?.constructor?.mode;
    if (mode !== 'webgpu' || typeof k.build !== 'function') {
      k?.destroy?.();
      throw new CondgradError(
        `gpu.${spec.name}`,
        `the kernel compiled in mode '${String(mode)}', not to a webgpu compute pipeline; refusing a silent fallback`,
      );
    }
    try {
      await k.build(...args);
    } catch (e) {
      k.destroy();
      throw new CondgradError(`gpu.${spec.name}`, `kernel failed: ${(e as Error).message}`);
    }
    const src = k.compiledSource;
    const layout = k.paramsLayout;
    let why: string | null = null;
    if (src && /\bLOOP_MAX\b/.test(src)) why = 'gpu.js emitted a LOOP_MAX-bounded loop; every loop bound must be a literal';
    else if (!k.computePipeline || !layout) why = 'gpu.js built no compute pipeline';
    else if (layout.scalarArgs.length > 0 || layout.bufferConstants.length > 0 || layout.randomSeedOffset !== null || k.output.length !== 1) {
      why = 'the kernel has scalar arguments, constants, randomness or a multi-dimensional output, which the launch queue does not bind';
    } else if (k.componentCount !== (spec.components ?? 1)) why = `the kernel returns ${k.componentCount} values per invocation, not ${spec.components ?? 1}`;
    if (why !== null) {
      k.destroy();
      throw new CondgradError(`gpu.${spec.name}`, why);
    }
    // The queue allocates every output; the buffer gpu.js made at build is not needed.
    if (k.outputBuffer) {
      if (--k.outputBuffer._refs === 0) k.outputBuffer.destroy();
      k.outputBuffer = null;
    }
    return this.add({
      key: spec.key,
      mode,
      destroy: () => k.destroy(),
      pipeline: k.computePipeline,
      layout: k.bindGroupLayout,
      arrayArgs: layout!.arrayArgs.length,
      paramsBytes: layout!.byteLength,
      uniforms: new Map(),
      checked: false,
    });
  }

  /** A hand-written WGSL kernel: compiled on gpu.js's device, with gpu.js's Params uniform and bindings (wgsl.ts). */
  private async compileWgsl(spec: KernelSpec, code: string): Promise<Compiled> {
    this.compiled++;
    const { pipeline, layout } = await compileWgsl(await this.device(), spec.name, code);
    const inputs = (code.match(/var<storage, read> /g) ?? []).length;
    const noop = (): void => undefined;
    return {
      key: spec.key,
      mode: 'webgpu',
      destroy: noop,
      pipeline,
      layout,
      arrayArgs: inputs,
      paramsBytes: 16 * (1 + inputs),
      uniforms: new Map(),
      checked: false,
    };
  }

  private add(c: Compiled): Compiled {
    this.cache.set(c.key, c);
    while (this.cache.size > this.max) this.evict(this.cache.keys().next().value as string);
    return c;
  }

  /**
   * The uniform buffer describing one launch's sizes (output, dispatch width, one row per array
   * argument), made once and then reused: its content depends only on the sizes.
   */
  uniform(device: GpuDevice, c: Compiled, outSize: number, argSizes: readonly number[], width: number): RawBuffer {
    const key = `${outSize}|${width}|${argSizes.join(',')}`;
    const hit = c.uniforms.get(key);
    if (hit !== undefined) return hit;
    const u32 = new Uint32Array(c.paramsBytes / 4);
    u32.set([outSize, 1, 1, width]);
    argSizes.forEach((n, i) => u32.set([n, 1, 1, n], 4 + 4 * i));
    const b = device.createBuffer({ size: c.paramsBytes, usage: USAGE.UNIFORM | USAGE.COPY_DST, mappedAtCreation: true });
    new Uint32Array(b.getMappedRange()).set(u32);
    b.unmap();
    c.uniforms.set(key, b);
    if (c.uniforms.size > UNIFORMS_PER_KERNEL) {
      const [oldKey, old] = c.uniforms.entries().next().value as [string, RawBuffer];
      c.uniforms.delete(oldKey);
      this.freeLater(old);
    }
    return b;
  }

  evict(key: string): void {
    const c = this.cache.get(key);
    if (!c) return;
    this.cache.delete(key);
    for (const b of c.uniforms.values()) this.freeLater(b);
    c.uniforms.clear();
    c.destroy();
  }

  get size(): number {
    return this.cache.size;
  }

  /** The distinct modes the cached kernels compiled in (gpu.js's kernel.constructor.mode). */
  modes(): string[] {
    return [...new Set([...this.cache.values()].map((c) => c.mode))];
  }

  clear(): void {
    for (const key of [...this.cache.keys()]) this.evict(key);
  }
}
