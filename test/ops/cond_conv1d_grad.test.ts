// condConv1d gradients: float64 gradchecks of x, experts, routing and bias on every path and float64 backend, float32 backends against the cpu float64 gradients, the fused closed form, and K = 1 degeneracy.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { Conv1dOptions } from '../../kernels/geometry/conv1d.js';
import { condConv1d } from '../../ops/cond_conv1d.js';
import type { CondPath } from '../../ops/cond_plan.js';
import { conv1d, conv1dPerSample } from '../../ops/conv1d.js';
import { testBackends } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, mk, read, rnd } from '../helpers/tensors.js';

interface GradCase {
  name: string;
  x: number[];
  experts: number[];
  opts: Conv1dOptions;
}
const GRAD_CASES: GradCase[] = [
  { name: 'plain s=2 p=same k=4', x: [2, 3, 9], experts: [3, 4, 3, 4], opts: { stride: 2, padding: 'same' } },
  { name: 'g=2 d=2 p=2', x: [2, 4, 10], experts: [2, 4, 2, 3], opts: { groups: 2, dilation: 2, padding: 2 } },
  { name: 'depthwise m=2 p=[2,0]', x: [2, 3, 7], experts: [3, 6, 1, 3], opts: { groups: 3, padding: [2, 0] } },
  { name: 'k=1 s=3', x: [3, 4, 8], experts: [2, 5, 4, 1], opts: { stride: 3 } },
];
const PATHS: CondPath[] = ['fused', 'moe', 'batch1'];

describe('condConv1d gradients (float64 gradcheck of x, experts, routing, bias)', () => {
  for (const tb of testBackends.filter((t) => t.float64 && t.sync)) {
    for (const path of PATHS) {
      for (const c of GRAD_CASES) {
        const x = path === 'batch1' ? [1, ...c.x.slice(1)] : c.x;
        const [B, K, O] = [x[0], c.experts[0], c.experts[1]];
        it(`backend=${tb.name} path=${path} ${c.name} x=[${x}] experts=[${c.experts}] routing=[${B},${K}] bias=[${K},${O}]`, () => {
          checkGrad((xs, e, r, b) => condConv1d(xs, e, r, b, { ...c.opts, path }), [x, c.experts, [B, K], [K, O]], { seed: 5, on: tb });
        });
      }
      it(`backend=${tb.name} path=${path} no bias x=[1,2,6] experts=[2,3,2,2] routing=[1,2] p=same`, () => {
        checkGrad(
          (xs, e, r) => condConv1d(xs, e, r, null, { padding: 'same', path }),
          [
            [1, 2, 6],
            [2, 3, 2, 2],
            [1, 2],
          ],
          { on: tb },
        );
      });
    }
  }
});

describe('condConv1d gradients on float32 backends match the cpu float64 gradients', () => {
  /** Gradients of <dy, condConv1d(...)> for x, experts, routing and bias. */
  async function grads(on: (typeof testBackends)[number], dtype: DType, c: GradCase, path: CondPath): Promise<Float64Array[]> {
    const x = path === 'batch1' ? [1, ...c.x.slice(1)] : c.x;
    const [B, K, O] = [x[0], c.experts[0], c.experts[1]];
    const ins = [rnd(1, x, dtype, on), rnd(2, c.experts, dtype, on), rnd(3, [B, K], dtype, on, 0, 1), rnd(4, [K, O], dtype, on)];
    ins.forEach((t) => t.requiresGrad_());
    const y = condConv1d(ins[0], ins[1], ins[2], ins[3], { ...c.opts, path });
    y.backward(rnd(9, y.shape, dtype, on));
    return Promise.all(ins.map((t: Tensor) => read(t.grad!)));
  }
  const cpu = testBackends.find((t) => t.name === 'cpu')!;
  for (const tb of testBackends.filter((t) => t.name !== 'cpu')) {
    for (const path of PATHS) {
      for (const c of GRAD_CASES) {
        it(`backend=${tb.name} float32 path=${path} ${c.name} x=[${c.x}] experts=[${c.experts}]: dx, dExperts, dRouting, dBias within 1e-5`, async () => {
          const want = await grads(cpu, 'float64', c, path);
          const got = await grads(tb, 'float32', c, path);
          ['dx', 'dExperts', 'dRouting', 'dBias'].forEach((name, i) => expectClose(got[i], want[i], 1e-5, name));
        });
      }
    }
  }
});

describe('condConv1d fused backward is the closed form', () => {
  it('x=[3,2,8] experts=[4,3,2,3] routing=[3,4] bias=[4,3] p=1: dExperts_k = Σ_b α_bk dW_b, dα_bk = ⟨dW_b, W_k⟩ + ⟨Σ_l dy_b, bias_k⟩', () => {
    const [B, K, O] = [3, 4, 3];
    const opts: Conv1dOptions = { padding: 1 };
    const x = rnd(1, [B, 2, 8], 'float64', undefined, -1, 1, true);
    const experts = rnd(2, [K, O, 2, 3], 'float64', undefined, -1, 1, true);
    const routing = rnd(3, [B, K], 'float64', undefined, 0, 1, true);
    const bias = rnd(4, [K, O], 'float64', undefined, -1, 1, true);
    const y = condConv1d(x, experts, routing, bias, { ...opts, path: 'fused' });
    // The tape: add(conv1dPerSample(x, mixExperts(α, E)), mixExperts(α, bias)).
    expect(y.node!.opName).to.equal('add');
    const conv = y.node!.inputs[0];
    expect(conv.node!.opName).to.equal('conv1dPerSample');
    expect(conv.node!.inputs[1].node!.opName).to.equal('mixExperts');
    expect(conv.node!.inputs[1].shape).to.deep.equal([B, O, 2, 3]);
    const dy = rnd(5, y.shape, 'float64');
    y.backward(dy);

    const wv = experts.dataSync();
    const av = routing.dataSync();
    const S = wv.length / K;
    const mixed = new Float64Array(B * S);
    for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) for (let i = 0; i < S; i++) mixed[b * S + i] += av[b * K + k] * wv[k * S + i];
    const x2 = mk(x.dataSync(), x.shape, 'float64', undefined, true);
    const wb = mk(mixed, [B, O, 2, 3], 'float64', undefined, true);
    conv1dPerSample(x2, wb, opts).backward(dy);
    const dW = wb.grad!.dataSync();
    expectClose(x.grad!.dataSync(), x2.grad!.dataSync(), 1e-12, 'dx');

    const dyv = dy.dataSync();
    const P = y.size / (B * O);
    const bv = bias.dataSync();
    const dE = new Float64Array(K * S);
    const dA = new Float64Array(B * K);
    const dBias = new Float64Array(K * O);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        const a = av[b * K + k];
        for (let i = 0; i < S; i++) {
          dE[k * S + i] += a * dW[b * S + i];
          dA[b * K + k] += dW[b * S + i] * wv[k * S + i];
        }
        for (let o = 0; o < O; o++) {
          let s = 0;
          for (let p = 0; p < P; p++) s += dyv[(b * O + o) * P + p];
          dBias[k * O + o] += a * s;
          dA[b * K + k] += s * bv[k * O + o];
        }
      }
    }
    expectClose(experts.grad!.dataSync(), dE, 1e-12, 'dExperts');
    expectClose(routing.grad!.dataSync(), dA, 1e-12, 'dRouting');
    expectClose(bias.grad!.dataSync(), dBias, 1e-12, 'dBias');
  });
});

describe('condConv1d: K=1 with α=1 equals conv1d exactly', () => {
  const cases: { name: string; x: number[]; w: number[]; opts: Conv1dOptions }[] = [
    { name: 'plain s=2 p=same', x: [2, 3, 9], w: [4, 3, 3], opts: { stride: 2, padding: 'same' } },
    { name: 'g=2 d=2 p=2', x: [3, 4, 10], w: [6, 2, 3], opts: { groups: 2, dilation: 2, padding: 2 } },
    { name: 'depthwise m=2', x: [2, 3, 7], w: [6, 1, 3], opts: { groups: 3, padding: 1 } },
  ];
  for (const dtype of ['float32', 'float64'] as DType[]) {
    for (const c of cases) {
      for (const path of ['fused', 'moe', 'batch1', 'auto'] as const) {
        const x = path === 'batch1' ? [1, ...c.x.slice(1)] : c.x;
        it(`path=${path} ${c.name} x=[${x}] experts=[1,${c.w}] ${dtype}`, () => {
          const xs = rnd(1, x, dtype);
          const w = rnd(2, c.w, dtype);
          const b = rnd(3, [c.w[0]], dtype);
          const ones = mk(new Float64Array(x[0]).fill(1), [x[0], 1], dtype);
          const want = conv1d(xs, w, b, c.opts).dataSync();
          const e = mk(w.dataSync(), [1, ...c.w], dtype);
          const got = condConv1d(xs, e, ones, mk(b.dataSync(), [1, c.w[0]], dtype), { ...c.opts, path }).dataSync();
          expect(Array.from(got)).to.deep.equal(Array.from(want));
        });
      }
    }
  }
});

describe('condConv1d gradients do not depend on the path', () => {
  it('x=[2,3,9] experts=[3,4,3,3] routing=[2,3] bias=[3,4] s=2 p=same: fused and moe grads agree to 1e-12', () => {
    const grads = (['fused', 'moe'] as const).map((path) => {
      const ins = [rnd(1, [2, 3, 9]), rnd(2, [3, 4, 3, 3]), rnd(3, [2, 3], 'float64', undefined, 0, 1), rnd(4, [3, 4])];
      ins.forEach((t) => t.requiresGrad_());
      const y = condConv1d(ins[0], ins[1], ins[2], ins[3], { stride: 2, padding: 'same', path });
      y.backward(rnd(9, y.shape));
      return ins.map((t: Tensor) => t.grad!.dataSync());
    });
    grads[0].forEach((g, i) => expectClose(g, grads[1][i], 1e-12, `input ${i}`));
  });
});
