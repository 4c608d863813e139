// The tape: topological order, accumulation of reused tensors, noGrad, detach, tidy/keep, repeated and zero backward.

import '../../kernels/register.js';
import { expect } from 'chai';
import { noGrad } from '../../core/engine.js';
import { keep, tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { add, exp, mul, sub } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';
import { expectClose } from '../helpers/close.js';
import { expectError, mk } from '../helpers/tensors.js';

const leaf = (v: number[], shape = [v.length]): Tensor => mk(v, shape, 'float64', undefined, true);
const vals = (t: Tensor | null): number[] => Array.from(t!.dataSync());

describe('autograd tape', () => {
  it('x=[3]: u=exp(x), loss=Σ(u·u + u) gives dx = u(2u+1): a node runs only after all its consumers', () => {
    const x = leaf([0.1, -0.5, 1.2]);
    const u = exp(x);
    let calls = 0;
    const orig = u.node!.backward;
    (u.node as { backward: typeof orig }).backward = (dy) => {
      calls++;
      return orig(dy);
    };
    sum(add(mul(u, u), u)).backward();
    expect(calls).to.equal(1);
    expectClose(
      vals(x.grad),
      [0.1, -0.5, 1.2].map((v) => Math.exp(v) * (2 * Math.exp(v) + 1)),
      1e-12,
    );
  });

  it('a diamond a→(b, c)→d visits every path: d = (2a)·(a+1), dd/da = 4a + 2', () => {
    const a = leaf([1, 2]);
    const b = mul(a, 2);
    const c = add(a, 1);
    sum(mul(b, c)).backward();
    expectClose(vals(a.grad), [6, 10], 1e-12);
  });

  it('a tensor used twice accumulates: x·x → 2x, x + x → 2', () => {
    const x = leaf([3, -1]);
    sum(mul(x, x)).backward();
    expectClose(vals(x.grad), [6, -2], 1e-12);
    const y = leaf([3, -1]);
    sum(add(y, y)).backward();
    expectClose(vals(y.grad), [2, 2], 1e-12);
  });

  it('two leaves receiving the same gradient tensor get independent .grad tensors', () => {
    const a = leaf([1, 2]);
    const b = leaf([3, 4]);
    sum(add(a, b)).backward();
    expect(a.grad).to.not.equal(b.grad);
    expectClose(vals(a.grad), [1, 1], 0);
    expectClose(vals(b.grad), [1, 1], 0);
  });

  it('noGrad records nothing; backward from its result names the reason', () => {
    const x = leaf([1, 2]);
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).to.equal(false);
    expect(y.node).to.equal(null);
    expectError(() => sum(y).backward(), 'backward', 'does not require grad');
  });

  it('detach cuts the tape: d/dx of x·detach(x) is detach(x)', () => {
    const x = leaf([2, 5]);
    const d = x.detach();
    expect(d.requiresGrad).to.equal(false);
    expect(d.node).to.equal(null);
    expect(vals(d)).to.deep.equal([2, 5]);
    sum(mul(x, d)).backward();
    expectClose(vals(x.grad), [2, 5], 0);
  });

  it('backward twice accumulates 2× the gradient; after clearing .grad it gives the same result', () => {
    const x = leaf([0.3, -0.7]);
    const loss = sum(mul(mul(x, x), x));
    loss.backward();
    const first = vals(x.grad);
    expectClose(first, [0.27, 1.47], 1e-12);
    loss.backward();
    expectClose(
      vals(x.grad),
      first.map((v) => 2 * v),
      1e-12,
    );
    x.grad = null;
    loss.backward();
    expectClose(vals(x.grad), first, 0);
  });

  it('a zero upstream gradient [2,2] gives zero gradients', () => {
    const a = leaf([1, 2, 3, 4], [2, 2]);
    const b = leaf([5, 6, 7, 8], [2, 2]);
    const y = sub(mul(a, b), exp(a));
    y.backward(mk([0, 0, 0, 0], [2, 2], 'float64'));
    expect(vals(a.grad)).to.deep.equal([0, 0, 0, 0]);
    expect(vals(b.grad)).to.deep.equal([0, 0, 0, 0]);
  });

  it('backward checks its seed: non-scalar roots need one, of the root shape and dtype', () => {
    const x = leaf([1, 2]);
    const y = mul(x, 3);
    expectError(() => y.backward(), 'backward', '[2]');
    expectError(() => y.backward(mk([1, 1, 1], [3], 'float64')), 'backward', '[3]', '[2]');
    expectError(() => y.backward(mk([1, 1], [2], 'float32')), 'backward', 'float32');
    expectError(() => y.requiresGrad_(false), 'requiresGrad_', 'non-leaf');
  });

  it("tidy disposes intermediates but not returned, kept, outer tensors or outer leaves' grads", () => {
    const outer = leaf([1, 2]);
    let inner: Tensor | null = null;
    let kept: Tensor | null = null;
    const out = tidy(() => {
      inner = mul(outer, 2);
      kept = keep(add(outer, 1));
      const r = sum(mul(inner, outer));
      r.backward();
      return { r };
    });
    expect(inner!.isDisposed).to.equal(true);
    expect(kept!.isDisposed).to.equal(false);
    expect(out.r.isDisposed).to.equal(false);
    expect(outer.isDisposed).to.equal(false);
    expect(outer.grad!.isDisposed).to.equal(false);
    expectClose(vals(outer.grad), [4, 8], 1e-12);
    expect(out.r.item()).to.equal(10);
  });

  it('nested tidy moves the returned tensor to the enclosing scope', () => {
    let mid: Tensor | null = null;
    tidy(() => {
      mid = tidy(() => mul(leaf([1]), 2));
      expect(mid.isDisposed).to.equal(false);
      return null;
    });
    expect(mid!.isDisposed).to.equal(true);
  });

  it('tidy frees what the function allocated when it throws', () => {
    const made: Tensor[] = [];
    expect(() =>
      tidy(() => {
        made.push(mul(leaf([1, 2]), 2));
        throw new Error('boom');
      }),
    ).to.throw('boom');
    expect(made[0].isDisposed).to.equal(true);
  });

  it('assign replaces data in place and checks shapes', () => {
    const t = mk([1, 2], [2], 'float64');
    t.assign(mk([7, 8], [2], 'float64'));
    expect(vals(t)).to.deep.equal([7, 8]);
    expectError(() => t.assign(mk([1, 2, 3], [3], 'float64')), 'assign', '[3]', '[2]');
  });
});
