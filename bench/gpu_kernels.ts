// Bench: GFLOP/s of float32 conv2d (forward, backward-input, backward-filter) and matmul on the gpu backend, beside the cpu reference; prints markdown.
// Run: npx tsx bench/gpu_kernels.ts [--quick]   (times include the read-back that waits for the device; compiles are warmed up first)

import type { AnyBackend, Storage } from '../core/backend.js';
import { cpuBackend } from '../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dGeometry } from '../kernels/geometry/conv.js';
import { matmulGeometry } from '../kernels/geometry/matmul.js';
import { createGpuBackend } from '../kernels/gpu/device.js';
import { mulberry32, randArray } from '../test/helpers/rng.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 3 : 7;

interface Shape { name: string; x: [number, number, number, number]; outC: number; k: number; depthwise?: boolean; perSample?: boolean }

// Small shapes: on a software adapter (llvmpipe) anything larger takes seconds per call.
const SHAPES: Shape[] = [
  { name: 'N2 C8 16×16 O16 k3', x: [2, 8, 16, 16], outC: 16, k: 3 },
  { name: 'N8 C16 32×32 O32 k3', x: [8, 16, 32, 32], outC: 32, k: 3 },
  { name: 'N4 C32 16×16 O64 k3', x: [4, 32, 16, 16], outC: 64, k: 3 },
  { name: 'N4 C32 16×16 O64 k3 per-sample W', x: [4, 32, 16, 16], outC: 64, k: 3, perSample: true },
  { name: 'depthwise N8 C32 16×16 k3', x: [8, 32, 16, 16], outC: 32, k: 3, depthwise: true },
];

function geometry(s: Shape): Conv2dGeometry {
  const w = [s.outC, s.depthwise ? 1 : s.x[1], s.k, s.k];
  return conv2dGeometry('conv2d', s.x, s.perSample ? [s.x[0], ...w] : w, { padding: 'same', groups: s.depthwise ? s.x[1] : 1 }, s.perSample ?? false);
}

/** Median milliseconds of one call plus its read-back, after a warm-up call (which compiles). */
async function timeMs(be: AnyBackend, run: () => Storage): Promise<number> {
  const once = async (): Promise<number> => {
    const t = performance.now();
    const s = run();
    await be.read(s);
    be.dispose(s);
    return performance.now() - t;
  };
  await once();
  const ts: number[] = [];
  for (let r = 0; r < REPS; r++) ts.push(await once());
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

type Op = 'forward' | 'backwardInput' | 'backwardFilter';

async function gflops(be: AnyBackend, g: Conv2dGeometry, op: Op): Promise<number> {
  const rng = mulberry32(7);
  const xs = be.fromArray(randArray(rng, g.batch * g.inC * g.inH * g.inW, 'float32'));
  const ws = be.fromArray(randArray(rng, g.weightSize * (g.perSampleWeights ? g.batch : 1), 'float32'));
  const dys = be.fromArray(randArray(rng, g.batch * g.outC * g.outH * g.outW, 'float32'));
  const ms = await timeMs(be, () => (op === 'forward' ? be.conv2d(xs, ws, g)
    : op === 'backwardInput' ? be.conv2dBackwardInput(dys, ws, g) : be.conv2dBackwardFilter(xs, dys, g)));
  for (const s of [xs, ws, dys]) be.dispose(s);
  return (2 * g.macs) / ms / 1e6;
}

const f2 = (v: number): string => v.toFixed(2);

async function main(): Promise<void> {
  const gpu = await createGpuBackend();
  const a = gpu.adapterInfo;
  console.log(`# gpu kernels, float32, GFLOP/s (median of ${REPS}, read-back included), 'same' padding, stride 1`);
  console.log(`adapter: ${a.name} (${a.description}), dawn backend ${a.backendType}, ${a.featureLevel}\n`);
  console.log('| shape | cpu forward | gpu forward | gpu backward-input | gpu backward-filter |');
  console.log('|---|---|---|---|---|');
  for (const s of SHAPES) {
    const g = geometry(s);
    const cells = [await gflops(cpuBackend, g, 'forward')];
    for (const op of ['forward', 'backwardInput', 'backwardFilter'] as const) cells.push(await gflops(gpu, g, op));
    console.log(`| ${s.name} | ${cells.map(f2).join(' | ')} |`);
  }
  console.log('\n| matmul | cpu | gpu |\n|---|---|---|');
  for (const n of quick ? [128] : [128, 256]) {
    const mg = matmulGeometry('matmul', 1, 1, [n, n], [n, n], false, false);
    const cells: number[] = [];
    for (const be of [cpuBackend, gpu] as AnyBackend[]) {
      const rng = mulberry32(3);
      const [x, y] = [be.fromArray(randArray(rng, n * n, 'float32')), be.fromArray(randArray(rng, n * n, 'float32'))];
      cells.push((2 * n ** 3) / (await timeMs(be, () => be.matmul(x, y, mg))) / 1e6);
    }
    console.log(`| ${n}×${n}×${n} | ${cells.map(f2).join(' | ')} |`);
  }
  await gpu.destroy();
}

await main();
