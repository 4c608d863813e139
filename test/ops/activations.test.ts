// Activations relu, relu6, sigmoid, tanh, silu: hand-computed values, gradchecks away from the kinks.

import '../../kernels/register.js';
import { relu, relu6, sigmoid, silu, tanh } from '../../ops/activations.js';
import { forEachBackendDtype } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, expectError, mk, read } from '../helpers/tensors.js';

const xs = [-8, -1, 0, 0.5, 3, 7];
const sig = (v: number): number => 1 / (1 + Math.exp(-v));

forEachBackendDtype((tb, dtype) => {
  const tol = dtype === 'float64' ? 1e-12 : 1e-6;

  describe('activations forward x=[6]', () => {
    it('relu and relu6', async () => {
      expectClose(await read(relu(mk(xs, [6], dtype, tb))), [0, 0, 0, 0.5, 3, 7], 0);
      expectClose(await read(relu6(mk(xs, [6], dtype, tb))), [0, 0, 0, 0.5, 3, 6], 0);
    });
    it('sigmoid, tanh and silu', async () => {
      expectClose(await read(sigmoid(mk(xs, [6], dtype, tb))), xs.map(sig), tol);
      expectClose(await read(tanh(mk(xs, [6], dtype, tb))), xs.map(Math.tanh), tol);
      expectClose(
        await read(silu(mk(xs, [6], dtype, tb))),
        xs.map((v) => v * sig(v)),
        tol,
      );
    });
    it('sigmoid stays finite at ±1000 (no exp overflow → NaN)', async () => {
      expectClose(await read(sigmoid(mk([-1000, 1000], [2], dtype, tb))), [0, 1], 0);
      expectClose(await read(silu(mk([-1000, 1000], [2], dtype, tb))), [0, 1000], tol);
    });
    it('non-tensor input names the op', () => {
      expectError(() => relu(null as never), 'relu', 'x must be a Tensor');
    });
  });

  if (dtype === 'float64' && tb.sync) {
    describe('activations gradcheck (float64) x=[2,3,4]', () => {
      for (const [name, f] of [
        ['relu', relu],
        ['sigmoid', sigmoid],
        ['tanh', tanh],
        ['silu', silu],
      ] as const) {
        it(name, () => checkGrad(f, [[2, 3, 4]], { lo: -3, hi: 3, on: tb }));
      }
      it('relu6 on [-2, 8)', () => checkGrad(relu6, [[2, 3, 4]], { lo: -2, hi: 8, on: tb }));
    });
  }
});
