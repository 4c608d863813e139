// Moving tensors between backends: to() and toAsync() copy the data, keep leaf requiresGrad, and refuse a dtype the target cannot store.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend } from '../../core/backend.js';
import { CondgradError } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { mul } from '../../ops/arithmetic.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

function onCpu(values: number[], shape: number[], requiresGrad = false): Tensor {
  return new Tensor(cpuBackend.fromArray(new Float32Array(values)), shape, cpuBackend, requiresGrad);
}

forEachBackend((tb) => {
  if (tb.name === 'cpu') {
    it('toAsync and to() onto the backend a tensor is on return the tensor itself', async () => {
      const x = onCpu([1, 2], [2], true);
      expect(await x.toAsync(cpuBackend)).to.equal(x);
      expect(await x.toAsync('cpu')).to.equal(x);
      expect(x.to(cpuBackend)).to.equal(x);
    });
    return;
  }
  describe(`toAsync cpu ⇄ ${tb.name}`, () => {
    it('x=[2,3] copies the values there and back, as a leaf that keeps requiresGrad', async () => {
      const values = [1.5, -2, 0, 3.25, 0.125, -7]; // exact in float32
      const x = onCpu(values, [2, 3], true);
      const there = await x.toAsync(tb.backend);
      expect(there.backend).to.equal(tb.backend);
      expect([...there.shape]).to.deep.equal([2, 3]);
      expect(there.requiresGrad).to.equal(true);
      expect(there.node).to.equal(null);
      expectClose(await there.data(), values, 0, 'there');
      const back = await there.toAsync(cpuBackend);
      expect(back.backend).to.equal(cpuBackend);
      expectClose(back.dataSync(), values, 0, 'back');
      expect(back).to.not.equal(x);
    });

    it('a non-leaf result moves as a plain tensor (its tape stays behind); the same backend returns the tensor itself', async () => {
      const x = onCpu([1, 2], [2], true);
      const y = mul(x, x);
      const moved = await y.toAsync(tb.backend);
      expect(moved.requiresGrad).to.equal(false);
      expectClose(await moved.data(), [1, 4], 0, 'y');
      expect(await moved.toAsync(tb.backend)).to.equal(moved);
    });
  });
});

describe('toAsync bad input', () => {
  it('a float64 tensor to a float32-only backend is a CondgradError naming both', async () => {
    const x = new Tensor(cpuBackend.fromArray(new Float64Array([1, 2])), [2], cpuBackend);
    const float32Only = { name: 'gpu', dtypes: ['float32'] } as unknown as AnyBackend;
    let err: unknown = null;
    try {
      await x.toAsync(float32Only);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    expect((err as Error).message).to.match(/toAsync: backend 'gpu' does not store float64 \(tensor \[2\]\)/);
  });
});
