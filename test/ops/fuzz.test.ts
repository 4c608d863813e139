// Seeded fuzz: over a thousand random op calls, valid and invalid (with in-place writes, extreme values, NaN, absurd shapes, async tidy); each matches its reference or throws a CondgradError.

import '../../kernels/register.js';
import { expect } from 'chai';
import { CondgradError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { forEachBackend } from '../helpers/backends.js';
import { type FuzzCase, type FuzzContext } from '../helpers/fuzz_core.js';
import { CONV1D_GENERATORS } from '../helpers/fuzz_conv1d.js';
import { nnGenerators } from '../helpers/fuzz_nn_ops.js';
import { TENSOR_GENERATORS } from '../helpers/fuzz_tensor_ops.js';
import { RELIABILITY_GENERATORS } from '../helpers/fuzz_reliability.js';
import { mulberry32 } from '../helpers/rng.js';
import { mul } from '../../ops/arithmetic.js';
import { sum } from '../../ops/broadcast.js';

/** FUZZ_SEED explores other streams locally; the suite's default is fixed. */
const SEED = Number(process.env.FUZZ_SEED ?? 20240607);
const GENERATORS = [...TENSOR_GENERATORS, ...(await nnGenerators()), ...CONV1D_GENERATORS, ...RELIABILITY_GENERATORS];
const TOTAL_WEIGHT = GENERATORS.reduce((s, [w]) => s + w, 0);

function nextCase(ctx: FuzzContext): FuzzCase {
  let r = ctx.rng() * TOTAL_WEIGHT;
  for (const [w, gen] of GENERATORS) {
    r -= w;
    if (r < 0) return gen(ctx);
  }
  return GENERATORS[GENERATORS.length - 1][1](ctx);
}

function describeFailure(c: FuzzCase, i: number, msg: string): string {
  return `call #${i} ${c.desc}: ${msg}`;
}

/** Runs one case; returns 'valid' or 'invalid', or throws an assertion naming the call. */
async function check(c: FuzzCase, i: number, gradCheck: boolean): Promise<'valid' | 'invalid'> {
  const want = c.want();
  let y: Tensor;
  try {
    y = c.run();
  } catch (e) {
    if (!(e instanceof CondgradError)) expect.fail(describeFailure(c, i, `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`));
    if (want !== null) expect.fail(describeFailure(c, i, `a valid call threw: ${e.message}`));
    return 'invalid';
  }
  if (want === null) expect.fail(describeFailure(c, i, `an invalid call returned ${fmtShape(y.shape)} instead of throwing`));
  expect([...y.shape], describeFailure(c, i, 'shape')).to.deep.equal(want.shape);
  const got = await y.data();
  for (let k = 0; k < want.data.length; k++) {
    const g: number = got[k];
    const w: number = want.data[k];
    if (c.nanOk === true && (Number.isNaN(g) || Number.isNaN(w))) {
      if (Number.isNaN(g) !== Number.isNaN(w)) expect.fail(describeFailure(c, i, `[${k}] got ${g}, want ${w} (NaN must propagate, and only NaN)`));
      continue;
    }
    if (Number.isNaN(g)) expect.fail(describeFailure(c, i, `NaN at ${k} from finite input (want ${w})`));
    if (!(g === w || Math.abs(g - w) <= c.tol * Math.max(1, Math.abs(w)))) expect.fail(describeFailure(c, i, `[${k}] got ${g}, want ${w} (tol ${c.tol})`));
  }
  if (gradCheck && y.requiresGrad && y.size > 0) {
    // Backward through a random weighting: every leaf gradient must come back finite and shaped like its leaf.
    const r = Float64Array.from({ length: y.size }, (_, k) => ((k * 7919) % 13) / 13 - 0.4);
    sum(mul(y, new (y.constructor as typeof Tensor)(y.backend.fromArray(r), y.shape, y.backend))).backward();
    for (const leaf of c.leaves) {
      if (leaf.grad === null) continue;
      expect([...leaf.grad.shape], describeFailure(c, i, 'grad shape')).to.deep.equal([...leaf.shape]);
      const gd = await leaf.grad.data();
      const bad = gd.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) expect.fail(describeFailure(c, i, `gradient ${fmtShape(leaf.shape)} has ${gd[bad]} at ${bad}`));
    }
  }
  return 'valid';
}

forEachBackend((tb) => {
  const calls = Number(process.env.FUZZ_CALLS ?? (tb.name === 'cpu' ? 2000 : 400));
  describe(`fuzz: ${calls} random op calls (seed ${SEED})`, () => {
    it('each call matches its naive reference or throws a CondgradError; no NaN from finite input', async () => {
      const grad = tb.float64 && tb.sync;
      const ctx: FuzzContext = { rng: mulberry32(SEED), backend: tb.backend, dtypes: tb.backend.dtypes, grad };
      const counts = { valid: 0, invalid: 0 };
      for (let i = 0; i < calls; i++) counts[await check(nextCase(ctx), i, grad)]++;
      if (process.env.FUZZ_STATS) console.log(tb.name, counts);
      // Both kinds must be well represented for the fuzz to mean anything.
      expect(counts.valid, 'valid calls').to.be.greaterThan(calls * 0.4);
      expect(counts.invalid, 'invalid calls').to.be.greaterThan(calls * 0.1);
    });
  });
});
