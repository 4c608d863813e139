// Bench: ms and GFLOP/s of float32 conv2d forward, input and filter gradients on the cpu reference and the wasm backend (1 and 2 threads); prints markdown tables.
// Run: npx tsx bench/wasm_kernels.ts [--quick]

import { cpus, loadavg } from 'node:os';
import { cpuBackend } from '../kernels/cpu/backend.js';
import type { AnyBackend } from '../core/backend.js';
import type { Conv2dGeometry } from '../kernels/geometry/conv.js';
import { createWasmBackend } from '../kernels/wasm/backend.js';
import { CONV_SHAPES, shapeGeometry } from './peers/shapes.js';
import { CONV_PHASES, convPhaseCall, type ConvPhase } from './report/conv_phase.js';

const quick = process.argv.includes('--quick');
const REPS = quick ? 5 : 7;

/** Median and best milliseconds of `f` over REPS runs after warm-up (at least 2 calls or ~150 ms). */
function timeMs(f: () => void): { median: number; best: number } {
  const t0 = performance.now();
  let n = 0;
  while (n < 2 || (performance.now() - t0 < 150 && n < 50)) {
    f();
    n++;
  }
  const ts: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const a = performance.now();
    f();
    ts.push(performance.now() - a);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)], best: ts[0] };
}

/** GFLOP/s (median and best) of one conv op on one backend (2·MACs per call). */
function gflops(be: AnyBackend, g: Conv2dGeometry, op: ConvPhase, seed: number): { median: number; best: number; ms: number } {
  const { call, free } = convPhaseCall(be, g, op, seed);
  const t = timeMs(() => be.dispose(call()));
  free();
  return { median: (2 * g.macs) / t.median / 1e6, best: (2 * g.macs) / t.best / 1e6, ms: t.median };
}

/** "median (best)" GFLOP/s. */
const f1 = (v: { median: number; best: number }): string => `${v.median.toFixed(1)} (${v.best.toFixed(1)})`;

async function main(): Promise<void> {
  const w1 = await createWasmBackend({ threads: 1 });
  const w2 = await createWasmBackend({ threads: 2 });
  console.log(`# wasm conv2d kernels, float32, GFLOP/s: median (best) of ${REPS} after warm-up; 'same' padding, stride 1\n`);
  console.log(
    `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, load average at start ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}; 3x3 convs with >= 8 channels run Winograd F(2x2,3x3), counted as direct-conv flops\n`,
  );
  for (const op of CONV_PHASES) {
    console.log(`\n## ${op}\n`);
    console.log('| shape | cpu ms | cpu | wasm 1 thr | wasm 2 thr | 2 thr / 1 thr | wasm 1 thr per-sample W | wasm 2 thr per-sample W |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const s of CONV_SHAPES) {
      const g = shapeGeometry(s, false),
        gp = shapeGeometry(s, true);
      const seed = op === 'forward' ? 1 : 2;
      const cpu = quick ? null : gflops(cpuBackend, g, op, seed);
      const a = gflops(w1, g, op, seed),
        b = gflops(w2, g, op, seed);
      const ap = gflops(w1, gp, op, seed),
        bp = gflops(w2, gp, op, seed);
      console.log(
        `| ${s.name} | ${cpu ? cpu.ms.toFixed(1) : '—'} | ${cpu ? f1(cpu) : '—'} | ${f1(a)} | ${f1(b)} | ${(b.median / a.median).toFixed(2)}× (${(b.best / a.best).toFixed(2)}×) | ${f1(ap)} | ${f1(bp)} |`,
      );
    }
  }
  await w1.destroy();
  await w2.destroy();
  console.log(
    `\nload average at end ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
}

await main();
