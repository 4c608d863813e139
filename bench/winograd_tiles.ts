// Bench: the wasm Winograd forward and input gradient with F(2x2,3x3) against F(4x4,3x3) tiles, plain and per-sample weights, interleaved in one run; and what the cost model picks.
// Run: npx tsx bench/winograd_tiles.ts [--threads 1] [--reps 7] [--shapes B8xC64x32x32xO64,...]

import { loadavg } from 'node:os';
import { conv2dGeometry, transposedConvGeometry } from '../kernels/geometry/conv.js';
import { createWasmBackend } from '../kernels/wasm/backend.js';
import { forceWinogradTile, winogradTile } from '../kernels/wasm/conv_choice.js';
import { flagNumber, flagString } from './model/flags.js';
import { convPhaseCall } from './report/conv_phase.js';
import { parseConvShape } from './report/conv_shape.js';
import { median } from './report/timing.js';

const argv = process.argv.slice(2);
const THREADS = flagNumber(argv, 'threads', 1);
const REPS = flagNumber(argv, 'reps', 7);
/** B x C x H x W x O: 3x3 convs, 'same' padding, stride 1 (the peers, layer sweep and zoo shapes by default). */
const SHAPES = flagString(
  argv,
  'shapes',
  'B8xC64x32x32xO64,B32xC32x16x16xO32,B1xC64x56x56xO64,B64xC16x28x28xO16,B64xC16x14x14xO32,B64xC32x14x14xO32,B64xC32x7x7xO64,B64xC64x7x7xO64,B8xC128x16x16xO128,B8xC64x8x8xO64,B16xC64x12x12xO64,B16xC32x10x10xO32',
)
  .split(',')
  .map((s) => s.trim());

async function main(): Promise<void> {
  const be = await createWasmBackend({ threads: THREADS });
  console.log(`# wasm Winograd F(2,3) vs F(4,3): median ms of ${REPS} interleaved rounds, ${THREADS} thread(s), ${be.simd}, 'same' padding`);
  console.log(
    `load average at start ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}\n`,
  );
  console.log('| shape | weights | phase | F(2,3) ms | F(4,3) ms | F(4,3) / F(2,3) | best F(2,3) / F(4,3) ms | model picks |');
  console.log('|---|---|---|---:|---:|---:|---:|---|');
  for (const name of SHAPES) {
    const { x, o: O, stride } = parseConvShape(name);
    if (stride !== 1) throw new Error(`--shapes: '${name}': Winograd runs stride-1 convs only`);
    const [B, C] = x;
    for (const perSample of [false, true]) {
      const g = conv2dGeometry('conv2d', x, perSample ? [B, O, C, 3, 3] : [O, C, 3, 3], { padding: 1 }, perSample);
      for (const phase of ['forward', 'backwardInput'] as const) {
        const pg = phase === 'forward' ? g : transposedConvGeometry(g);
        forceWinogradTile(4);
        const capped = winogradTile(pg, phase !== 'forward') !== 4;
        forceWinogradTile(null);
        if (capped) {
          // Past 128 summed channels F(4,3) is never taken (conv_choice.ts WINO4_MAX_DEPTH), forced or not.
          console.log(`| ${name} | ${perSample ? 'per-sample' : 'plain'} | ${phase} | - | - | - | - | F(2,3) (F(4,3) capped) |`);
          continue;
        }
        const { call, free } = convPhaseCall(be, g, phase, 1);
        const time = (tile: 2 | 4): number => {
          forceWinogradTile(tile);
          const t = performance.now();
          be.dispose(call());
          return performance.now() - t;
        };
        for (let i = 0; i < 2; i++) {
          time(2);
          time(4);
        }
        const t2: number[] = [],
          t4: number[] = [];
        for (let r = 0; r < REPS; r++) {
          t2.push(time(2));
          t4.push(time(4));
        }
        forceWinogradTile(null);
        free();
        const pick = winogradTile(pg, phase !== 'forward');
        const [a, b] = [median(t2), median(t4)];
        console.log(
          `| ${name} | ${perSample ? 'per-sample' : 'plain'} | ${phase} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)} | ${Math.min(...t2).toFixed(2)} / ${Math.min(...t4).toFixed(2)} | F(${pick},3) |`,
        );
      }
    }
  }
  await be.destroy();
}

void main();
