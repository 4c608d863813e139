// Matmul parity: batched matmul (transposes, shared operands, K tails) of every backend against the cpu reference on seeded random shapes.

import '../../kernels/register.js';
import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { matmulGeometry } from '../../kernels/geometry/matmul.js';
import { wgslMatmulPlan } from '../../kernels/gpu/wgsl_matmul.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randInt } from '../helpers/rng.js';

// Float32 backends against the float64 reference (cpu_matmul.test.ts checks the cpu backend against naive loops).
const TOL = 1e-4;
const c64 = (a: Float32Array) => cpuBackend.fromArray(Float64Array.from(a));

/** [batchA, batchB, M, N, K, transA, transB]: seven fixed cases (1×1, a K tail, both transposed, K = 130, K splits, the mixing shape), then random ones. */
function matmulCases(): [number, number, number, number, number, boolean, boolean][] {
  const rng = mulberry32(1111);
  const cases: [number, number, number, number, number, boolean, boolean][] = [
    [1, 1, 1, 1, 1, false, false],
    [1, 1, 64, 70, 33, false, false],
    [3, 1, 5, 7, 9, true, true],
    [1, 4, 6, 3, 130, false, true],
    [1, 1, 3, 5, 1000, false, true], // small C, long K: the gpu kernel splits K (mixExperts' routing gradient)
    [2, 2, 2, 9, 600, true, false], // split K, batched, A transposed, ragged columns
    [1, 1, 8, 300, 8, false, false], // the mixing matmul's shape: [B, K] x [K, |W|]
  ];
  while (cases.length < 34) {
    const batch = randInt(rng, 1, 3);
    const shareA = rng() < 0.25;
    const shareB = !shareA && rng() < 0.25;
    cases.push([shareA ? 1 : batch, shareB ? 1 : batch, randInt(rng, 1, 12), randInt(rng, 1, 12), randInt(rng, 1, 20), rng() < 0.5, rng() < 0.5]);
  }
  return cases;
}

describe('matmul parity cases', () => {
  it('reach the gpu kernel’s ragged row and column tiles and its K splits', () => {
    const plans = matmulCases().map(
      ([ba, bb, M, N, K, ta, tB]) => [M, N, wgslMatmulPlan(matmulGeometry('matmul', ba, bb, ta ? [K, M] : [M, K], tB ? [N, K] : [K, N], ta, tB))] as const,
    );
    expect(plans.filter(([M, , p]) => M % p.m !== 0).length, 'ragged rows').to.be.at.least(3);
    expect(plans.filter(([, N, p]) => N % p.n !== 0).length, 'ragged columns').to.be.at.least(3);
    expect(plans.filter(([, , p]) => p.splits > 1).length, 'K splits').to.be.at.least(2);
  });
});

forEachBackend((tb) => {
  if (tb.name === 'cpu') return;
  describe('matmul vs the cpu reference', () => {
    const rng = mulberry32(1112);
    for (const [ba, bb, M, N, K, ta, tB] of matmulCases()) {
      const aShape: [number, number] = ta ? [K, M] : [M, K];
      const bShape: [number, number] = tB ? [N, K] : [K, N];
      it(`a=[${ba},${aShape}]${ta ? 'ᵀ' : ''} b=[${bb},${bShape}]${tB ? 'ᵀ' : ''} → [${Math.max(ba, bb)},${M},${N}]`, async () => {
        const geo = matmulGeometry('matmul', ba, bb, aShape, bShape, ta, tB);
        const a = Float32Array.from({ length: ba * M * K }, () => rng() * 2 - 1);
        const b = Float32Array.from({ length: bb * K * N }, () => rng() * 2 - 1);
        const want = cpuBackend.readSync(cpuBackend.matmul(c64(a), c64(b), geo));
        const be = tb.backend;
        const [as, bs] = [be.fromArray(a), be.fromArray(b)];
        const c = be.matmul(as, bs, geo);
        expectClose(await be.read(c), want, TOL, 'matmul');
        [as, bs, c].forEach((s) => be.dispose(s));
      });
    }
  });
});
