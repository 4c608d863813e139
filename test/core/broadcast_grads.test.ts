// Broadcast gradients (a mean's backward): added to an input's other gradients broadcasting, materialised only where whole, same values as the expanded sum.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend } from '../../core/backend.js';
import { broadcastGrad } from '../../core/autograd.js';
import { runOp, type Op } from '../../core/op.js';
import { Tensor } from '../../core/tensor.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { add, div, mul } from '../../ops/arithmetic.js';
import { expand, sum } from '../../ops/broadcast.js';
import { mean } from '../../ops/reduce.js';
import { reshape } from '../../ops/shape.js';
import { expectError, rnd } from '../helpers/tensors.js';
import { useWasmBackend } from '../helpers/wasm.js';

const vals = (t: Tensor): number[] => Array.from(t.dataSync());

describe('broadcast gradients in backprop', () => {
  const wasm = useWasmBackend(1);
  const backends: [string, () => AnyBackend][] = [
    ['cpu', () => cpuBackend],
    ['wasm', wasm],
  ];
  for (const [name, on] of backends) {
    it(`${name}: x [3,4,5,5] into a mean over [2,3] and an elementwise op: x.grad is bit-identical to v + expand(u / 25)`, () => {
      const x = rnd(1, [3, 4, 5, 5], 'float32', on(), -1, 1, true);
      const u = rnd(2, [3, 4], 'float32', on());
      const v = rnd(3, [3, 4, 5, 5], 'float32', on());
      add(sum(mul(mean(x, [2, 3]), u)), sum(mul(x, v))).backward();
      const want = add(v, expand(div(reshape(u, [3, 4, 1, 1]), 25), [3, 4, 5, 5]));
      expect(vals(x.grad!)).to.deep.equal(vals(want));
      expect(x.grad!.shape).to.deep.equal([3, 4, 5, 5]);
    });
    it(`${name}: two means of x (broadcast gradients, added broadcasting) and a reshape of x: the full gradient, same values`, () => {
      const x = rnd(4, [2, 3, 4], 'float32', on(), -1, 1, true);
      const y = add(add(sum(mean(x, [2])), sum(mul(mean(x, [1, 2]), 3))), sum(reshape(x, [24])));
      y.backward();
      const want = new Array<number>(24).fill(1.5); // 1/4 + 3/12 + 1, exact
      expect(vals(x.grad!)).to.deep.equal(want);
    });
  }
  it('a wrong-shaped gradient that is not marked as a broadcast is still an error naming the op', () => {
    const bad: Op<Record<string, never>, { shape: readonly number[] }> = {
      name: 'badGrad',
      plan: ([x]) => ({ shape: x.shape }),
      forward: (be, [x]) => be.gather(x, { dims: [x.size], strides: [1], offset: 0 }),
      backward: (dy) => [new Tensor(dy.backend.zeros(dy.dtype, 2), [2, 1], dy.backend)],
    };
    const x = rnd(5, [2, 3], 'float64', cpuBackend, -1, 1, true);
    expectError(() => sum(runOp(bad, [x], {})).backward(), 'badGrad', 'gradient of shape [2,1]', 'shape [2,3]');
    const marked: typeof bad = { ...bad, backward: (dy) => [broadcastGrad(new Tensor(dy.backend.zeros(dy.dtype, 2), [2, 1], dy.backend))] };
    sum(runOp(marked, [x], {})).backward();
    expect(x.grad!.shape).to.deep.equal([2, 3]);
    expect(vals(x.grad!)).to.deep.equal([0, 0, 0, 0, 0, 0]);
  });
});
