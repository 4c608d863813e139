// Batch-norm kernel parity: the wasm kernels (1 and 2 threads) against the cpu reference on seeded random shapes, and thread-count independence.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend, Storage } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { batchNormGeometry } from '../../kernels/geometry/norm.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randInt } from '../helpers/rng.js';
import { WASM_THREADS, useWasmBackend } from '../helpers/wasm.js';

type Case = { shape: number[]; affine: 'both' | 'weight' | 'bias' | 'none'; shift: number; scale: number; seed: number };

/** Fixed edge cases (B = 1 with H·W > 1, C = 1, odd planes, a 1×1 plane), then seeded random ones: 36 in all. */
function cases(): Case[] {
  const rng = mulberry32(1401);
  const fixed: [number[], Case['affine']][] = [
    [[1, 3, 5, 7], 'both'],
    [[4, 1, 3, 3], 'none'],
    [[7, 2, 1, 1], 'weight'],
    [[1, 1, 1, 2], 'bias'],
    [[2, 5, 9, 13], 'both'],
    [[3, 4, 8, 8], 'both'],
  ];
  const out: Case[] = fixed.map(([shape, affine], i) => ({ shape, affine, shift: i - 2, scale: 1 + i, seed: 100 + i }));
  const kinds: Case['affine'][] = ['both', 'weight', 'bias', 'none'];
  while (out.length < 36) {
    const shape = [randInt(rng, 1, 5), randInt(rng, 1, 9), randInt(rng, 1, 11), randInt(rng, 1, 12)];
    if (shape[0] * shape[2] * shape[3] < 2) continue;
    out.push({ shape, affine: kinds[randInt(rng, 0, 3)], shift: (rng() - 0.5) * 20, scale: 0.01 + rng() * 5, seed: 200 + out.length });
  }
  return out;
}

const vals = (rng: () => number, n: number, shift: number, scale: number): Float32Array =>
  Float32Array.from({ length: n }, () => shift + scale * (2 * rng() - 1));

/** Every output of stats, forward and backward (wantDx on and off) on backend b, read back. */
function runAll(b: AnyBackend, k: Case, f64: boolean): Float64Array[] {
  const g = batchNormGeometry('test', k.shape);
  const rng = mulberry32(k.seed);
  const C = g.channels;
  const x = vals(rng, g.size, k.shift, k.scale);
  const dy = vals(rng, g.size, 0, 1);
  const w = k.affine === 'both' || k.affine === 'weight' ? vals(rng, C, 0.5, 1) : null;
  const bias = k.affine === 'both' || k.affine === 'bias' ? vals(rng, C, 0, 1) : null;
  const put = (a: Float32Array): Storage => b.fromArray(f64 ? Float64Array.from(a) : a);
  const [xs, dys] = [put(x), put(dy)];
  const [ws, bs] = [w && put(w), bias && put(bias)];
  const st = b.batchNormStats!(xs, g, 1e-5);
  const y = b.batchNormForward!(xs, st, ws, bs, g);
  const r = b.batchNormBackward!(xs, dys, st, ws, g, true);
  const r2 = b.batchNormBackward!(xs, dys, st, ws, g, false);
  expect(r2.dx).to.equal(null);
  const stats = Float64Array.from(b.readSync(st));
  const rows = [0, 1, 2].map((i) => stats.slice(i * C, (i + 1) * C));
  return [...rows, ...[y, r.dx!, r.dWeight, r.dBias, r2.dWeight, r2.dBias].map((s) => Float64Array.from(b.readSync(s)))];
}

const NAMES = ['mean', 'variance', 'invstd', 'y', 'dx', 'dWeight', 'dBias', 'dWeight (no dx)', 'dBias (no dx)'];

describe('batch-norm kernels: wasm float32 vs the cpu reference (float64 on the same values)', () => {
  const backends = WASM_THREADS.map((t) => useWasmBackend(t));
  for (const k of cases()) {
    it(`x=[${k.shape}] ${k.affine} shift ${k.shift.toFixed(2)} scale ${k.scale.toFixed(2)}`, () => {
      const want = runAll(cpuBackend, k, true);
      const n = k.shape[0] * k.shape[2] * k.shape[3];
      const per = WASM_THREADS.map((_, i) => runAll(backends[i](), k, false));
      per.forEach((got, ti) => {
        const label = (j: number) => `threads=${WASM_THREADS[ti]} ${NAMES[j]}`;
        // mean: relative to the spread; variance and invstd: relative; y, dx: of order 1; the sums: of order n.
        expectClose(
          got[0].map((v) => v / k.scale),
          want[0].map((v) => v / k.scale),
          1e-5,
          label(0),
        );
        for (const j of [1, 2])
          expectClose(
            got[j].map((v, i) => v / want[j][i]),
            want[j].map(() => 1),
            1e-5,
            label(j),
          );
        for (const j of [3, 4]) expectClose(got[j], want[j], 2e-4, label(j));
        for (const j of [5, 6, 7, 8])
          expectClose(
            got[j].map((v) => v / n),
            want[j].map((v) => v / n),
            1e-5,
            label(j),
          );
      });
      // Each channel's sums run on one thread in one order: the results do not depend on the thread count.
      per[1].forEach((a, j) => expect(Array.from(a), `${NAMES[j]}: threads 2 = threads 1`).to.deep.equal(Array.from(per[0][j])));
    });
  }

  it('float64 on wasm equals the cpu reference bit for bit (it runs the reference on heap views)', () => {
    const k: Case = { shape: [3, 4, 5, 6], affine: 'both', shift: 1, scale: 2, seed: 9 };
    const want = runAll(cpuBackend, k, true);
    runAll(backends[1](), k, true).forEach((a, j) => expect(Array.from(a), NAMES[j]).to.deep.equal(Array.from(want[j])));
  });
});
