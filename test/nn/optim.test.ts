// Optimizer and schedule tests: SGD/Adam/AdamW against PyTorch's update formulas for three steps, state dicts, and schedule values.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import { CondgradError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { square } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';
import { Adam, AdamW } from '../../nn/optim/adam.js';
import { SGD } from '../../nn/optim/sgd.js';
import type { Optimizer } from '../../nn/optim/optimizer.js';
import { applySchedule, constantLR, cosineLR, linearWarmupLR, sequentialLR, stepLR, warmupCosineLR } from '../../nn/optim/schedule.js';
import { expectClose } from '../helpers/close.js';

const GRADS = [0.5, -0.2, 0.3];

/** Runs three steps on a one-element float64 parameter p0 = start, with the gradients in GRADS. */
function run3(make: (ps: Tensor[]) => Optimizer, start = 1.0, grads = GRADS): number[] {
  const p = tensor([start], [1], { dtype: 'float64', requiresGrad: true });
  const opt = make([p]);
  return grads.map((g) => {
    p.grad = tensor([g], [1], { dtype: 'float64' });
    opt.step();
    opt.zeroGrad();
    return p.dataSync()[0];
  });
}

// Expected values: PyTorch's documented update rules evaluated by hand (float64) for p0 = 1 and
// gradients 0.5, −0.2, 0.3; e.g. SGD lr .1 μ .9 wd .1: g=.6, b=.6, p=.94; g=−.106, b=.434, p=.8966; ...
describe('nn/optim', () => {
  describe('SGD p=[1] grads 0.5,-0.2,0.3', () => {
    it('plain lr=0.1', () =>
      expectClose(
        run3((ps) => new SGD(ps, { lr: 0.1 })),
        [0.95, 0.97, 0.94],
        1e-12,
      ));
    it('momentum=0.9 weightDecay=0.1', () => {
      expectClose(
        run3((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.1 })),
        [0.94, 0.8966, 0.818574],
        1e-12,
      );
    });
    it('nesterov momentum=0.9 weightDecay=0.1', () => {
      expectClose(
        run3((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 })),
        [0.886, 0.858566, 0.750536646],
        1e-12,
      );
    });
    it('momentum=0.9 dampening=0.5', () => {
      expectClose(
        run3((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.5 })),
        [0.95, 0.915, 0.8685],
        1e-12,
      );
    });
    it('rejects nesterov without momentum and a negative lr', () => {
      const p = tensor([1], [1]);
      expect(() => new SGD([p], { nesterov: true })).to.throw(CondgradError, /nesterov needs momentum/);
      expect(() => new SGD([p], { lr: -1 })).to.throw(CondgradError, /lr must be/);
      expect(() => new SGD([], {})).to.throw(CondgradError, /params is empty/);
    });
  });

  describe('Adam/AdamW p=[1] grads 0.5,-0.2,0.3 lr=0.1', () => {
    it('Adam default betas', () => {
      expectClose(
        run3((ps) => new Adam(ps, { lr: 0.1 })),
        [0.900000002, 0.8654394181165108, 0.8109953836811554],
        1e-12,
      );
    });
    it('Adam weightDecay=0.1 (L2 in the gradient)', () => {
      expectClose(
        run3((ps) => new Adam(ps, { lr: 0.1, weightDecay: 0.1 })),
        [0.9000000016666666, 0.8475190629593703, 0.7791121607663538],
        1e-12,
      );
    });
    it('AdamW weightDecay=0.1 (decoupled)', () => {
      expectClose(
        run3((ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.1 })),
        [0.890000002, 0.8465394180965108, 0.7836299894801902],
        1e-12,
      );
    });
    it('Adam betas=[0.5,0.75] eps=1e-3 p0=-2 grads 1,2,-3', () => {
      const got = run3((ps) => new Adam(ps, { lr: 0.01, betas: [0.5, 0.75], eps: 1e-3 }), -2, [1, 2, -3]);
      expectClose(got, [-2.00999000999001, -2.0201001563417047, -2.015811546465224], 1e-12);
    });
    it('rejects betas outside [0, 1)', () => {
      expect(() => new Adam([tensor([1], [1])], { betas: [1, 0.9] })).to.throw(CondgradError, /betas\[0\]/);
    });
  });

  it('quadratic loss sum(p²) via autograd, p=[2,2] float32: SGD lr=0.25 halves p each step, same Tensor object', () => {
    const p = tensor([1, -2, 3, 0.5], [2, 2], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.25 });
    const before = p;
    for (let s = 0; s < 2; s++) {
      opt.zeroGrad();
      sum(square(p)).backward();
      opt.step();
    }
    expect(p).to.equal(before);
    expect(p.requiresGrad).to.equal(true);
    expectClose(p.dataSync(), [0.25, -0.5, 0.75, 0.125], 1e-7);
    opt.zeroGrad();
    expect(p.grad).to.equal(null);
  });

  it('skips parameters without a gradient and counts steps per parameter (Adam)', () => {
    const a = tensor([1], [1], { dtype: 'float64' });
    const b = tensor([1], [1], { dtype: 'float64' });
    const opt = new Adam([a, b], { lr: 0.1 });
    a.grad = tensor([0.5], [1], { dtype: 'float64' });
    opt.step();
    a.grad = null;
    b.grad = tensor([0.5], [1], { dtype: 'float64' });
    opt.step();
    expect(opt.stateDict().meta.steps).to.deep.equal([1, 1]);
    expectClose(a.dataSync(), [0.900000002], 1e-12);
    expectClose(b.dataSync(), [0.900000002], 1e-12);
  });

  for (const [name, make] of [
    ['SGD nesterov', (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 })],
    ['Adam', (ps: Tensor[]) => new Adam(ps, { lr: 0.1 })],
    ['AdamW', (ps: Tensor[]) => new AdamW(ps, { lr: 0.1, weightDecay: 0.1 })],
  ] as const) {
    it(`${name}: stateDict after 2 steps → loadStateDict into a fresh optimizer → step 3 equals the uninterrupted run`, () => {
      const straight = run3(make);
      const p = tensor([1], [1], { dtype: 'float64' });
      const opt = make([p]);
      for (const g of GRADS.slice(0, 2)) {
        p.grad = tensor([g], [1], { dtype: 'float64' });
        opt.step();
      }
      const sd = opt.stateDict();
      const q = tensor(p.dataSync(), [1], { dtype: 'float64' });
      const fresh = make([q]);
      fresh.lr = 123;
      fresh.loadStateDict({ meta: JSON.parse(JSON.stringify(sd.meta)) as typeof sd.meta, tensors: sd.tensors });
      opt.disposeState();
      q.grad = tensor([GRADS[2]], [1], { dtype: 'float64' });
      fresh.step();
      expect(fresh.lr).to.equal(0.1);
      expectClose(q.dataSync(), [straight[2]], 1e-12);
    });
  }

  it('loadStateDict rejects another kind, a wrong parameter count and a wrong buffer shape', () => {
    const p = tensor([1, 2], [2], { dtype: 'float64' });
    const opt = new Adam([p]);
    p.grad = tensor([1, 1], [2], { dtype: 'float64' });
    opt.step();
    const sd = opt.stateDict();
    expect(() => new SGD([p]).loadStateDict(sd)).to.throw(CondgradError, /state is for optimizer 'adam'/);
    expect(() => new Adam([p, tensor([1], [1], { dtype: 'float64' })]).loadStateDict(sd)).to.throw(CondgradError, /1 parameters, this optimizer has 2/);
    const q = tensor([1, 2, 3], [3], { dtype: 'float64' });
    expect(() => new Adam([q]).loadStateDict(sd)).to.throw(CondgradError, /shape \[2\] but params\[0\] has \[3\]/);
  });

  describe('schedules', () => {
    it('stepLR lr=1 stepSize=2 gamma=0.5 at t=0..4', () => {
      const s = stepLR(1, { stepSize: 2, gamma: 0.5 });
      expect([0, 1, 2, 3, 4].map((t) => s.at(t))).to.deep.equal([1, 1, 0.5, 0.5, 0.25]);
      expect(s.per).to.equal('epoch');
    });
    it('cosineLR lr=1 total=4 minLr=0.1 at t=0..5', () => {
      const s = cosineLR(1, { total: 4, minLr: 0.1 });
      const c = (t: number): number => 0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * t) / 4));
      expectClose(
        [0, 1, 2, 3, 4, 5].map((t) => s.at(t)),
        [1, c(1), 0.55, c(3), 0.1, 0.1],
        1e-12,
      );
    });
    it('linearWarmupLR lr=0.4 warmup=4 (startFactor 1/4) at t=0..5', () => {
      const s = linearWarmupLR(0.4, { warmup: 4 });
      expectClose(
        [0, 1, 2, 3, 4, 5].map((t) => s.at(t)),
        [0.1, 0.175, 0.25, 0.325, 0.4, 0.4],
        1e-12,
      );
    });
    it('warmupCosineLR lr=1 warmup=2 total=6 startFactor=0: ramps then decays to 0 at t=6', () => {
      const s = warmupCosineLR(1, { warmup: 2, total: 6, startFactor: 0 });
      expectClose(
        [0, 1, 2, 3, 4, 5, 6, 7].map((t) => s.at(t)),
        [0, 0.5, 1, 0.5 * (1 + Math.cos(Math.PI / 4)), 0.5, 0.5 * (1 + Math.cos((3 * Math.PI) / 4)), 0, 0],
        1e-12,
      );
    });
    it('sequentialLR rejects mixed units and bad milestones', () => {
      expect(() => sequentialLR([constantLR(1, { per: 'step' }), constantLR(1, { per: 'epoch' })], [2])).to.throw(CondgradError, /per epoch/);
      expect(() => sequentialLR([constantLR(1), constantLR(1)], [0])).to.throw(CondgradError, /milestones/);
      expect(() => stepLR(1, { stepSize: 0 })).to.throw(CondgradError, /stepSize/);
    });
    it('applySchedule uses the epoch for per-epoch and the global step for per-step schedules', () => {
      const opt = new SGD([tensor([1], [1])], { lr: 1 });
      expect(applySchedule(opt, stepLR(1, { stepSize: 1, gamma: 0.5 }), 2, 17)).to.equal(0.25);
      expect(opt.lr).to.equal(0.25);
      expect(applySchedule(opt, linearWarmupLR(1, { warmup: 4, startFactor: 0, per: 'step' }), 9, 1)).to.equal(0.25);
    });
  });
});
