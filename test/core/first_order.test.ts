// The gradient contract: gradients are first-order; differentiating a .grad is a named CondgradError, never a silently wrong number.

import '../../kernels/register.js';
import { expect } from 'chai';
import { CondgradError } from '../../core/errors.js';
import { noGrad } from '../../core/engine.js';
import { randn } from '../../core/creation.js';
import { mul } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';
import { conv2d } from '../../ops/conv.js';
import { maxPool2d } from '../../ops/pool.js';
import { condConv2d } from '../../ops/cond_conv.js';
import { expectClose } from '../helpers/close.js';

const f64 = { dtype: 'float64' as const, requiresGrad: true };

describe('gradients are first-order', () => {
  it('conv2d x=[2,3,5,5] w=[4,3,3,3] p=1: a gradient penalty through x.grad raises a CondgradError naming the op', () => {
    const x = randn([2, 3, 5, 5], { ...f64, seed: 1 });
    const w = randn([4, 3, 3, 3], { ...f64, seed: 2 });
    sum(conv2d(x, w, null, { padding: 1 })).backward();
    expect(x.grad).to.not.equal(null);
    // d/dx Σ (dL/dx)² needs the second derivative, which the first-order tape cannot give: the
    // gradient is a constant off the tape, and mixing it with x in a recorded op is refused.
    expect(() => sum(mul(x.grad!, x.grad!)).backward()).to.throw(CondgradError, /^backward: tensor \[\] does not require grad/);
    expect(() => mul(x.grad!, x)).to.throw(CondgradError, /^mul: input 0 \[2,3,5,5\] is the \.grad of another tensor; gradients are first-order/);
    expect(() => conv2d(x.grad!, w)).to.throw(CondgradError, /^conv2d: input 0 .* is the \.grad of another tensor/);
  });

  it('condConv2d and maxPool2d: x.grad cannot be backpropagated or fed to a recorded op', () => {
    const x = randn([2, 3, 5, 5], { ...f64, seed: 3 });
    const experts = randn([2, 4, 3, 3, 3], { ...f64, seed: 4 });
    const routing = randn([2, 2], { ...f64, seed: 5 });
    sum(maxPool2d(condConv2d(x, experts, routing, null, { padding: 1 }), { kernelSize: 2 })).backward();
    expect(() => x.grad!.backward()).to.throw(CondgradError, /^backward: tensor \[2,3,5,5\] is the \.grad of another tensor/);
    // Even marked requiresGrad, a .grad stays a gradient: the mixing op (the first op condConv2d records) refuses it.
    const eg = experts.grad!.requiresGrad_(true);
    expect(() => condConv2d(x, eg, routing, null, { padding: 1 })).to.throw(
      CondgradError,
      /^mixExperts: input 1 \[2,4,3,3,3\] is the \.grad of another tensor/,
    );
  });

  it('.grad.detach() is a plain constant: d/dx Σ(stop(g) · x) = g, and noGrad may use .grad freely (optimizers do)', () => {
    const x = randn([3, 4], { ...f64, seed: 6 });
    sum(mul(x, x)).backward();
    const g = x.grad!.detach();
    const want = Array.from(g.dataSync());
    x.grad = null;
    sum(mul(g, x)).backward();
    expectClose(x.grad!.dataSync(), want, 1e-15, 'dx');
    const y = noGrad(() => mul(x.grad!, 2));
    expectClose(
      y.dataSync(),
      want.map((v) => 2 * v),
      1e-15,
      'noGrad',
    );
  });
});
