// The wasm backend's gather: a contiguous run (offset or not) is copied whole, strided views element by element, both matching cpu.

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
];

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
  }
});
