// Broadcast gradients (a mean's backward): added to an input's other gradients broadcasting, materialised only where whole (a leaf's or a node's), same values as the expanded sum on every backend.

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
import { relu } from '../../ops/activations.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, expectError, read, rnd } from '../helpers/tensors.js';
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

/** x.grad of Σ mean(relu(x), [2,3])·u (+ Σ relu(x)·v), through `pool` (mean, or the unbroadcast sum / 25). */
function poolGrad(pool: (r: Tensor) => Tensor, x: Tensor, u: Tensor, v: Tensor | null): Tensor {
  const r = relu(x);
  const head = sum(mul(pool(r), u));
  (v === null ? head : add(head, sum(mul(r, v)))).backward();
  return x.grad!;
}

forEachBackendDtype((tb, dtype) => {
  describe('a mean gradient as a non-leaf node’s whole gradient, and added to its other gradient', () => {
    const shape = [3, 4, 5, 5];
    for (const mixed of [false, true]) {
      const what = mixed ? 'Σ mean(relu(x), [2,3])·u + Σ relu(x)·v' : 'Σ mean(relu(x), [2,3])·u (relu(x)’s whole gradient is the broadcast)';
      it(`${what}: x.grad equals the unbroadcast composition (sum / 25) and the hand-computed (x > 0)·(u/25${mixed ? ' + v' : ''})`, async () => {
        const u = rnd(2, [3, 4], dtype, tb);
        const v = mixed ? rnd(3, shape, dtype, tb) : null;
        const got = poolGrad((r) => mean(r, [2, 3]), rnd(1, shape, dtype, tb, -1, 1, true), u, v);
        expect(got.shape).to.deep.equal(shape);
        const want = poolGrad((r) => div(sum(r, [2, 3]), 25), rnd(1, shape, dtype, tb, -1, 1, true), u, v);
        const g = await read(got);
        expect(Array.from(g)).to.deep.equal(Array.from(await read(want)));
        const [xs, us, vs] = [await read(rnd(1, shape, dtype, tb)), await read(u), v === null ? null : await read(v)];
        const hand = Array.from(xs, (xi, i) => (xi > 0 ? us[Math.floor(i / 25)] / 25 + (vs === null ? 0 : vs[i]) : 0));
        expectClose(g, hand, dtype === 'float64' ? 1e-12 : 1e-6);
        expect(g.some((gi) => gi !== 0) && g.some((gi) => gi === 0), 'both relu branches').to.equal(true);
      });
    }
    if (dtype === 'float64' && tb.sync) {
      it('float64 gradcheck of both, x [2,3,3,3], u [2,3], v [2,3,3,3]', () => {
        checkGrad(
          (x, u) => sum(mul(mean(relu(x), [2, 3]), u)),
          [
            [2, 3, 3, 3],
            [2, 3],
          ],
          { on: tb },
        );
        checkGrad(
          (x, u, v) => add(sum(mul(mean(relu(x), [2, 3]), u)), sum(mul(relu(x), v))),
          [
            [2, 3, 3, 3],
            [2, 3],
            [2, 3, 3, 3],
          ],
          { on: tb },
        );
      });
    }
  });
});
