// gpu cast kernel: float32 copies match the cpu backend exactly, and float64 is refused with a named error.

import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { describeGpu } from '../helpers/gpu.js';
import { mulberry32, randInt } from '../helpers/rng.js';

describeGpu('gpu cast', (gpu) => {
  const rng = mulberry32(404);
  for (let c = 0; c < 30; c++) {
    const n = randInt(rng, 1, 2000);
    it(`cast float32 → float32 x=[${n}] matches the cpu backend exactly`, async () => {
      const x = Float32Array.from({ length: n }, () => (rng() * 2 - 1) * 1e3);
      const want = cpuBackend.readSync(cpuBackend.cast(cpuBackend.fromArray(x), 'float32'));
      const g = gpu();
      const xs = g.fromArray(x);
      const y = g.cast(xs, 'float32');
      expect(await g.read(y)).to.deep.equal(want);
      g.dispose(xs);
      g.dispose(y);
    });
  }
  it('cast float32 → float32 copies x=[7]', async () => {
    const g = gpu();
    const x = g.fromArray(new Float32Array([1, 2, 3, 4, 5, 6, 7.5]));
    const y = g.cast(x, 'float32');
    expect(y).to.not.equal(x);
    expect(Array.from(await g.read(y))).to.deep.equal([1, 2, 3, 4, 5, 6, 7.5]);
    g.dispose(x);
    g.dispose(y);
  });
  it('cast to float64 throws a CondgradError naming gpu.cast', () => {
    const g = gpu();
    const x = g.fromArray(new Float32Array([1]));
    expect(() => g.cast(x, 'float64')).to.throw(/gpu\.cast: .*float32 only.*cpu backend/);
    g.dispose(x);
  });
});
