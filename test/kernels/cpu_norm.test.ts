// The cpu batch-norm kernels against naive per-channel loops (float64), hand-computed values, and their argument checks.

import '../../kernels/register.js';
import { expect } from 'chai';
import { cpuBackend, type CpuStorage } from '../../kernels/cpu/backend.js';
import { batchNormGeometry } from '../../kernels/geometry/norm.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32 } from '../helpers/rng.js';
import { expectError } from '../helpers/tensors.js';

const f64 = (a: ArrayLike<number>): CpuStorage => cpuBackend.fromArray(Float64Array.from(a));
const rd = (s: CpuStorage): number[] => Array.from(s.data);

/** Channel c's values of x [B, C, P] as a list. */
function channel(x: ArrayLike<number>, [B, C, H, W]: number[], c: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let i = 0; i < H * W; i++) out.push(x[(b * C + c) * H * W + i]);
  return out;
}

describe('cpu batch-norm kernels', () => {
  it('x=[2,1,1,2] = [1, 2, 3, 6]: mean 3, variance 3.5, y = (x − 3)/√3.5 · 2 + 1; the gradient sums by hand', () => {
    const g = batchNormGeometry('t', [2, 1, 1, 2]);
    const st = cpuBackend.batchNormStats(f64([1, 2, 3, 6]), g, 0.5);
    // stats [3, C]: mean, biased variance, invstd.
    expect(rd(st)).to.deep.equal([3, 3.5, 0.5]);
    const y = cpuBackend.batchNormForward(f64([1, 2, 3, 6]), st, f64([2]), f64([1]), g);
    expectClose(rd(y), [-1, 0, 1, 4], 1e-15);
    // dy = [1, 0, 0, 1]: dBias = 2, dWeight = Σ dy·x̂ = (−2 + 3)/2 = 0.5; dx = 2·0.5·(dy − 0.5 − x̂·0.125).
    const r = cpuBackend.batchNormBackward(f64([1, 2, 3, 6]), f64([1, 0, 0, 1]), st, f64([2]), g, true);
    expect(rd(r.dBias)).to.deep.equal([2]);
    expectClose(rd(r.dWeight), [0.5], 1e-15);
    expectClose(rd(r.dx!), [1 - 0.5 + 0.125, -0.5 + 0.0625, -0.5, 1 - 0.5 - 0.1875], 1e-15);
  });

  for (const shape of [
    [3, 4, 2, 5],
    [1, 2, 3, 3],
    [5, 1, 1, 1],
  ]) {
    it(`x=[${shape}] with and without weight/bias matches naive loops`, () => {
      const rng = mulberry32(shape.reduce((a, d) => a * 7 + d, 3));
      const g = batchNormGeometry('t', shape);
      const C = shape[1];
      const x = Array.from({ length: g.size }, () => 3 + 2 * rng());
      const dy = Array.from({ length: g.size }, () => rng() - 0.5);
      const w = Array.from({ length: C }, () => rng() + 0.5);
      const bias = Array.from({ length: C }, () => rng());
      for (const affine of [true, false]) {
        const st = cpuBackend.batchNormStats(f64(x), g, 1e-3);
        const y = rd(cpuBackend.batchNormForward(f64(x), st, affine ? f64(w) : null, affine ? f64(bias) : null, g));
        const r = cpuBackend.batchNormBackward(f64(x), f64(dy), st, affine ? f64(w) : null, g, true);
        for (let c = 0; c < C; c++) {
          const xc = channel(x, shape, c);
          const dc = channel(dy, shape, c);
          const n = xc.length;
          const mu = xc.reduce((a, v) => a + v, 0) / n;
          const v = xc.reduce((a, u) => a + (u - mu) ** 2, 0) / n;
          const is = 1 / Math.sqrt(v + 1e-3);
          const xh = xc.map((u) => (u - mu) * is);
          const gm = affine ? w[c] : 1;
          const dB = dc.reduce((a, d) => a + d, 0);
          const dW = dc.reduce((a, d, i) => a + d * xh[i], 0);
          expectClose([st.data[c], st.data[C + c], st.data[2 * C + c]], [mu, v, is], 1e-12, `stats c=${c}`);
          expectClose(
            channel(y, shape, c),
            xh.map((u) => u * gm + (affine ? bias[c] : 0)),
            1e-12,
            `y c=${c}`,
          );
          expectClose([r.dBias.data[c], r.dWeight.data[c]], [dB, dW], 1e-12, `sums c=${c}`);
          expectClose(
            channel(r.dx!.data, shape, c),
            dc.map((d, i) => gm * is * (d - dB / n - (xh[i] * dW) / n)),
            1e-12,
            `dx c=${c}`,
          );
        }
      }
    });
  }

  it('bad storages: wrong sizes and mixed dtypes name the kernel and the argument', () => {
    const g = batchNormGeometry('t', [2, 3, 2, 2]);
    const x = f64(new Array(24).fill(1));
    const st = f64(new Array(9).fill(1));
    expectError(() => cpuBackend.batchNormStats(f64([1, 2]), g, 1e-5), 'cpu.batchNormStats', 'x', '2 elements', '24');
    expectError(() => cpuBackend.batchNormForward(x, f64([1, 2, 3]), null, null, g), 'cpu.batchNormForward', 'stats', '3 elements', '9');
    const w32 = cpuBackend.fromArray(new Float32Array(3));
    expectError(() => cpuBackend.batchNormForward(x, st, w32, null, g), 'cpu.batchNormForward', 'weight', 'float32', 'float64');
    expectError(() => cpuBackend.batchNormForward(x, st, f64([1, 1]), null, g), 'cpu.batchNormForward', 'weight', '2 elements', '3');
    expectError(() => cpuBackend.batchNormBackward(x, f64([1]), st, null, g, true), 'cpu.batchNormBackward', 'dy', '1 elements');
  });

  it('the geometry refuses x not rank 4 and a single value per channel', () => {
    expectError(() => batchNormGeometry('batchNorm2d', [2, 3, 4]), 'batchNorm2d', '[2,3,4]');
    expectError(() => batchNormGeometry('batchNorm2d', [1, 3, 1, 1]), 'batchNorm2d', '[1,3,1,1]', 'more than one value');
  });
});
