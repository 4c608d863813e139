// CondConv agreement: fused, moe, batch1 and auto against a per-sample loop of plain conv2d with mixed weights, on seeded configurations.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import { condConv2d, condLinear } from '../../ops/cond_conv.js';
import { type CondPathOption } from '../../ops/cond_plan.js';
import { forEachBackend } from '../helpers/backends.js';
import { condCases, condLabel, expertsShape, loopOracle, xShape } from '../helpers/cond.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randInt } from '../helpers/rng.js';
import { read, rnd } from '../helpers/tensors.js';

const TOL: Record<DType, number> = { float32: 1e-5, float64: 1e-10 };
const CONV_CASES = condCases(60, 20240611);

describe('condConv2d: paths agree with a per-sample loop of plain conv2d', () => {
  it('the configurations cover K ∈ {1,2,3,8}, B ∈ {1,2,5}, groups, depthwise m=2, stride 2, dilation 2, same, bias', () => {
    const has = (f: (c: (typeof CONV_CASES)[number]) => boolean): boolean => CONV_CASES.some(f);
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
    expect(has((c) => c.depthwise && c.O === 2 * c.C)).to.equal(true);
    expect(has((c) => !c.depthwise && (c.opts.groups ?? 1) > 1)).to.equal(true);
    expect(has((c) => c.opts.stride === 2)).to.equal(true);
    expect(has((c) => c.opts.dilation === 2)).to.equal(true);
    expect(has((c) => c.opts.padding === 'same' && (c.kH % 2 === 0 || c.kW % 2 === 0))).to.equal(true);
    expect(has((c) => c.bias) && has((c) => !c.bias)).to.equal(true);
  });

  forEachBackend((tb) => {
    const dtypes: DType[] = tb.float64 ? ['float32', 'float64'] : ['float32'];
    for (const dtype of dtypes) {
      CONV_CASES.forEach((c, i) => {
        it(`${condLabel(c)} ${dtype}`, async () => {
          const x = rnd(3 * i + 1, xShape(c), dtype, tb);
          const experts = rnd(3 * i + 2, expertsShape(c), dtype, tb);
          const routing = rnd(3 * i + 3, [c.B, c.K], dtype, tb, 0, 1);
          const bias = c.bias ? rnd(3 * i + 4, [c.K, c.O], dtype, tb) : null;
          const want = await loopOracle(x, experts, routing, bias, c.opts);
          const paths: CondPathOption[] = c.B === 1 ? ['fused', 'moe', 'batch1', 'auto'] : ['fused', 'moe', 'auto'];
          for (const path of paths) {
            const y = condConv2d(x, experts, routing, bias, { ...c.opts, path });
            expectClose(await read(y), want, TOL[dtype], `path ${path}`);
          }
        });
      });
    }
  });
});

describe('condLinear: paths agree with a per-sample loop', () => {
  forEachBackend((tb) => {
    const dtypes: DType[] = tb.float64 ? ['float32', 'float64'] : ['float32'];
    const rng = mulberry32(77);
    const cases = Array.from({ length: 12 }, (_, i) => ({
      B: [1, 2, 5][i % 3],
      K: [1, 2, 3, 8][i % 4],
      inF: randInt(rng, 1, 9),
      out: randInt(rng, 1, 6),
      bias: i % 5 < 3,
    }));
    for (const dtype of dtypes) {
      cases.forEach(({ B, K, inF, out, bias: hasBias }, i) => {
        it(`B=${B} K=${K} x=[${B},${inF}] experts=[${K},${out},${inF}] ${hasBias ? 'bias' : 'no bias'} ${dtype}`, async () => {
          const x = rnd(10 * i + 1, [B, inF], dtype, tb);
          const experts = rnd(10 * i + 2, [K, out, inF], dtype, tb);
          const routing = rnd(10 * i + 3, [B, K], dtype, tb, 0, 1);
          const bias = hasBias ? rnd(10 * i + 4, [K, out], dtype, tb) : null;
          const [xv, ev, rv] = [await read(x), await read(experts), await read(routing)];
          const bv = bias ? await read(bias) : null;
          // y_b = (Σ_k α_bk W_k) x_b + Σ_k α_bk bias_k, mixed first, then applied.
          const want = new Float64Array(B * out);
          for (let b = 0; b < B; b++) {
            for (let o = 0; o < out; o++) {
              let bb = 0;
              const row = new Float64Array(inF);
              for (let k = 0; k < K; k++) {
                const a = rv[b * K + k];
                for (let j = 0; j < inF; j++) row[j] += a * ev[(k * out + o) * inF + j];
                if (bv) bb += a * bv[k * out + o];
              }
              let s = bb;
              for (let j = 0; j < inF; j++) s += row[j] * xv[b * inF + j];
              want[b * out + o] = s;
            }
          }
          const paths: CondPathOption[] = B === 1 ? ['fused', 'moe', 'batch1', 'auto'] : ['fused', 'moe', 'auto'];
          for (const path of paths) {
            const y = condLinear(x, experts, routing, bias, { path });
            expect(y.shape).to.deep.equal([B, out]);
            expectClose(await read(y), want, TOL[dtype], `path ${path}`);
          }
        });
      });
    }
  });
});
