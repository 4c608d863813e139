// The wasm backend's gather: a contiguous run (offset or not) is copied whole, broadcast rows filled, contiguous rows copied, other views element by element, all matching cpu.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import type { StridedView } from '../../kernels/geometry/strided.js';
import { mulberry32, randArray } from '../helpers/rng.js';
import { useWasmBackend } from '../helpers/wasm.js';

const VIEWS: [string, StridedView][] = [
  ['contiguous dims=[50] offset 0', { dims: [50], strides: [1], offset: 0 }],
  ['contiguous dims=[17] offset 23', { dims: [17], strides: [1], offset: 23 }],
  ['empty dims=[0] offset 5', { dims: [0], strides: [1], offset: 5 }],
  ['strided dims=[4,6] strides=[1,10] offset 2', { dims: [4, 6], strides: [1, 10], offset: 2 }],
  ['stride 3 dims=[20] offset 1', { dims: [20], strides: [3], offset: 1 }],
  ['broadcast rows dims=[4,16] strides=[1,0] offset 3 (an expand)', { dims: [4, 16], strides: [1, 0], offset: 3 }],
  ['broadcast rows dims=[2,3,20] strides=[0,5,0] offset 7', { dims: [2, 3, 20], strides: [0, 5, 0], offset: 7 }],
  ['broadcast dims=[40] strides=[0] offset 9', { dims: [40], strides: [0], offset: 9 }],
  ['contiguous rows dims=[3,16] strides=[20,1] offset 1 (a slice)', { dims: [3, 16], strides: [20, 1], offset: 1 }],
  ['contiguous rows dims=[2,2,16] strides=[16,32,1] offset 0 (a permute)', { dims: [2, 2, 16], strides: [16, 32, 1], offset: 0 }],
  ['short broadcast rows dims=[8,15] strides=[1,0] offset 0', { dims: [8, 15], strides: [1, 0], offset: 0 }],
];

/** A seeded random view of rank 1..4 (inner dim often 16 or more, inner stride 0, 1 or 2) and the buffer size it needs. */
function randomView(rand: () => number): { view: StridedView; size: number } {
  const rank = 1 + Math.floor(rand() * 4);
  const dims = Array.from({ length: rank }, (_, d) => (d === rank - 1 ? 1 + Math.floor(rand() * 40) : 1 + Math.floor(rand() * 4)));
  const inner = [0, 1, 2][Math.floor(rand() * 3)];
  const strides = dims.map((_, d) => (d === rank - 1 ? inner : Math.floor(rand() * 3) * Math.floor(1 + rand() * 50)));
  const offset = Math.floor(rand() * 5);
  const size = offset + dims.reduce((acc, n, d) => acc + (n - 1) * strides[d], 0) + 1;
  return { view: { dims, strides, offset }, size };
}

describe('wasm gather x=[64]', () => {
  const be = useWasmBackend(1);
  for (const dtype of ['float32', 'float64'] as const) {
    for (const [name, view] of VIEWS) {
      it(`${dtype} ${name} equals the cpu reference`, () => {
        const x = randArray(mulberry32(3), 64, dtype);
        const got = be().readSync(be().gather(be().fromArray(x), view));
        const want = cpuBackend.readSync(cpuBackend.gather(cpuBackend.fromArray(x), view));
        expect(got.constructor).to.equal(want.constructor);
        expect(Array.from(got)).to.deep.equal(Array.from(want));
      });
    }
    it(`${dtype} 60 seeded random views (broadcast, contiguous and strided rows) equal the cpu reference`, () => {
      const rand = mulberry32(11);
      for (let t = 0; t < 60; t++) {
        const { view, size } = randomView(rand);
        const x = randArray(rand, size, dtype);
        const got = be().readSync(be().gather(be().fromArray(x), view));
        const want = cpuBackend.readSync(cpuBackend.gather(cpuBackend.fromArray(x), view));
        expect(Array.from(got), JSON.stringify(view)).to.deep.equal(Array.from(want));
      }
    });
  }
});
