// planCondConv1d, condConv1d bad input and memory: the cost model in 1-D (P = output length), auto runs its argmin, every 2-D bad-input case has a 1-D twin naming condConv1d and the 3-D shapes, fused scratch is O(B·|W|).

import '../../kernels/register.js';
import { expect } from 'chai';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { condConv1d } from '../../ops/cond_conv1d.js';
import { LAUNCH_COST, planCondConv, planCondConv1d, type CondPath } from '../../ops/cond_plan.js';
import { mulberry32, pick, randInt } from '../helpers/rng.js';
import { expectError, rnd } from '../helpers/tensors.js';

function pathOnTape(y: Tensor): CondPath {
  const op = y.node!.opName;
  if (op === 'conv1dPerSample') return 'fused';
  if (op === 'conv1d') return 'batch1';
  if (op === 'reshape' && y.node!.inputs[0].node!.opName === 'matmul') return 'moe';
  throw new Error(`unexpected op ${op}`);
}

describe('planCondConv1d cost model', () => {
  it('costs follow the formulas with P = output length: x=[8,64,256] experts=[8,64,64,3] p=1', () => {
    const p = planCondConv1d([8, 64, 256], [8, 64, 64, 3], { padding: 1 });
    const [B, K, W, O, P] = [8, 8, 64 * 64 * 3, 64, 256];
    const L = LAUNCH_COST;
    expect(p.op).to.equal('condConv1d');
    expect(p.costs).to.deep.equal({
      fused: B * K * W + B * W * P + B * W + 2 * L,
      moe: K * B * W * P + B * K * O * P + 2 * K * B * O * P + (K + 2) * L,
      batch1: null,
    });
    expect([p.path, p.outPixels, p.weightSize]).to.deep.equal(['fused', P, W]);
    expect(p.reason).to.include("auto chose 'fused'");
  });

  it('is the 2-D plan of the 1×L image: x=[5,6,17] experts=[3,4,3,4] s=2 d=2 p=same, and a stride-3 length-1 output picks moe for wide layers', () => {
    const p1 = planCondConv1d([5, 6, 17], [3, 4, 3, 4], { stride: 2, dilation: 2, padding: 'same', groups: 2 });
    const p2 = planCondConv([5, 6, 1, 17], [3, 4, 3, 1, 4], { stride: [1, 2], dilation: [1, 2], padding: 'same', groups: 2 });
    expect(p1.costs).to.deep.equal(p2.costs);
    expect(p1.path).to.equal(p2.path);
    expect(planCondConv1d([64, 512, 1], [4, 256, 512, 1]).path).to.equal('moe');
    // B = 1: batch1 costs the same as fused and the tie goes to the per-sample kernel (conv1d k3 C64
    // L1024 O64 B=1 measured fused/batch1 0.93-1.05, bench --full --backend wasm).
    expect(planCondConv1d([1, 16, 32], [4, 16, 16, 3], { padding: 'same' }).path).to.equal('fused');
    expect(planCondConv1d([2, 4, 9], [3, 4, 4, 3], { path: 'moe' }).reason).to.equal("path 'moe' requested");
  });

  it('auto runs the argmin of the costs on 40 seeded shapes (the tape shows the path run)', () => {
    const rng = mulberry32(19);
    const seen = new Set<CondPath>();
    for (let i = 0; i < 40; i++) {
      const B = pick(rng, [1, 2, 6]);
      const k = pick(rng, [1, 3]);
      const L = k === 1 ? pick(rng, [1, 1, 4]) : randInt(rng, 3, 9);
      const wide = k === 1 && L === 1 && rng() < 0.5;
      const C = wide ? 256 : randInt(rng, 1, 6);
      const K = pick(rng, [1, 2, 8]);
      const E = [K, wide ? 256 : randInt(rng, 1, 4), C, k];
      const p = planCondConv1d([B, C, L], E);
      const vals = Object.values(p.costs).filter((v): v is number => v !== null);
      expect(p.costs[p.path], `x=[${B},${C},${L}] experts=[${E}]`).to.equal(Math.min(...vals));
      const y = condConv1d(rnd(i, [B, C, L], 'float64', cpuBackend, -1, 1, true), rnd(i + 1, E), rnd(i + 2, [B, K]), null);
      expect(pathOnTape(y), `x=[${B},${C},${L}] experts=[${E}] planned ${p.path}`).to.equal(p.path);
      seen.add(p.path);
    }
    expect([...seen].sort()).to.deep.equal(['fused', 'moe']);
  });
});

describe('condConv1d bad input (twins of the condConv2d cases)', () => {
  const x = (): Tensor => rnd(1, [2, 4, 7]);
  const E = (): Tensor => rnd(2, [3, 6, 4, 3]);
  const r = (): Tensor => rnd(3, [2, 3]);
  it('routing not [B, K]: [3] and [3,3] for x=[2,4,7] experts=[3,6,4,3]', () => {
    expectError(() => condConv1d(x(), E(), rnd(3, [3])), 'condConv1d', 'routing must be [B, K] = [2, 3]', '[3]', '[2,4,7]', '[3,6,4,3]');
    expectError(() => condConv1d(x(), E(), rnd(3, [3, 3])), 'condConv1d', 'routing must be [B, K]', '[3,3]');
  });
  it('experts with a different K: experts=[3,...] routing=[2,2]', () => {
    expectError(() => condConv1d(x(), E(), rnd(3, [2, 2])), 'condConv1d', 'experts has K = 3 but routing has K = 2', '[3,6,4,3]');
  });
  it('groups not dividing channels: x=[2,4,7] g=3; O=6 g=4; C/groups mismatch', () => {
    expectError(
      () => condConv1d(x(), rnd(2, [3, 6, 1, 3]), r(), null, { groups: 3 }),
      'condConv1d',
      'groups 3 does not divide the input channels 4',
      '[2,4,7]',
    );
    expectError(
      () => condConv1d(x(), rnd(2, [3, 6, 1, 3]), r(), null, { groups: 4 }),
      'condConv1d',
      'groups 4 does not divide the output channels 6',
      '[3,6,1,3]',
    );
    expectError(
      () => condConv1d(x(), rnd(2, [3, 6, 2, 3]), r(), null),
      'condConv1d',
      'experts must be [K, O, C/groups, k] with C/groups = 4/1 = 4',
      '[3,6,2,3]',
    );
  });
  it('bias not [K, O]: [6] and [2,6] for experts=[3,6,4,3]', () => {
    expectError(() => condConv1d(x(), E(), r(), rnd(4, [6])), 'condConv1d', 'bias must be [K, O] = [3, 6]', 'got [6]');
    expectError(() => condConv1d(x(), E(), r(), rnd(4, [2, 6])), 'condConv1d', 'bias must be [K, O] = [3, 6]', 'got [2,6]');
  });
  it('unknown path name; planCondConv1d too', () => {
    expectError(
      () => condConv1d(x(), E(), r(), null, { path: 'fast' as 'fused' }),
      'condConv1d',
      "path must be one of 'fused', 'moe', 'batch1', 'auto'",
      '"fast"',
    );
    expectError(() => planCondConv1d([2, 4, 7], [3, 6, 4, 3], { path: 'x' as 'moe' }), 'condConv1d', 'path must be one of');
  });
  it('batch1 with B=2', () => {
    expectError(() => condConv1d(x(), E(), r(), null, { path: 'batch1' }), 'condConv1d', "path 'batch1' needs a batch of 1, got batch 2");
  });
  it('wrong ranks (2-D shapes), dtypes, kernel sizes, strides and padding', () => {
    expectError(() => condConv1d(x(), rnd(2, [3, 6, 4, 1, 3]), r()), 'condConv1d', 'experts must be [K, O, C/groups, k]', '[3,6,4,1,3]', '[2,4,7]');
    expectError(() => condConv1d(x(), rnd(2, [6, 4, 3]), r()), 'condConv1d', 'experts must be [K, O, C/groups, k]', '[6,4,3]');
    expectError(() => condConv1d(rnd(1, [2, 4, 1, 7]), E(), r()), 'condConv1d', 'x must be [B, C, L]', '[2,4,1,7]');
    expectError(() => condConv1d(x(), E(), rnd(3, [2, 3], 'float32')), 'condConv1d', 'routing [2,3] is float32');
    expectError(() => condConv1d(x(), rnd(2, [3, 6, 4, 9]), r()), 'condConv1d', 'larger than the padded input length 7', '[2,4,7]');
    expectError(() => condConv1d(x(), E(), r(), null, { stride: 0 }), 'condConv1d', 'stride must be >= 1');
    expectError(() => condConv1d(x(), E(), r(), null, { dilation: [1, 2] as unknown as number }), 'condConv1d', 'dilation must be one integer for a 1-D op');
    expectError(
      () => condConv1d(x(), E(), r(), null, { padding: [1, 1, 1, 1] as unknown as number }),
      'condConv1d',
      "padding must be a number, [left, right], 'same' or 'valid'",
    );
    expectError(() => condConv1d(x(), E(), r(), null, null as unknown as object), 'condConv1d', 'opts must be an object');
  });
});

/** cpuBackend seen through a proxy that records the element count of every storage a kernel returns. */
function recordingBackend(): { backend: AnyBackend; sizes: number[] } {
  const sizes: number[] = [];
  const backend = new Proxy(cpuBackend, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]): unknown => {
        const out: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (out !== null && typeof out === 'object' && 'size' in out && 'dtype' in out) sizes.push((out as { size: number }).size);
        return out;
      };
    },
  }) as AnyBackend;
  return { backend, sizes };
}

describe('condConv1d fused memory (backend allocation counters)', () => {
  /** Element counts of every buffer one forward + backward allocates. */
  function fwdBwd(K: number, path: CondPath): { sizes: number[]; wSize: number; ySize: number; xSize: number } {
    const { backend, sizes } = recordingBackend();
    const [B, C, O, L] = [4, 8, 16, 40];
    const x = rnd(1, [B, C, L], 'float32', backend, -1, 1, true);
    const E = rnd(2, [K, O, C, 3], 'float32', backend, -1, 1, true);
    const r = rnd(3, [B, K], 'float32', backend, 0, 1, true);
    const bias = rnd(4, [K, O], 'float32', backend, -1, 1, true);
    const dy = rnd(5, [B, O, L], 'float32', backend);
    sizes.length = 0;
    condConv1d(x, E, r, bias, { padding: 1, path }).backward(dy);
    return { sizes: [...sizes], wSize: O * C * 3, ySize: dy.size, xSize: x.size };
  }
  it('x=[4,8,40] experts=[K,16,8,3] p=1: fused allocates nothing above max(B·|W|, activations) but the K·|W| experts grad; moe K outputs', () => {
    for (const K of [2, 8]) {
      const m = fwdBwd(K, 'fused');
      const cap = Math.max(4 * m.wSize, m.xSize, m.ySize);
      const over = m.sizes.filter((s) => s > cap);
      expect(over.every((s) => s === K * m.wSize) && over.length <= 1, `K=${K} sizes ${m.sizes.join(',')}`).to.equal(true);
      const moe = fwdBwd(K, 'moe');
      expect(
        moe.sizes.some((s) => s >= K * moe.ySize),
        `moe K=${K} stacks K outputs`,
      ).to.equal(true);
    }
  });
});
