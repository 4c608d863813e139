// The wasm threads' spin before they sleep: the option beats CONDGRAD_SPIN_US beats 200 µs; bad values are named errors; results do not depend on it.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import { CondgradError } from '../../core/errors.js';
import { chooseSpinMicros, DEFAULT_SPIN_US, MAX_SPIN_US, SPIN_ENV } from '../../core/threads.js';
import { Rng } from '../../core/random.js';
import { buildWasm } from '../../kernels/wasm/build.mjs';
import { createWasmBackend, type WasmBackend } from '../../kernels/wasm/backend.js';
import { sum } from '../../ops/broadcast.js';
import { condConv2d } from '../../ops/cond_conv.js';
import { matmul } from '../../ops/matmul.js';
import { expectError } from '../helpers/tensors.js';

const rand = (n: number, seed: number): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-1, 1));
};

describe('wasm thread spin', function () {
  this.timeout(120000);
  before(() => buildWasm({ quiet: true }));

  it('the option wins, then CONDGRAD_SPIN_US, then 200 µs', () => {
    expect(SPIN_ENV).to.equal('CONDGRAD_SPIN_US');
    expect(DEFAULT_SPIN_US).to.equal(200);
    expect(chooseSpinMicros(0, { env: '500' })).to.equal(0);
    expect(chooseSpinMicros(MAX_SPIN_US, { env: '' })).to.equal(MAX_SPIN_US);
    expect(chooseSpinMicros(undefined, { env: ' 500 ' })).to.equal(500);
    expect(chooseSpinMicros(undefined, { env: '0' })).to.equal(0);
    expect(chooseSpinMicros(undefined, { env: '  ' })).to.equal(DEFAULT_SPIN_US);
  });

  it('a bad option or CONDGRAD_SPIN_US is a CondgradError naming it and the value', () => {
    for (const bad of [-1, 1.5, MAX_SPIN_US + 1, NaN, Infinity]) {
      const e = expectError(() => chooseSpinMicros(bad, { env: '' }), 'wasm');
      expect(e.message).to.equal(`wasm: spinMicros must be an integer number of µs in [0, 100000], got ${String(bad)}`);
    }
    expect(expectError(() => chooseSpinMicros('5' as unknown as number), 'wasm').message).to.equal(
      "wasm: spinMicros must be an integer number of µs in [0, 100000], got '5'",
    );
    for (const bad of ['abc', '-5', '2.5', '1e3', '100001']) {
      const e = expectError(() => chooseSpinMicros(undefined, { env: bad }), 'wasm');
      const shown = /^[0-9]+$/.test(bad) ? bad : `'${bad}'`;
      expect(e.message).to.equal(`wasm: CONDGRAD_SPIN_US must be an integer number of µs in [0, 100000], got ${shown}`);
    }
  });

  it('createWasmBackend refuses a bad spinMicros before it starts any worker', async () => {
    let e: unknown = null;
    try {
      await createWasmBackend({ threads: 2, spinMicros: -5 });
    } catch (err) {
      e = err;
    }
    expect(e).to.be.instanceOf(CondgradError);
    expect((e as Error).message).to.equal('wasm: spinMicros must be an integer number of µs in [0, 100000], got -5');
  });

  it('2 threads with no spin and with a long one give the 1-thread bits (condConv2d forward and backward, matmul), and close promptly', async () => {
    const run = (b: WasmBackend): Float32Array[] => {
      const x = tensor(rand(4 * 6 * 10 * 10, 1), [4, 6, 10, 10], { backend: b, requiresGrad: true });
      const w = tensor(rand(3 * 8 * 6 * 9, 2), [3, 8, 6, 3, 3], { backend: b, requiresGrad: true });
      const r = tensor(rand(12, 3), [4, 3], { backend: b, requiresGrad: true });
      const y = condConv2d(x, w, r, null, { padding: 1, path: 'fused' });
      sum(y).backward();
      const m = matmul(tensor(rand(40 * 30, 4), [40, 30], { backend: b }), tensor(rand(30 * 50, 5), [30, 50], { backend: b }));
      const out = [y, x.grad!, w.grad!, r.grad!, m].map((t) => t.dataSync() as Float32Array);
      for (const t of [x, w, r, y, m]) t.dispose();
      return out;
    };
    const one = await createWasmBackend({ threads: 1 });
    const want = run(one);
    await one.destroy();
    for (const spinMicros of [0, 20000]) {
      const be = await createWasmBackend({ threads: 2, spinMicros, minWorkPerThread: 1 });
      expect(be.spinMicros).to.equal(spinMicros);
      // Twice: the second run finds the worker still spinning (20 ms) or asleep (0).
      for (let rep = 0; rep < 2; rep++)
        run(be).forEach((g, i) => expect(Array.from(g), `spin ${spinMicros} output ${i} run ${rep}`).to.deep.equal(Array.from(want[i])));
      const t0 = performance.now();
      await be.destroy();
      expect(performance.now() - t0, 'destroy while a worker spins').to.be.below(5000);
    }
  });
});
