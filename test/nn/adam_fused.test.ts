// The fused Adam/AdamW step (backend.adamStep: the cpu reference loop, the wasm SIMD kernel) against the same update composed from elementwise ops, on seeded shapes.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend } from '../../core/backend.js';
import { tensor } from '../../core/creation.js';
import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { Adam, AdamW } from '../../nn/optim/adam.js';
import type { Optimizer } from '../../nn/optim/optimizer.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randArray, randInt } from '../helpers/rng.js';
import { useWasmBackend, WASM_THREADS } from '../helpers/wasm.js';

/** The same backend with adamStep hidden, so Adam composes its update from ops. */
const opsOnly = (be: AnyBackend): AnyBackend => Object.create(be, { adamStep: { value: undefined } }) as AnyBackend;

type Make = (ps: Tensor[]) => Optimizer;
const CASES: [string, Make][] = [
  ['Adam', (ps) => new Adam(ps, { lr: 0.05 })],
  ['Adam weightDecay=0.1 betas=[0.8,0.9] eps=1e-3', (ps) => new Adam(ps, { lr: 0.05, weightDecay: 0.1, betas: [0.8, 0.9], eps: 1e-3 })],
  ['AdamW (weightDecay 0.01)', (ps) => new AdamW(ps, { lr: 0.05 })],
  ['AdamW weightDecay=0.3', (ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.3 })],
];

/** Four steps with seeded gradients on three parameters of seeded sizes (the last spans several 4096-element work items); returns every parameter and moment, flattened. */
function run(be: AnyBackend, dtype: DType, make: Make, seed: number): number[][] {
  const rand = mulberry32(seed);
  const sizes = [randInt(rand, 1, 40), randInt(rand, 100, 700), randInt(rand, 8200, 13000)];
  const ps = sizes.map((n) => tensor(randArray(rand, n, dtype), [n], { dtype, backend: be, requiresGrad: true }));
  const opt = make(ps);
  for (let s = 0; s < 4; s++) {
    ps.forEach((p, i) => {
      p.grad = tensor(randArray(rand, sizes[i], dtype, -2, 2), [sizes[i]], { dtype, backend: be });
    });
    opt.step();
    opt.zeroGrad();
  }
  const st = opt.stateDict().tensors;
  return ps.flatMap((p, i) => [p, st[`${i}.exp_avg`], st[`${i}.exp_avg_sq`]].map((t) => Array.from(t.dataSync())));
}

function parity(be: () => AnyBackend, dtype: DType, tol: number): void {
  for (const [name, make] of CASES) {
    it(`${dtype} ${name}: p, exp_avg, exp_avg_sq after 4 steps equal the op-composed update (3 seeds)`, () => {
      expect(typeof be().adamStep, 'the backend has a fused step').to.equal('function');
      for (const seed of [1, 2, 3]) {
        const got = run(be(), dtype, make, seed);
        const want = run(opsOnly(be()), dtype, make, seed);
        got.forEach((g, i) => expectClose(g, want[i], tol, `seed ${seed} tensor ${i}`));
      }
    });
  }
}

describe('fused Adam step', () => {
  describe('cpu', () => {
    parity(() => cpuBackend, 'float64', 1e-12);
    parity(() => cpuBackend, 'float32', 2e-6);
    it('rejects moments of another size or dtype (CondgradError naming adamStep)', () => {
      const s = (n: number, dtype: DType = 'float32') => cpuBackend.fromArray(dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
      const h = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
      expect(() => cpuBackend.adamStep(s(4), s(4), s(3), s(4), h)).to.throw(/adamStep.*m/);
      expect(() => cpuBackend.adamStep(s(4), s(4, 'float64'), s(4), s(4), h)).to.throw(/adamStep/);
    });
  });
  for (const threads of WASM_THREADS) {
    describe(`wasm, ${threads} thread(s) (float32: the SIMD kernel)`, () => {
      const be = useWasmBackend(threads);
      parity(be, 'float32', 2e-6);
      parity(be, 'float64', 1e-12);
    });
  }
});
