// Bench: throughput (GFLOP/s) of float32 conv2d (forward, backward-input, backward-filter) and matmul on the gpu backend, beside the cpu reference; prints markdown.
// Run: npx tsx bench/gpu_kernels.ts [--quick] [--calls 4]
// Each rep queues `calls` launches and synchronises once (one read of the last output), so the figure is the
// device's work, not round trips; the read-back latency of an idle device is reported apart. Compiles are warmed
// up first; gpu and cpu reps are interleaved and the median is kept. Per-kernel GPU time from timestamp queries
// is reported where the adapter offers 'timestamp-query' (llvmpipe does not). On llvmpipe (Mesa's CPU
// rasteriser) the gpu figures are CPU figures, not GPU figures.

import type { AnyBackend, Storage } from '../core/backend.js';
import { cpuBackend } from '../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dGeometry } from '../kernels/geometry/conv.js';
import { matmulGeometry } from '../kernels/geometry/matmul.js';
import { createGpuBackend } from '../kernels/gpu/device.js';
import { mulberry32, randArray } from '../test/helpers/rng.js';
import { CONV_PHASES, convPhaseCall, type ConvPhase } from './report/conv_phase.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 5;
const callsAt = process.argv.indexOf('--calls');
const CALLS = callsAt > 0 ? Number(process.argv[callsAt + 1]) : 4;

interface Shape {
  name: string;
  x: [number, number, number, number];
  outC: number;
  k: number;
  depthwise?: boolean;
  perSample?: boolean;
  stride?: number;
}

// Small shapes: on a software adapter (llvmpipe) anything larger takes seconds per call.
const SHAPES: Shape[] = [
  { name: 'N2 C8 16×16 O16 k3', x: [2, 8, 16, 16], outC: 16, k: 3 },
  { name: 'N8 C16 32×32 O32 k3', x: [8, 16, 32, 32], outC: 32, k: 3 },
  { name: 'N4 C32 16×16 O64 k3', x: [4, 32, 16, 16], outC: 64, k: 3 },
  { name: 'N4 C32 16×16 O64 k3 per-sample W', x: [4, 32, 16, 16], outC: 64, k: 3, perSample: true },
  { name: 'depthwise N8 C32 16×16 k3', x: [8, 32, 16, 16], outC: 32, k: 3, depthwise: true },
  { name: 'N8 C32 32×32 O64 k3 stride 2', x: [8, 32, 32, 32], outC: 64, k: 3, stride: 2 },
];

function geometry(s: Shape): Conv2dGeometry {
  const w = [s.outC, s.depthwise ? 1 : s.x[1], s.k, s.k];
  return conv2dGeometry(
    'conv2d',
    s.x,
    s.perSample ? [s.x[0], ...w] : w,
    { padding: 'same', stride: s.stride ?? 1, groups: s.depthwise ? s.x[1] : 1 },
    s.perSample ?? false,
  );
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Milliseconds per call of `calls` queued calls and one synchronising read of the last output. */
async function burstMs(be: AnyBackend, run: () => Storage): Promise<number> {
  const t = performance.now();
  const outs: Storage[] = [];
  for (let c = 0; c < CALLS; c++) outs.push(run());
  await be.read(outs[outs.length - 1]);
  const ms = (performance.now() - t) / CALLS;
  for (const s of outs) be.dispose(s);
  return ms;
}

/** Median ms per call on each backend, reps interleaved, after one warm-up burst each (which compiles). */
async function timeMs(bes: readonly AnyBackend[], runs: readonly (() => Storage)[]): Promise<number[]> {
  const ts: number[][] = bes.map(() => []);
  for (let i = 0; i < bes.length; i++) await burstMs(bes[i], runs[i]);
  for (let r = 0; r < REPS; r++) for (let i = 0; i < bes.length; i++) ts[i].push(await burstMs(bes[i], runs[i]));
  return ts.map(median);
}

/** GFLOP/s of `op` on each backend, measured interleaved. */
async function gflops(bes: readonly AnyBackend[], g: Conv2dGeometry, op: ConvPhase): Promise<number[]> {
  const calls = bes.map((be) => convPhaseCall(be, g, op, 7));
  const ms = await timeMs(
    bes,
    calls.map((c) => c.call),
  );
  calls.forEach((c) => c.free());
  return ms.map((m) => (2 * g.macs) / m / 1e6);
}

/** Median ms of reading `size` floats back from an idle device (the storage was computed and flushed first). */
async function readBackMs(gpu: AnyBackend, size: number): Promise<number> {
  const s = gpu.fromArray(new Float32Array(size));
  await gpu.read(s);
  const ts: number[] = [];
  for (let r = 0; r < REPS + 2; r++) {
    const t = performance.now();
    await gpu.read(s);
    ts.push(performance.now() - t);
  }
  gpu.dispose(s);
  return median(ts);
}

const f2 = (v: number): string => v.toFixed(2);

async function main(): Promise<void> {
  const gpu = await createGpuBackend();
  const a = gpu.adapterInfo;
  const soft = /llvmpipe|swiftshader|softpipe/i.test(`${a.name} ${a.description}`);
  console.log(
    `# gpu kernels, float32, GFLOP/s: ${CALLS} calls queued per synchronisation, median of ${REPS} interleaved reps, 'same' padding, stride 1 unless named`,
  );
  console.log(
    `adapter: ${a.name} (${a.description}), dawn backend ${a.backendType}, ${a.featureLevel}${soft ? ': a CPU rasteriser, so the gpu columns are CPU figures, not GPU figures' : ''}`,
  );
  console.log(
    `timestamp queries: ${gpu.timestampQueries ? 'offered by the adapter' : "not offered by this adapter (no 'timestamp-query' feature): no per-kernel device time"}\n`,
  );
  const bes: AnyBackend[] = [cpuBackend, gpu];
  console.log('| shape | cpu forward | gpu forward | cpu backward-input | gpu backward-input | cpu backward-filter | gpu backward-filter |');
  console.log('|---|---|---|---|---|---|---|');
  for (const s of SHAPES) {
    const g = geometry(s);
    const cells: number[] = [];
    for (const op of CONV_PHASES) cells.push(...(await gflops(bes, g, op)));
    console.log(`| ${s.name} | ${cells.map(f2).join(' | ')} |`);
  }
  console.log('\n| matmul | cpu | gpu |\n|---|---|---|');
  // Square products, then the mixing matmul of mixExperts (B8, K8 experts, |W| = 64·64·3·3) and its routing gradient (dW·Eᵀ).
  const mms: [string, number, number, number, boolean][] = (quick ? [128] : [128, 256]).map((n) => [`${n}×${n}×${n}`, n, n, n, false]);
  mms.push(['mixExperts [8,8]×[8,36864]', 8, 8, 36864, false], ['routing gradient [8,36864]×[8,36864]ᵀ', 8, 36864, 8, true]);
  for (const [name, M, K, N, transB] of mms) {
    const mg = matmulGeometry('matmul', 1, 1, [M, K], transB ? [N, K] : [K, N], false, transB);
    const ins = bes.map((be) => {
      const rng = mulberry32(3);
      return [be.fromArray(randArray(rng, M * K, 'float32')), be.fromArray(randArray(rng, K * N, 'float32'))];
    });
    const ms = await timeMs(
      bes,
      bes.map((be, i) => () => be.matmul(ins[i][0], ins[i][1], mg)),
    );
    console.log(`| ${name} | ${ms.map((m) => f2((2 * M * N * K) / m / 1e6)).join(' | ')} |`);
  }
  if (gpu.timestampQueries) {
    console.log('\n| kernel (timestamp queries, one burst of each shape) | calls | device ms per call |\n|---|---|---|');
    const times = await gpu.profile(async () => {
      for (const s of SHAPES) await gflops([gpu], geometry(s), 'forward');
    });
    for (const [name, t] of times ?? []) console.log(`| ${name} | ${t.calls} | ${(t.ms / t.calls).toFixed(3)} |`);
  }
  console.log('\n| read-back from an idle device | ms (median) |\n|---|---|');
  for (const n of [16, 65536, 1 << 20]) console.log(`| ${n} float32 | ${(await readBackMs(gpu, n)).toFixed(3)} |`);
  await gpu.destroy();
}

await main();
