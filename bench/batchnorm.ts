// BatchNorm bench on wasm: the fused training op against the composite it replaced (the same backend without the
// batch-norm kernels, as the gpu backend runs it), forward+backward with running stats, at B = 64 shapes of the zoo models.
//
// Run: npx tsx bench/batchnorm.ts [--threads 1] [--rounds 15]
//
// Each round runs composite then fused back to back on the same data, so load from other processes hits both
// alike; a row's ratio is the median of its per-round ratios. Every call runs inside tidy(), as a training step does.

import '../kernels/register.js';
import * as os from 'node:os';
import type { AnyBackend } from '../core/backend.js';
import { tensor } from '../core/creation.js';
import { tidy } from '../core/scope.js';
import { createWasmBackend } from '../kernels/wasm/backend.js';
import { mul } from '../ops/arithmetic.js';
import { sum } from '../ops/broadcast.js';
import { batchNorm2d } from '../ops/norm.js';
import { flagNumber } from './model/flags.js';
import { markdownTable } from './report/table.js';
import { median } from './report/timing.js';

const argv = process.argv.slice(2);
const THREADS = flagNumber(argv, 'threads', 1);
const ROUNDS = flagNumber(argv, 'rounds', 15);

/** [B, C, H, W] of BatchNorm inputs in the MNIST zoo models at batch 64 (28² stem, then 14², 7², 4²). */
const SHAPES: [number, number, number, number][] = [
  [64, 8, 28, 28],
  [64, 16, 14, 14],
  [64, 32, 14, 14],
  [64, 64, 7, 7],
  [64, 128, 4, 4],
];

/** The backend without the batch-norm kernels: batchNorm2d then runs the composite. */
function composite(b: AnyBackend): AnyBackend {
  return Object.assign(Object.create(b) as AnyBackend, { batchNormStats: undefined, batchNormForward: undefined, batchNormBackward: undefined });
}

/** ms of one forward+backward (with running stats) of batchNorm2d on backend b. */
function time(b: AnyBackend, shape: number[], x: Float32Array, r: Float32Array): number {
  const C = shape[1];
  const xt = tensor(x, shape, { backend: b, requiresGrad: true });
  const w = tensor(new Float32Array(C).fill(1.5), [C], { backend: b, requiresGrad: true });
  const bias = tensor(new Float32Array(C).fill(0.25), [C], { backend: b, requiresGrad: true });
  const rm = tensor(new Float32Array(C), [C], { backend: b });
  const rv = tensor(new Float32Array(C).fill(1), [C], { backend: b });
  const rt = tensor(r, shape, { backend: b });
  const t0 = performance.now();
  tidy(() => {
    sum(mul(batchNorm2d(xt, { weight: w, bias, runningMean: rm, runningVar: rv, training: true }), rt)).backward();
  });
  const ms = performance.now() - t0;
  for (const t of [xt.grad!, w.grad!, bias.grad!, xt, w, bias, rm, rv, rt]) t.dispose();
  return ms;
}

async function main(): Promise<void> {
  const be = await createWasmBackend({ threads: THREADS });
  const plain = composite(be);
  const load0 = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const rows: string[][] = [];
  for (const shape of SHAPES) {
    const n = shape.reduce((a, d) => a * d, 1);
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 2 + 0.5);
    const r = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11));
    for (let w = 0; w < 2; w++) {
      time(plain, shape, x, r);
      time(be, shape, x, r);
    }
    const c: number[] = [];
    const f: number[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      c.push(time(plain, shape, x, r));
      f.push(time(be, shape, x, r));
    }
    const ratios = c.map((v, i) => v / f[i]);
    rows.push([`[${shape}]`, median(c).toFixed(2), median(f).toFixed(2), `${median(ratios).toFixed(2)}×`]);
  }
  const load1 = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  console.log(`# batchNorm2d training forward+backward on wasm, ${THREADS} thread(s): composite vs fused\n`);
  console.log(
    `${os.cpus()[0]?.model.trim()} (${os.cpus().length} cores), Node ${process.version}; ${ROUNDS} interleaved rounds; load average ${load0} at start, ${load1} at end.\n`,
  );
  console.log(markdownTable(['x', 'composite ms', 'fused ms', 'composite / fused (median of rounds)'], rows, ['l', 'r', 'r', 'r']));
  await be.destroy();
}

void main();
