// condConv1d agreement: fused, moe, batch1 and auto against a per-sample loop of plain conv1d with mixed weights, on 60 seeded configurations per backend and dtype.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import { condConv1d } from '../../ops/cond_conv1d.js';
import type { CondPathOption } from '../../ops/cond_plan.js';
import { forEachBackend } from '../helpers/backends.js';
import { cond1dCases, cond1dLabel, expertsShape1d, loopOracle1d, naiveConv1d, xShape1d } from '../helpers/cond1d.js';
import { expectClose } from '../helpers/close.js';
import { read, rnd } from '../helpers/tensors.js';

const TOL: Record<DType, number> = { float32: 1e-5, float64: 1e-10 };
const CASES = cond1dCases(60, 20261201);

describe('condConv1d: paths agree with a per-sample loop of plain conv1d', () => {
  it('the configurations cover K ∈ {1,2,3,8}, B ∈ {1,2,5}, k ∈ 1…4, groups, depthwise m=2, stride 2 and 3, dilation 2 and 3, same with even k, [l, r], bias', () => {
    const has = (f: (c: (typeof CASES)[number]) => boolean): boolean => CASES.some(f);
    for (const K of [1, 2, 3, 8])
      expect(
        has((c) => c.K === K),
        `K=${K}`,
      ).to.equal(true);
    for (const B of [1, 2, 5])
      expect(
        has((c) => c.B === B),
        `B=${B}`,
      ).to.equal(true);
    for (const k of [1, 2, 3, 4])
      expect(
        has((c) => c.k === k),
        `k=${k}`,
      ).to.equal(true);
    expect(has((c) => c.depthwise && c.O === 2 * c.C && c.C > 1)).to.equal(true);
    expect(has((c) => !c.depthwise && (c.opts.groups ?? 1) > 1)).to.equal(true);
    for (const s of [2, 3])
      expect(
        has((c) => c.opts.stride === s),
        `stride ${s}`,
      ).to.equal(true);
    for (const d of [2, 3])
      expect(
        has((c) => c.opts.dilation === d),
        `dilation ${d}`,
      ).to.equal(true);
    expect(has((c) => c.opts.padding === 'same' && c.k % 2 === 0)).to.equal(true);
    expect(has((c) => Array.isArray(c.opts.padding))).to.equal(true);
    expect(has((c) => c.bias) && has((c) => !c.bias)).to.equal(true);
  });

  it('the oracle itself matches the naive definition: x=[2,3,9] experts=[2,4,3,3] s=2 p=same', async () => {
    const opts = { stride: 2, padding: 'same' as const };
    const x = rnd(1, [2, 3, 9]);
    const e = rnd(2, [2, 4, 3, 3]);
    const r = rnd(3, [2, 2], 'float64', undefined, 0, 1);
    const [xv, ev, rv] = [await read(x), await read(e), await read(r)];
    const mixed = new Float64Array(2 * 36);
    for (let b = 0; b < 2; b++) for (let k = 0; k < 2; k++) for (let i = 0; i < 36; i++) mixed[b * 36 + i] += rv[b * 2 + k] * ev[k * 36 + i];
    expectClose(await loopOracle1d(x, e, r, null, opts), naiveConv1d(xv, mixed, [2, 3, 9], [2, 4, 3, 3], opts, true), 1e-12);
  });

  forEachBackend((tb) => {
    const dtypes: DType[] = tb.float64 ? ['float32', 'float64'] : ['float32'];
    for (const dtype of dtypes) {
      CASES.forEach((c, i) => {
        it(`${cond1dLabel(c)} ${dtype}`, async () => {
          const x = rnd(3 * i + 1, xShape1d(c), dtype, tb);
          const experts = rnd(3 * i + 2, expertsShape1d(c), dtype, tb);
          const routing = rnd(3 * i + 3, [c.B, c.K], dtype, tb, 0, 1);
          const bias = c.bias ? rnd(3 * i + 4, [c.K, c.O], dtype, tb) : null;
          const want = await loopOracle1d(x, experts, routing, bias, c.opts);
          const paths: CondPathOption[] = c.B === 1 ? ['fused', 'moe', 'batch1', 'auto'] : ['fused', 'moe', 'auto'];
          for (const path of paths) {
            const y = condConv1d(x, experts, routing, bias, { ...c.opts, path });
            expect(y.shape[0] * y.shape[1] * y.shape[2]).to.equal(want.length);
            expectClose(await read(y), want, TOL[dtype], `path ${path}`);
          }
        });
      });
    }
  });
});
