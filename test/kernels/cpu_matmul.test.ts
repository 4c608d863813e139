// CPU batched matmul against a naive triple loop: transposes, batch broadcast and edge tiles.

import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { matmulGeometry } from '../../kernels/geometry/matmul.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randArray, randInt } from '../helpers/rng.js';

/** C[b] = op(A[b]) op(B[b]) by the definition, A stored [M,K] (or [K,M] when transA), B [K,N] (or [N,K]). */
function naiveMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  batchA: number,
  batchB: number,
  M: number,
  N: number,
  K: number,
  transA: boolean,
  transB: boolean,
): Float64Array {
  const batch = Math.max(batchA, batchB);
  const c = new Float64Array(batch * M * N);
  for (let bi = 0; bi < batch; bi++) {
    const ab = batchA === 1 ? 0 : bi;
    const bb = batchB === 1 ? 0 : bi;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a[ab * M * K + (transA ? k * M + i : i * K + k)];
          const bv = b[bb * K * N + (transB ? j * K + k : k * N + j)];
          s += av * bv;
        }
        c[(bi * M + i) * N + j] = s;
      }
    }
  }
  return c;
}

describe('cpu matmul vs naive triple loop', () => {
  const be = new CpuBackend();
  const rng = mulberry32(4242);
  const batches: [number, number][] = [
    [1, 1],
    [3, 3],
    [1, 3],
    [3, 1],
  ];
  let t = 0;
  for (const [batchA, batchB] of batches) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const dtype: DType = t++ % 2 === 0 ? 'float32' : 'float64';
        const M = randInt(rng, 1, 11),
          N = randInt(rng, 1, 11),
          K = randInt(rng, 1, 13);
        const aShape: [number, number] = transA ? [K, M] : [M, K];
        const bShape: [number, number] = transB ? [N, K] : [K, N];
        it(`a=[${batchA},${aShape}]${transA ? 'ᵀ' : ''} b=[${batchB},${bShape}]${transB ? 'ᵀ' : ''} ${dtype}`, () => {
          const g = matmulGeometry('matmul', batchA, batchB, aShape, bShape, transA, transB);
          const a = randArray(rng, batchA * M * K, dtype);
          const b = randArray(rng, batchB * K * N, dtype);
          const c = be.readSync(be.matmul(be.fromArray(a), be.fromArray(b), g));
          expectClose(c, naiveMatmul(a, b, batchA, batchB, M, N, K, transA, transB), dtype === 'float32' ? 1e-6 : 1e-13);
        });
      }
    }
  }
  it('a=[1,37,45] b=[1,45,29] float64 (several full and edge tiles)', () => {
    const a = randArray(rng, 37 * 45, 'float64');
    const b = randArray(rng, 45 * 29, 'float64');
    const g = matmulGeometry('matmul', 1, 1, [37, 45], [45, 29], false, false);
    expectClose(be.readSync(be.matmul(be.fromArray(a), be.fromArray(b), g)), naiveMatmul(a, b, 1, 1, 37, 29, 45, false, false), 1e-13);
  });
  it('a=[1,2,2] b=[1,2,2] hand-computed: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]', () => {
    const g = matmulGeometry('matmul', 1, 1, [2, 2], [2, 2], false, false);
    const c = be.readSync(be.matmul(be.fromArray(new Float64Array([1, 2, 3, 4])), be.fromArray(new Float64Array([5, 6, 7, 8])), g));
    expect(Array.from(c)).to.deep.equal([19, 22, 43, 50]);
  });
  it('rejects a float32 with b float64, naming matmul and both dtypes (a=[2,2] b=[2,2])', () => {
    const g = matmulGeometry('matmul', 1, 1, [2, 2], [2, 2], false, false);
    expect(() => be.matmul(be.fromArray(new Float32Array(4)), be.fromArray(new Float64Array(4)), g)).to.throw(/matmul.*float32.*float64/);
  });
  it('rejects a storage of the wrong size for a=[2,3]', () => {
    const g = matmulGeometry('matmul', 1, 1, [2, 3], [3, 2], false, false);
    expect(() => be.matmul(be.fromArray(new Float64Array(5)), be.fromArray(new Float64Array(6)), g)).to.throw(/matmul.*a has 5 elements/);
  });
});
