// Bench: the wasm conv kernels with per-sample weights [B, O, C, kH, kW] against plain weights [O, C, kH, kW], per phase (forward, input and filter gradients), interleaved in one run.
// Run: npx tsx bench/per_sample_conv.ts [--threads 1] [--reps 9] [--shapes B64xC64x7x7xO64,...]

import { loadavg } from 'node:os';
import type { AnyBackend } from '../core/backend.js';
import { conv2dGeometry, type Conv2dGeometry } from '../kernels/geometry/conv.js';
import { createWasmBackend } from '../kernels/wasm/backend.js';
import { flagNumber, flagString } from './model/flags.js';
import { CONV_PHASES, convPhaseCall, type ConvPhase } from './report/conv_phase.js';
import { parseConvShape } from './report/conv_shape.js';
import { median } from './report/timing.js';

const argv = process.argv.slice(2);
const THREADS = flagNumber(argv, 'threads', 1);
const REPS = flagNumber(argv, 'reps', 9);
/** B x C x H x W x O [x sS]: 3x3 convs, 'same' padding, stride S (default 1). */
const SHAPES = flagString(argv, 'shapes', 'B64xC16x28x28xO16,B64xC32x14x14xO32,B64xC64x7x7xO64,B64xC16x14x14xO32,B64xC32x7x7xO64,B64xC32x14x14xO64xs2')
  .split(',')
  .map((s) => s.trim());

/** One timed call of a phase on fresh outputs (inputs made once). */
function caller(be: AnyBackend, g: Conv2dGeometry, phase: ConvPhase, seed: number): { run: () => number; free: () => void } {
  const { call, free } = convPhaseCall(be, g, phase, seed);
  return {
    run: () => {
      const t = performance.now();
      const out = call();
      const ms = performance.now() - t;
      be.dispose(out);
      return ms;
    },
    free,
  };
}

async function main(): Promise<void> {
  const be = await createWasmBackend({ threads: THREADS });
  console.log(`# wasm 3x3 conv, plain vs per-sample weights: median ms of ${REPS} interleaved rounds, ${THREADS} thread(s), 'same' padding`);
  console.log(
    `load average at start ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}\n`,
  );
  console.log('| shape | phase | plain ms | per-sample ms | per-sample / plain |');
  console.log('|---|---|---:|---:|---:|');
  for (const name of SHAPES) {
    const { x, o, stride } = parseConvShape(name);
    const opts = { padding: 1, stride };
    const g = conv2dGeometry('conv2d', x, [o, x[1], 3, 3], opts);
    const gp = conv2dGeometry('conv2d', x, [x[0], o, x[1], 3, 3], opts, true);
    for (const phase of CONV_PHASES) {
      const a = caller(be, g, phase, 1),
        b = caller(be, gp, phase, 1);
      for (let i = 0; i < 2; i++) {
        a.run();
        b.run();
      }
      const ta: number[] = [],
        tb: number[] = [];
      for (let r = 0; r < REPS; r++) {
        ta.push(a.run());
        tb.push(b.run());
      }
      a.free();
      b.free();
      const ma = median(ta),
        mb = median(tb);
      console.log(`| ${name} | ${phase} | ${ma.toFixed(2)} | ${mb.toFixed(2)} | ${(mb / ma).toFixed(2)} |`);
    }
  }
  await be.destroy();
}

void main();
