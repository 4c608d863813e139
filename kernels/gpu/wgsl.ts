// Hand-written WGSL kernels beside gpu.js's: the shader frame (the same Params uniform and bindings gpu.js emits) and their compilation on gpu.js's device.

import { CondgradError } from '../../core/errors.js';
import type { KernelSpec } from './codegen.js';
import type { GpuDevice } from './gpujs.js';

/**
 * Invocations per workgroup: 64 (gpu.js's), or 16 for a dispatch under 8 workgroups of 64, so a
 * small one still spreads over several cores (measured on llvmpipe, 2 threads: the N2 C8 16×16 O16
 * filter gradient, 24 invocations, ran 2.63 GFLOP/s in groups of 16 against 2.26 in one group of 64).
 */
export function wgslWorkgroup(threads: number): number {
  return threads < 8 * 64 ? 16 : 64;
}

/**
 * A WGSL compute shader with gpu.js's binding layout: binding 0 the Params uniform (output
 * invocations, dispatch width, one vec4 per input), then the read-only inputs in order, then the
 * output `y`. `body` runs for each invocation index `i` (a u32) below `params.outputX`.
 */
export function wgslShader(inputs: readonly string[], body: string, workgroup = 64): string {
  const dims = inputs.map((n) => `  ${n}_dims : vec4<u32>,`).join('\n');
  const binds = inputs.map((n, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${n} : array<f32>;`).join('\n');
  return `struct Params {
  outputX : u32,
  outputY : u32,
  outputZ : u32,
  dispatchWidth : u32,
${dims}
}
@group(0) @binding(0) var<uniform> params : Params;
${binds}
@group(0) @binding(${inputs.length + 1}) var<storage, read_write> y : array<f32>;
@compute @workgroup_size(${workgroup}, 1, 1)
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let i : u32 = gid.x + gid.y * params.dispatchWidth;
  if (i >= params.outputX) { return; }
${body}
}
`;
}

/**
 * Row-major i32 coordinates of the u32 index `idx` over `dims` as WGSL `let` lines (exact u32
 * division by constants); size-1 dims give `0`. Returns the lines and the coordinate expressions.
 */
export function wgslUnravel(idx: string, names: readonly string[], dims: readonly number[]): { lines: string[]; coords: string[] } {
  const lines: string[] = [];
  const coords = names.map(() => '0');
  let rest = idx;
  for (let d = dims.length - 1; d >= 0; d--) {
    if (dims[d] === 1) continue;
    if (d === 0) {
      lines.push(`let ${names[d]} : i32 = i32(${rest});`);
    } else {
      lines.push(`let ${names[d]} : i32 = i32(${rest} % ${dims[d]}u);`);
      lines.push(`let ${names[d]}_q : u32 = ${rest} / ${dims[d]}u;`);
      rest = `${names[d]}_q`;
    }
    coords[d] = names[d];
  }
  return { lines, coords };
}

/** `c + Σ coef·term` as an i32 WGSL expression; terms are i32 expressions. */
export function wgslAffine(c: number, terms: readonly (readonly [string, number])[]): string {
  const parts = terms.filter(([v, k]) => k !== 0 && v !== '0').map(([v, k]) => (k === 1 ? v : `${v} * ${k}`));
  if (c !== 0 || parts.length === 0) parts.push(String(c));
  return `(${parts.join(' + ')})`.replace(/\+ -/g, '- ');
}

/** A compiled hand-written kernel: its pipeline and bind-group layout. */
export interface WgslPipeline {
  readonly pipeline: unknown;
  readonly layout: unknown;
}

interface ShaderDevice extends GpuDevice {
  createShaderModule(desc: { code: string }): { getCompilationInfo?(): Promise<{ messages: readonly { type: string; message: string }[] }> };
  createComputePipelineAsync(desc: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): Promise<{ getBindGroupLayout(i: number): unknown }>;
}

/** Compiles `code` into a compute pipeline on `device`; a shader error is a CondgradError naming `kernel`. */
export async function compileWgsl(device: GpuDevice, kernel: string, code: string): Promise<WgslPipeline> {
  const dev = device as ShaderDevice;
  dev.pushErrorScope('validation');
  let pipeline: { getBindGroupLayout(i: number): unknown } | null = null;
  let thrown: string | null = null;
  try {
    const module = dev.createShaderModule({ code });
    const info = await module.getCompilationInfo?.();
    const errors = info?.messages.filter((m) => m.type === 'error') ?? [];
    if (errors.length > 0) thrown = errors.map((m) => m.message).join('; ');
    else pipeline = await dev.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  } catch (e) {
    thrown = (e as Error).message;
  }
  const err = await dev.popErrorScope();
  const why = thrown ?? err?.message ?? null;
  if (why !== null || pipeline === null) throw new CondgradError(`gpu.${kernel}`, `kernel failed: the WGSL shader did not compile: ${why ?? 'no pipeline'}`);
  return { pipeline, layout: pipeline.getBindGroupLayout(0) };
}

/** Specs kept by key, so a repeated launch does not rebuild its shader source. */
const SPECS = 512;
const specs = new Map<string, KernelSpec>();

/** The spec for `key`, built by `make` on a miss; the SPECS most recently used are kept. */
export function memoSpec(key: string, make: () => KernelSpec): KernelSpec {
  const hit = specs.get(key);
  if (hit !== undefined) {
    specs.delete(key);
    specs.set(key, hit);
    return hit;
  }
  const s = make();
  specs.set(key, s);
  if (specs.size > SPECS) specs.delete(specs.keys().next().value as string);
  return s;
}

/** The spec of a WGSL kernel of `threads` invocations over `inputs` writing `outSize` floats. */
export function wgslSpec(name: string, key: string, inputs: readonly string[], body: readonly string[], outSize: number, threads: number): KernelSpec {
  const workgroup = wgslWorkgroup(threads);
  return { name, key, source: '', wgsl: wgslShader(inputs, body.join('\n'), workgroup), outSize, threads, workgroup, dynamic: false };
}
