// sigmoidGate (the sigmoid router's fused FC + sigmoid): float64 gradcheck, bit-identity with the unfused ops on cpu, wasm and gpu, the router using it only where it is what the router computes, in-place writes, bad input.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend } from '../../core/backend.js';
import { noGrad } from '../../core/engine.js';
import { setOpTracer } from '../../core/op.js';
import type { Tensor } from '../../core/tensor.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { SigmoidRouter } from '../../nn/router.js';
import { relu, sigmoid } from '../../ops/activations.js';
import { add, div } from '../../ops/arithmetic.js';
import { matmul } from '../../ops/matmul.js';
import { globalAvgPool2d } from '../../ops/pool.js';
import { sum, mul } from '../../index.js';
import { sigmoidGate } from '../../ops/route.js';
import { expectClose } from '../helpers/close.js';
import { checkGrad, expectError, rnd } from '../helpers/tensors.js';
import { describeGpu } from '../helpers/gpu.js';
import { useWasmBackend } from '../helpers/wasm.js';

const unfused = (p: Tensor, w: Tensor, b: Tensor | null): Tensor => {
  const y = matmul(p, w, { transB: true });
  return sigmoid(b === null ? y : add(y, b));
};

/** α and the gradients of pooled, weight and bias under a seeded upstream gradient, through `gate` (async: every backend reads back). */
async function run(gate: typeof unfused, on: AnyBackend, bias: boolean): Promise<Float32Array[]> {
  const [B, C, K] = [5, 7, 4];
  const p = rnd(1, [B, C], 'float32', on, -2, 2, true);
  const w = rnd(2, [K, C], 'float32', on, -1, 1, true);
  const b = bias ? rnd(3, [K], 'float32', on, -1, 1, true) : null;
  const up = rnd(4, [B, K], 'float32', on);
  const alpha = gate(p, w, b);
  sum(mul(alpha, up)).backward();
  const outs = [alpha, p.grad!, w.grad!, ...(b === null ? [] : [b.grad!])];
  return Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
}

/** The bit-identity cases (with and without bias) on one backend. */
function bitIdentical(name: string, on: () => AnyBackend): void {
  for (const bias of [true, false]) {
    it(`${name}: α and every gradient bit-identical to sigmoid(add(matmul(p, W, transB), b))${bias ? '' : ' (no bias)'}`, async () => {
      const want = await run(unfused, on(), bias);
      const got = await run(sigmoidGate, on(), bias);
      expect(got.length).to.equal(want.length);
      got.forEach((g, i) => expect(Array.from(g), `output ${i}`).to.deep.equal(Array.from(want[i])));
      expect(Math.max(...got[2].map(Math.abs))).to.be.greaterThan(1e-4);
    });
  }
}

describe('sigmoidGate: α = sigmoid(pooled·Wᵀ + b) as one op', () => {
  it('float64 gradcheck of pooled [3,5], weight [4,5], bias [4]; and without bias', () => {
    checkGrad((p, w, b) => sigmoidGate(p, w, b), [[3, 5], [4, 5], [4]]);
    checkGrad(
      (p, w) => sigmoidGate(p, w, null),
      [
        [2, 3],
        [6, 3],
      ],
    );
  });
  it('gradcheck through a pooled input (GAP of [2,3,4,4]) and with the weight constant', () => {
    checkGrad((x, w, b) => sigmoidGate(globalAvgPool2d(x), w, b), [[2, 3, 4, 4], [4, 3], [4]], { constant: [1] });
  });
  bitIdentical('cpu', () => cpuBackend);
  bitIdentical('wasm', useWasmBackend(1));
  describeGpu('sigmoidGate on the gpu backend', (gpu) => bitIdentical('gpu', gpu));
  it('SigmoidRouter records one sigmoidGate op in training, and its α matches the layers run one by one', () => {
    const r = new SigmoidRouter(3, 4, { seed: 1, backend: cpuBackend });
    const x = rnd(5, [2, 3, 4, 4], 'float32', cpuBackend, -1, 1, true);
    const alpha = r.route(x);
    expect(alpha.node?.opName).to.equal('sigmoidGate');
    const want = noGrad(() => unfused(globalAvgPool2d(x), r.fc1.weight, r.fc1.bias));
    expect(Array.from(alpha.dataSync())).to.deep.equal(Array.from(want.dataSync()));
    const hidden = new SigmoidRouter(3, 4, { seed: 1, hidden: 5, backend: cpuBackend });
    expect(hidden.route(x).node?.opName).to.equal('sigmoidGate');
  });
  it('a subclass overriding gate (a temperature) or logits, or a hooked fc2.forward, trains through the code it evaluates with; the stock class still fuses', () => {
    class Tempered extends SigmoidRouter {
      protected override gate(z: Tensor): Tensor {
        return sigmoid(div(z, 4));
      }
    }
    class Shifted extends SigmoidRouter {
      protected override logits(p: Tensor): Tensor {
        return add(super.logits(p), 1);
      }
    }
    const opts = { seed: 1, backend: cpuBackend };
    const hooked = new SigmoidRouter(3, 4, { ...opts, hidden: 5 });
    const fc2 = hooked.fc2!;
    const own = fc2.forward.bind(fc2);
    fc2.forward = (t: Tensor): Tensor => mul(own(t), 2);
    const x = rnd(5, [2, 3, 4, 4], 'float32', cpuBackend, -1, 1, true);
    const up = rnd(6, [2, 4], 'float32');
    const vals = (t: Tensor): number[] => Array.from(t.dataSync());
    const stock = new SigmoidRouter(3, 4, opts).train();
    const fused = stock.route(x);
    expect(fused.node?.opName, 'stock').to.equal('sigmoidGate');
    const cases: [string, SigmoidRouter, (p: Tensor, r: SigmoidRouter) => Tensor][] = [
      ['gate', new Tempered(3, 4, opts), (p, r) => sigmoid(div(r.fc1.forward(p), 4))],
      ['logits', new Shifted(3, 4, { ...opts, hidden: 5 }), (p, r) => sigmoid(add(r.fc2!.forward(relu(r.fc1.forward(p))), 1))],
      ['hooked fc2', hooked, (p, r) => sigmoid(mul(own(relu(r.fc1.forward(p))), 2))],
    ];
    for (const [name, r, composed] of cases) {
      r.train();
      const trained = r.route(x);
      expect(trained.node?.opName, name).to.not.equal('sigmoidGate');
      sum(mul(trained, up)).backward();
      const got = r.parameters().map((w) => vals(w.grad!));
      r.zeroGrad();
      const want = composed(globalAvgPool2d(x), r);
      sum(mul(want, up)).backward();
      expect(vals(trained), `${name}: training α`).to.deep.equal(vals(want));
      expect(got, `${name}: gradients`).to.deep.equal(r.parameters().map((w) => vals(w.grad!)));
      const evaluated = noGrad(() => r.eval().route(x));
      expect(vals(evaluated), `${name}: eval α`).to.deep.equal(vals(trained));
    }
    // The tempered α differs from the stock (fused) one, so a fused training path would be caught.
    expect(vals(cases[0][1].route(x))).to.not.deep.equal(vals(fused));
  });
  it('an in-place write to the bias before backward is allowed (backward never reads it), as with the unfused add; to the weight or pooled it raises', () => {
    for (const gate of [sigmoidGate, unfused]) {
      const p = rnd(1, [3, 4], 'float64', cpuBackend, -1, 1, true);
      const w = rnd(2, [2, 4], 'float64', cpuBackend, -1, 1, true);
      const b = rnd(3, [2], 'float64', cpuBackend, -1, 1, true);
      const loss = sum(gate(p, w, b));
      const want = noGrad(() => Array.from(sigmoid(add(matmul(p, w, { transB: true }), b)).dataSync()));
      b.assign(rnd(4, [2], 'float64'));
      loss.backward();
      // d/db Σ sigmoid(z) = Σ_b α(1 − α) with the α of the forward pass (the old bias).
      const db = [0, 1].map((k) => [0, 1, 2].reduce((s, i) => s + want[i * 2 + k] * (1 - want[i * 2 + k]), 0));
      expectClose(b.grad!.dataSync(), db, 1e-12);
    }
    for (const which of ['weight', 'pooled'] as const) {
      const p = rnd(1, [3, 4], 'float64', cpuBackend, -1, 1, true);
      const w = rnd(2, [2, 4], 'float64', cpuBackend, -1, 1, true);
      const loss = sum(sigmoidGate(p, w, rnd(3, [2], 'float64', cpuBackend, -1, 1, true)));
      (which === 'weight' ? w : p).assign(rnd(4, which === 'weight' ? [2, 4] : [3, 4], 'float64'));
      expectError(() => loss.backward(), 'backward', "'sigmoidGate'", 'modified in place', which === 'weight' ? 'input 1' : 'input 0');
    }
  });
  it('runs as matmul, add and sigmoid while an op tracer records (ONNX export knows those)', () => {
    const names: string[] = [];
    const prev = setOpTracer({ record: (n) => void names.push(n) });
    try {
      sigmoidGate(rnd(1, [2, 3], 'float32'), rnd(2, [4, 3], 'float32'), rnd(3, [4], 'float32'));
    } finally {
      setOpTracer(prev);
    }
    expect(names).to.deep.equal(['matmul', 'add', 'sigmoid']);
  });
  it('bad shapes name the op and the shapes', () => {
    expectError(() => sigmoidGate(rnd(1, [2, 3], 'float32'), rnd(2, [4, 5], 'float32'), null), 'sigmoidGate', '[2,3]', '[4,5]');
    expectError(() => sigmoidGate(rnd(1, [2, 3], 'float32'), rnd(2, [4, 3], 'float32'), rnd(3, [3], 'float32')), 'sigmoidGate', 'bias [3]');
    expectError(() => sigmoidGate(rnd(1, [2, 3, 1], 'float32'), rnd(2, [4, 3], 'float32'), null), 'sigmoidGate', '[2,3,1]');
  });
});
