// gpu batched matmul (transposes, shared operands, K tails) against the reference cpu backend on seeded random shapes.

import { cpuBackend } from '../../kernels/cpu/backend.js';
import { matmulGeometry } from '../../kernels/geometry/matmul.js';
import { expectClose } from '../helpers/close.js';
import { describeGpu } from '../helpers/gpu.js';
import { mulberry32, randInt } from '../helpers/rng.js';

const TOL = 1e-4;
const c64 = (a: Float32Array) => cpuBackend.fromArray(Float64Array.from(a));

describeGpu('gpu matmul vs cpu', (gpu) => {
  const rng = mulberry32(1111);
  const cases: [number, number, number, number, number, boolean, boolean][] = [
    [1, 1, 1, 1, 1, false, false], [1, 1, 64, 70, 33, false, false], [3, 1, 5, 7, 9, true, true], [1, 4, 6, 3, 130, false, true],
  ];
  while (cases.length < 34) {
    const batch = randInt(rng, 1, 3);
    const shareA = rng() < 0.25;
    const shareB = !shareA && rng() < 0.25;
    cases.push([shareA ? 1 : batch, shareB ? 1 : batch, randInt(rng, 1, 12), randInt(rng, 1, 12), randInt(rng, 1, 20), rng() < 0.5, rng() < 0.5]);
  }
  for (const [ba, bb, M, N, K, ta, tb] of cases) {
    const aShape: [number, number] = ta ? [K, M] : [M, K];
    const bShape: [number, number] = tb ? [N, K] : [K, N];
    it(`a=[${ba},${aShape}]${ta ? 'ᵀ' : ''} b=[${bb},${bShape}]${tb ? 'ᵀ' : ''} → [${Math.max(ba, bb)},${M},${N}]`, async () => {
      const geo = matmulGeometry('matmul', ba, bb, aShape, bShape, ta, tb);
      const a = Float32Array.from({ length: ba * M * K }, () => rng() * 2 - 1);
      const b = Float32Array.from({ length: bb * K * N }, () => rng() * 2 - 1);
      const want = cpuBackend.readSync(cpuBackend.matmul(c64(a), c64(b), geo));
      const g = gpu();
      const [as, bs] = [g.fromArray(a), g.fromArray(b)];
      const c = g.matmul(as, bs, geo);
      expectClose(await g.read(c), want, TOL, 'matmul');
      [as, bs, c].forEach((s) => g.dispose(s));
    });
  }
});
