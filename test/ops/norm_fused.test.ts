// The fused training batchNorm2d op: recorded once, equal to the composite (values, gradients, running stats), float64 gradchecks, overflow fallback, in-place checks.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend } from '../../core/backend.js';
import { mul } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';
import { batchNorm2d } from '../../ops/norm.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, mk, read, rnd } from '../helpers/tensors.js';

/** The same backend without the batch-norm kernels, so batchNorm2d takes the composite (as on gpu). */
function withoutKernels(b: AnyBackend): AnyBackend {
  return Object.assign(Object.create(b) as AnyBackend, { batchNormStats: undefined, batchNormForward: undefined, batchNormBackward: undefined });
}

type Affine = 'both' | 'weight' | 'bias' | 'none';

forEachBackendDtype((tb, dtype) => {
  if (tb.backend.batchNormStats === undefined) return;
  const tol = dtype === 'float64' ? 1e-10 : 2e-4;

  /** One training step on backend b: y, the gradients of Σ y·r and the running statistics. */
  async function step(b: AnyBackend, shape: number[], affine: Affine, seed: number): Promise<{ op: string; out: Float64Array[] }> {
    const C = shape[1];
    const x = rnd(seed, shape, dtype, b, -3, 5, true);
    const w = affine === 'both' || affine === 'weight' ? rnd(seed + 1, [C], dtype, b, 0.5, 2, true) : null;
    const bias = affine === 'both' || affine === 'bias' ? rnd(seed + 2, [C], dtype, b, -1, 1, true) : null;
    const rm = mk(new Array<number>(C).fill(0.5), [C], dtype, b);
    const rv = mk(new Array<number>(C).fill(2), [C], dtype, b);
    const y = batchNorm2d(x, { weight: w, bias, runningMean: rm, runningVar: rv, training: true, momentum: 0.2 });
    sum(mul(y, rnd(seed + 3, shape, dtype, b))).backward();
    const ts = [y, x.grad!, ...(w ? [w.grad!] : []), ...(bias ? [bias.grad!] : []), rm, rv];
    return { op: y.node!.opName, out: await Promise.all(ts.map(read)) };
  }

  describe('batchNorm2d fused training op', () => {
    const shapes: [number[], Affine][] = [
      [[2, 3, 4, 5], 'both'],
      [[1, 4, 3, 3], 'none'],
      [[5, 1, 1, 1], 'weight'],
      [[3, 2, 7, 1], 'bias'],
      [[4, 6, 5, 5], 'both'],
    ];
    shapes.forEach(([shape, affine], i) => {
      it(`x=[${shape}] ${affine}: one recorded op, equal to the composite in y, every gradient and the running stats`, async () => {
        const fused = await step(tb.backend, shape, affine, 30 + i);
        const composite = await step(withoutKernels(tb.backend), shape, affine, 30 + i);
        expect(fused.op).to.equal('batchNorm2d');
        expect(composite.op).to.not.equal('batchNorm2d');
        expect(fused.out.length).to.equal(composite.out.length);
        fused.out.forEach((a, j) => expectClose(a, composite.out[j], tol, `output ${j}`));
      });
    });

    it('gradients only for what requires them: a constant weight gets none, x and bias do', async () => {
      const x = rnd(5, [2, 3, 2, 2], dtype, tb, -1, 1, true);
      const w = rnd(6, [3], dtype, tb);
      const b = rnd(7, [3], dtype, tb, -1, 1, true);
      sum(mul(batchNorm2d(x, { weight: w, bias: b, training: true }), rnd(8, [2, 3, 2, 2], dtype, tb))).backward();
      expect(w.grad).to.equal(null);
      expect(x.grad).to.not.equal(null);
      // dBias = Σ dy per channel.
      const r = await read(rnd(8, [2, 3, 2, 2], dtype, tb));
      const want = [0, 1, 2].map((c) => [0, 1].reduce((a, n) => a + [0, 1, 2, 3].reduce((s, i) => s + r[(n * 3 + c) * 4 + i], 0), 0));
      expectClose(await read(b.grad!), want, tol);
    });

    it('x modified in place between forward and backward is reported', () => {
      const x = rnd(5, [2, 2, 2, 2], dtype, tb, -1, 1, true);
      const y = batchNorm2d(x, { training: true });
      x.assign(rnd(6, [2, 2, 2, 2], dtype, tb));
      expect(() => sum(y).backward()).to.throw(/modified in place/);
    });

    if (dtype === 'float64') {
      it('float64 values whose squares overflow (±1e200 scale) fall back to the scaled composite: finite, equal to the scaled-down input', async () => {
        const x = rnd(9, [2, 2, 3, 3], 'float64', tb, -1, 1, true);
        const big = mul(x.detach(), 1e200);
        big.requiresGrad = true;
        const y = batchNorm2d(big, { training: true });
        expect(y.node!.opName).to.not.equal('batchNorm2d');
        // eps = 1e-5 is nothing against a variance of order 1e400: the reference at scale 1 takes eps ≈ 0.
        expectClose(await read(y), await read(batchNorm2d(x, { training: true, eps: 1e-300 })), 1e-9);
        sum(mul(y, rnd(10, [2, 2, 3, 3], 'float64', tb))).backward();
        expect(Array.from(await read(big.grad!)).every(Number.isFinite)).to.equal(true);
      });
    }

    if (dtype === 'float64' && tb.sync) {
      for (const affine of ['both', 'weight', 'bias', 'none'] as Affine[]) {
        it(`float64 gradcheck x=[2,3,2,3] ${affine}`, () => {
          const shapes = [[2, 3, 2, 3], ...(affine === 'both' || affine === 'weight' ? [[3]] : []), ...(affine === 'both' || affine === 'bias' ? [[3]] : [])];
          checkGrad(
            (x, p, q) =>
              batchNorm2d(x, {
                weight: affine === 'both' || affine === 'weight' ? p : null,
                bias: affine === 'both' ? q : affine === 'bias' ? p : null,
                training: true,
                eps: 1e-3,
              }),
            shapes,
            { on: tb },
          );
        });
      }
      it('float64 gradcheck x=[1,2,3,1] (B = 1) and x=[4,1,1,1] (C = 1, H·W = 1)', () => {
        checkGrad((x, w, b) => batchNorm2d(x, { weight: w, bias: b, training: true }), [[1, 2, 3, 1], [2], [2]], { on: tb });
        checkGrad((x, w, b) => batchNorm2d(x, { weight: w, bias: b, training: true }), [[4, 1, 1, 1], [1], [1]], { on: tb });
      });
    }
  });
});
