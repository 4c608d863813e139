// Bench: per-phase A/B of two source trees in one process: each tree's wasm 3x3 conv (forward, input and filter gradients), plain and per-sample weights, rounds interleaved across trees.
// Run: npx tsx bench/conv_phase_ab.ts --against <dir of another checkout, built> [--threads 1] [--reps 9] [--phases forward,backwardInput,backwardFilter] [--weights plain,per-sample] [--shapes B64xC64x7x7xO64,...]

import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyBackend } from '../core/backend.js';
import { flagList, flagNumber, flagString } from './model/flags.js';
import { parseConvShape } from './report/conv_shape.js';
import { median } from './report/timing.js';

const argv = process.argv.slice(2);
const AGAINST = flagString(argv, 'against', '');
if (AGAINST === '') throw new Error('--against <dir> is required (another checkout of this repository, with its wasm kernels built)');
const THREADS = flagNumber(argv, 'threads', 1);
const REPS = flagNumber(argv, 'reps', 9);
const PHASES = flagList(argv, 'phases', 'forward,backwardInput,backwardFilter');
const WEIGHTS = flagList(argv, 'weights', 'plain,per-sample');
/** B x C x H x W x O [x sS]: 3x3 convs, 'same' padding, stride S (default 1). */
const SHAPES = flagList(argv, 'shapes', 'B64xC32x7x7xO64,B64xC64x7x7xO64,B64xC16x14x14xO32,B64xC32x14x14xO32');

type Geometry = typeof import('../kernels/geometry/conv.js');
type Phase = typeof import('./report/conv_phase.js');

/** One tree's backend and its own geometry and seeded phase calls. */
async function treeOf(root: string): Promise<{ be: AnyBackend; geo: Geometry; phase: Phase }> {
  const load = (p: string): Promise<unknown> => import(pathToFileURL(`${root}/${p}`).href);
  const { createWasmBackend } = (await load('kernels/wasm/backend.ts')) as typeof import('../kernels/wasm/backend.js');
  const geo = (await load('kernels/geometry/conv.ts')) as Geometry;
  const phase = (await load('bench/report/conv_phase.ts')) as Phase;
  return { be: await createWasmBackend({ threads: THREADS }), geo, phase };
}

async function main(): Promise<void> {
  const start = loadavg().map((v) => v.toFixed(2));
  const trees = [await treeOf(resolve(AGAINST)), await treeOf(resolve(import.meta.dirname, '..'))];
  console.log(`# wasm 3x3 conv per phase, this tree vs ${resolve(AGAINST)}: median ms of ${REPS} interleaved rounds, ${THREADS} thread(s)`);
  console.log(`load average at start ${start.join(' ')}\n`);
  console.log('| shape | weights | phase | against ms | this tree ms | this / against |');
  console.log('|---|---|---|---:|---:|---:|');
  for (const name of SHAPES) {
    const { x, o, stride } = parseConvShape(name);
    for (const weights of WEIGHTS) {
      const perSample = weights === 'per-sample';
      for (const phase of PHASES) {
        const calls = trees.map(({ be, geo, phase: p }) => {
          const g = geo.conv2dGeometry('conv2d', x, perSample ? [x[0], o, x[1], 3, 3] : [o, x[1], 3, 3], { padding: 1, stride }, perSample);
          const { call, free } = p.convPhaseCall(be, g, phase as Parameters<Phase['convPhaseCall']>[2], 1);
          const run = (): number => {
            const t0 = performance.now();
            const out = call();
            const ms = performance.now() - t0;
            be.dispose(out);
            return ms;
          };
          return { run, free, ms: [] as number[] };
        });
        for (let i = 0; i < 3; i++) for (const c of calls) c.run();
        for (let r = 0; r < REPS; r++) for (const c of calls) c.ms.push(c.run());
        for (const c of calls) c.free();
        const [a, b] = calls.map((c) => median(c.ms));
        console.log(`| ${name} | ${weights} | ${phase} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(3)} |`);
      }
    }
  }
  for (const t of trees) await t.be.destroy();
  console.log(
    `\nload average at end ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
}

void main();
