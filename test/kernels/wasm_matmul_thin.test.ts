// The wasm matmul's thin-shape kernels (matmulThin: short reduction, no B packing; matmulDots: few columns, long
// reduction) against the cpu reference on seeded shapes with every ragged edge, on 1 and 2 threads.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { matmulGeometry } from '../../kernels/geometry/matmul.js';
import { DOTS_MAX_N, DOTS_MIN_K, THIN_MAX_K, matmulKernel } from '../../kernels/wasm/matmul.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randArray, randInt } from '../helpers/rng.js';
import { WASM_THREADS, useWasmBackend } from '../helpers/wasm.js';

type Case = [batchA: number, batchB: number, M: number, N: number, K: number, transA: boolean, transB: boolean];

/** Fixed edges (odd M, N tails of 1..15 columns, a second column block, K = 1 and the limits, shared operands), then random ones. */
function cases(kernel: 'matmulThin' | 'matmulDots'): Case[] {
  const rng = mulberry32(kernel === 'matmulThin' ? 2101 : 2102);
  const fixed: Case[] =
    kernel === 'matmulThin'
      ? [
          [1, 1, 7, 70, 8, false, false],
          [1, 1, 64, 32, 1, false, false],
          [2, 1, 9, 300, 33, true, false],
          [1, 2, 8, 47, THIN_MAX_K, false, false],
          [3, 3, 1, 529, 5, true, false],
        ]
      : [
          [1, 1, 5, 10, 130, false, true],
          [1, 1, 64, DOTS_MAX_N, DOTS_MIN_K, false, true],
          [2, 1, 3, 3, 37, false, true],
          [1, 3, 8, 1, 1000, false, true],
          [2, 2, 1, 7, 65, false, true],
        ];
  const out = [...fixed];
  while (out.length < fixed.length + 8) {
    const batch = randInt(rng, 1, 3);
    const [ba, bb] = rng() < 0.3 ? [batch, 1] : rng() < 0.3 ? [1, batch] : [batch, batch];
    if (kernel === 'matmulThin') out.push([ba, bb, randInt(rng, 1, 40), randInt(rng, 32, 600), randInt(rng, 1, THIN_MAX_K), rng() < 0.5, false]);
    else out.push([ba, bb, randInt(rng, 1, 40), randInt(rng, 1, DOTS_MAX_N), randInt(rng, DOTS_MIN_K, 3000), false, true]);
  }
  return out;
}

const results = new Map<string, Float32Array>();

for (const threads of WASM_THREADS) {
  describe(`wasm thin matmul kernels threads=${threads}`, () => {
    const be = useWasmBackend(threads);
    for (const kernel of ['matmulThin', 'matmulDots'] as const) {
      const rng = mulberry32(kernel === 'matmulThin' ? 31 : 32);
      for (const [ba, bb, M, N, K, tA, tB] of cases(kernel)) {
        const aShape: [number, number] = tA ? [K, M] : [M, K];
        const bShape: [number, number] = tB ? [N, K] : [K, N];
        const name = `${kernel} a=[${ba},${aShape}]${tA ? 'ᵀ' : ''} b=[${bb},${bShape}]${tB ? 'ᵀ' : ''}`;
        const a = randArray(rng, ba * M * K, 'float32');
        const b = randArray(rng, bb * K * N, 'float32');
        it(name, () => {
          const g = matmulGeometry('matmul', ba, bb, aShape, bShape, tA, tB);
          expect(matmulKernel(g)).to.equal(kernel);
          const want = cpuBackend.readSync(cpuBackend.matmul(cpuBackend.fromArray(Float64Array.from(a)), cpuBackend.fromArray(Float64Array.from(b)), g));
          const got = be().readSync(be().matmul(be().fromArray(a), be().fromArray(b), g)) as Float32Array;
          expectClose(got, want, 1e-4, name);
          // Every element is computed whole by one thread in a fixed order: the thread count changes nothing.
          const prev = results.get(name);
          if (prev === undefined) results.set(name, got);
          else expect(Array.from(got)).to.deep.equal(Array.from(prev));
        });
      }
    }
  });
}
