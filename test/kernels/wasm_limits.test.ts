// 32-bit limits of the wasm kernels: strides, dilations and paddings past them run the reference loops and match cpu.

import '../../kernels/register.js';
import { expect } from 'chai';
import { rand } from '../../core/creation.js';
import { conv2d, depthwiseConv2d } from '../../ops/conv.js';
import { maxPool2d } from '../../ops/pool.js';
import { sum } from '../../ops/broadcast.js';
import { convOutsideWasm } from '../../kernels/wasm/checks.js';
import { conv2dGeometry } from '../../kernels/geometry/conv.js';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { testBackends } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

const wasm = testBackends.find((t) => t.name === 'wasm');

/** y, dx and dw of conv2d (or depthwise) on a backend, from the same seeded inputs. */
function convRun(b: AnyBackend, opts: Record<string, number>, depthwise = false): number[][] {
  const x = rand([1, 2, 5, 5], { backend: b, seed: 1, requiresGrad: true });
  const w = rand(depthwise ? [2, 1, 3, 3] : [3, 2, 3, 3], { backend: b, seed: 2, requiresGrad: true });
  const y = depthwise ? depthwiseConv2d(x, w, null, opts) : conv2d(x, w, null, opts);
  sum(y).backward();
  return [[...y.shape], Array.from(y.dataSync()), Array.from(x.grad!.dataSync()), Array.from(w.grad!.dataSync())];
}

(wasm ? describe : describe.skip)('wasm 32-bit argument limits (x=[1,2,5,5] w=[3,2,3,3])', () => {
  const cases: [string, Record<string, number>][] = [
    ['stride 2^32', { stride: 2 ** 32 }],
    ['stride 1e300', { stride: 1e300 }],
    ['dilation 2^16 padding 2^16', { dilation: 2 ** 16, padding: 2 ** 16 }],
  ];
  for (const [name, opts] of cases) {
    it(`${name}: wasm computes what cpu computes (forward, dx, dw), conv and depthwise`, () => {
      for (const dw of [false, true]) {
        const c = convRun(cpuBackend, opts, dw);
        const wv = convRun(wasm!.backend, opts, dw);
        expect(wv[0]).to.deep.equal(c[0]);
        for (let k = 1; k < 4; k++) expectClose(wv[k], c[k], 1e-5);
      }
    });
  }

  it('the geometry check names why: a wrapped stride, a padded plane that is mostly padding', () => {
    const g = (o: Record<string, number>) => conv2dGeometry('conv2d', [1, 2, 5, 5], [3, 2, 3, 3], o, false);
    expect(convOutsideWasm(g({ stride: 2 ** 32 }))).to.match(/stride 4294967296 does not fit a 32-bit/);
    expect(convOutsideWasm(g({ dilation: 2 ** 16, padding: 2 ** 16 }))).to.match(/mostly padding/);
    expect(convOutsideWasm(g({ stride: 2, padding: 1 }))).to.equal(null);
  });

  it('max pooling with stride 2^32 matches cpu', () => {
    const run = (b: AnyBackend): number[] => Array.from(maxPool2d(rand([1, 2, 5, 5], { backend: b, seed: 3 }), { kernelSize: 2, stride: 2 ** 32 }).dataSync());
    expect(run(wasm!.backend)).to.deep.equal(run(cpuBackend));
  });
});
