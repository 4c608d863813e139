// In-place writes between forward and backward: the version counter makes backward() refuse instead of returning a wrong gradient.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import { add, exp, mul } from '../../ops/arithmetic.js';
import { reshape } from '../../ops/shape.js';
import { sum } from '../../ops/broadcast.js';
import { SGD } from '../../nn/optim/sgd.js';
import { Adam } from '../../nn/optim/adam.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectError, read } from '../helpers/tensors.js';

forEachBackend((tb) => {
  const on = { backend: tb.backend };
  const leaf = (v: number[]): Tensor => tensor(v, undefined, { ...on, requiresGrad: true });

  describe('version counter: in-place writes before backward', () => {
    it('assign bumps the version; requiresGrad_ does not', () => {
      const w = leaf([3, 4]);
      expect(w.version).to.equal(0);
      w.requiresGrad_(true);
      expect(w.version).to.equal(0);
      w.assign(tensor([1, 2], undefined, on));
      expect(w.version).to.equal(1);
    });

    it('y = Σ x·w with w=[3,4]; w.assign(w·10) before y.backward() raises naming w [2] and mul (not dx=[30,40])', () => {
      const x = leaf([1, 1]);
      const w = leaf([3, 4]);
      const y = sum(mul(x, w));
      w.assign(mul(w, 10).detach());
      const e = expectError(() => y.backward(), 'backward', '[2]', "'mul'", 'modified in place', 'version 0');
      expect(e.message).to.include(`#${w.id}`);
      expect(x.grad, 'no gradient was accumulated').to.equal(null);
    });

    it('the error names a tensor by its name when it has one', () => {
      const w = leaf([3, 4]);
      w.name = 'conv.weight';
      const y = sum(exp(w));
      w.assign(tensor([0, 0], undefined, on));
      expectError(() => y.backward(), 'backward', "'conv.weight'", "'exp'");
    });

    it('opt.step() (SGD and Adam) between forward and backward raises instead of using the stepped weights', () => {
      for (const make of [(p: Tensor[]) => new SGD(p, { lr: 0.1 }), (p: Tensor[]) => new Adam(p, { lr: 0.1 })]) {
        const x = leaf([1, 2]);
        const w = leaf([3, 4]);
        sum(mul(x, w)).backward();
        const y = sum(mul(x, w));
        make([w]).step();
        expectError(() => y.backward(), 'backward', `#${w.id}`, "'mul'");
      }
    });

    it('a write to a tensor whose op does not read it (add, reshape) is allowed, and the gradient is right', async () => {
      const x = leaf([1, 2]);
      const w = leaf([3, 4]);
      const y = sum(reshape(add(x, w), [2, 1]));
      w.assign(tensor([30, 40], undefined, on));
      y.backward();
      expect([...(await read(x.grad!))]).to.deep.equal([1, 1]);
      expect([...(await read(w.grad!))]).to.deep.equal([1, 1]);
    });

    it('forward after the write (a new tape) backpropagates through the new values: dx = [30, 40]', async () => {
      const x = leaf([1, 1]);
      const w = leaf([3, 4]);
      w.assign(tensor([30, 40], undefined, on));
      sum(mul(x, w)).backward();
      expect([...(await read(x.grad!))]).to.deep.equal([30, 40]);
    });
  });
});
