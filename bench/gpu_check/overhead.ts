// The per-op overhead measurement: a chain of tiny adds through the gpu backend against raw Dawn dispatches of the same WGSL, interleaved (bench/gpu_overhead.ts, and the real-GPU check).

import { binaryGeometry } from '../../kernels/geometry/broadcast.js';
import type { GpuBackend } from '../../kernels/gpu/backend.js';
import { binarySpec } from '../../kernels/gpu/elementwise.js';
import { loadGpuJs, MAP_READ, USAGE, type GpuDevice, type RawBuffer } from '../../kernels/gpu/gpujs.js';

const N = 16;

/** The Dawn device calls the raw path makes besides the launch queue's. */
interface Dev extends GpuDevice {
  createShaderModule(desc: { code: string }): unknown;
  createBindGroupLayout(desc: { entries: Record<string, unknown>[] }): unknown;
  createPipelineLayout(desc: { bindGroupLayouts: unknown[] }): unknown;
  createComputePipeline(desc: { layout: unknown; compute: { module: unknown; entryPoint: string } }): unknown;
  readonly queue: { submit(cmds: unknown[]): void; writeBuffer(b: RawBuffer, offset: number, data: ArrayBufferView): void };
}
const COMPUTE = 0x4;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function readRaw(device: Dev, buf: RawBuffer): Promise<Float32Array> {
  const staging = device.createBuffer({ size: N * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, N * 4);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

/** Microseconds per op of each chain (medians over reps), and condgrad minus each raw chain (medians of per-rep differences). */
export interface OverheadResult {
  ops: number;
  reps: number;
  usPerOp: { condgrad: number; raw: number; rawOneSubmit: number };
  minus: { raw: number; rawOneSubmit: number };
  all: { condgrad: number[]; raw: number[]; rawOne: number[] };
}

/**
 * `ops` chained `y = y + x` on 16 float32, one read at the end, `reps` times interleaved: through the
 * gpu backend (binary + dispose), and as raw Dawn dispatches of the WGSL gpu.js generates for that
 * kernel (a fresh output buffer and bind group per op; one submit per op, or all ops in one submit).
 */
export async function measureOverhead(gpu: GpuBackend, OPS: number, REPS: number): Promise<OverheadResult> {
  const g = binaryGeometry('add', [N], [N]);
  const ones = new Float32Array(N).fill(1);

  // The WGSL of condgrad's add kernel, as gpu.js generates it, compiled once more for the raw path.
  const gj = await loadGpuJs();
  const spec = binarySpec('add', g);
  const probe = new gj.GPU({ mode: 'webgpu' });
  const k = probe.createKernel(spec.source, {
    output: [N],
    pipeline: true,
    immutable: true,
    strictIntegers: true,
    dynamicOutput: true,
    dynamicArguments: true,
    tactic: 'precision',
  });
  const a0 = gpu.fromArray(ones);
  ((await k(ones, ones)) as { delete(): void }).delete();
  const wgsl = k.kernel.compiledSource!;
  const device = (await gj.WebGPUContext.acquire()).device as Dev;
  const module = device.createShaderModule({ code: wgsl });
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform' } },
      { binding: 1, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
      { binding: 2, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
      { binding: 3, visibility: COMPUTE, buffer: { type: 'storage' } },
    ],
  });
  const pipeline = device.createComputePipeline({
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: 'main' },
  });
  const params = device.createBuffer({ size: 48, usage: USAGE.UNIFORM | USAGE.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([N, 1, 1, 64, N, 1, 1, N, N, 1, 1, N]));
  const newBuf = (): RawBuffer => device.createBuffer({ size: N * 4, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
  const xr = newBuf();
  device.queue.writeBuffer(xr, 0, ones);

  const condgrad = async (): Promise<[number, number]> => {
    const t = performance.now();
    let y = gpu.zeros('float32', N);
    for (let i = 0; i < OPS; i++) {
      const next = gpu.binary(y, a0, 'add', g);
      gpu.dispose(y);
      y = next;
    }
    const v = (await gpu.read(y))[0];
    gpu.dispose(y);
    return [(performance.now() - t) / OPS, v];
  };
  const raw = async (oneSubmit: boolean): Promise<[number, number]> => {
    const t = performance.now();
    let y = newBuf();
    device.queue.writeBuffer(y, 0, new Float32Array(N));
    const enc0 = oneSubmit ? device.createCommandEncoder() : null;
    const pass0 = enc0?.beginComputePass();
    const dead: RawBuffer[] = [];
    for (let i = 0; i < OPS; i++) {
      const out = newBuf();
      const bg = device.createBindGroup({
        layout,
        entries: [
          { binding: 0, resource: { buffer: params } },
          { binding: 1, resource: { buffer: y } },
          { binding: 2, resource: { buffer: xr } },
          { binding: 3, resource: { buffer: out } },
        ],
      });
      if (pass0) {
        pass0.setPipeline(pipeline);
        pass0.setBindGroup(0, bg);
        pass0.dispatchWorkgroups(1);
        dead.push(y);
      } else {
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bg);
        pass.dispatchWorkgroups(1);
        pass.end();
        device.queue.submit([enc.finish()]);
        y.destroy();
      }
      y = out;
    }
    if (pass0) {
      pass0.end();
      device.queue.submit([enc0!.finish()]);
      for (const d of dead) d.destroy();
    }
    const v = (await readRaw(device, y))[0];
    y.destroy();
    return [(performance.now() - t) / OPS, v];
  };

  const runs = { condgrad: [] as number[], raw: [] as number[], rawOne: [] as number[] };
  await condgrad();
  await raw(false);
  await raw(true);
  for (let r = 0; r < REPS; r++) {
    for (const [name, f] of [
      ['condgrad', condgrad],
      ['raw', () => raw(false)],
      ['rawOne', () => raw(true)],
    ] as const) {
      const [us, v] = await f();
      if (v !== OPS) throw new Error(`${name} chain computed ${v}, expected ${OPS}`);
      runs[name].push(us * 1000);
    }
  }
  // Differences within each rep (the three chains ran back to back), so slow drift of a busy machine cancels.
  const dRaw = median(runs.condgrad.map((v, i) => v - runs.raw[i]));
  const dOne = median(runs.condgrad.map((v, i) => v - runs.rawOne[i]));
  gpu.dispose(a0);
  xr.destroy();
  params.destroy();
  k.kernel.destroy();
  probe.destroy();
  return {
    ops: OPS,
    reps: REPS,
    usPerOp: { condgrad: median(runs.condgrad), raw: median(runs.raw), rawOneSubmit: median(runs.rawOne) },
    minus: { raw: dRaw, rawOneSubmit: dOne },
    all: runs,
  };
}
