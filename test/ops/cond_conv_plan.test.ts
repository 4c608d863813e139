// CondConv planning, bad input and memory: auto follows the MAC cost model, errors name op/argument/shapes, fused scratch is O(B·|W|).

import '../../kernels/register.js';
import { expect } from 'chai';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { condConv2d, condLinear } from '../../ops/cond_conv.js';
import { LAUNCH_COST, LINEAR_STREAM_COST, MIX_READ_COST, planCondConv, planCondLinear, type CondPath } from '../../ops/cond_plan.js';
import { mulberry32, randInt, pick } from '../helpers/rng.js';
import { expectError, rnd } from '../helpers/tensors.js';

/** Which path produced y, read off the tape (inputs must require grad, no bias). */
function pathOnTape(y: Tensor): CondPath {
  const op = y.node!.opName;
  if (op === 'conv2dPerSample') return 'fused';
  if (op === 'conv2d') return 'batch1';
  if (op === 'reshape' && y.node!.inputs[0].node!.opName === 'matmul') return 'moe';
  throw new Error(`unexpected op ${op}`);
}

describe('planCondConv / planCondLinear cost model', () => {
  it('costs follow the formulas: x=[8,64,32,32] experts=[8,64,64,3,3] p=1', () => {
    const p = planCondConv([8, 64, 32, 32], [8, 64, 64, 3, 3], { padding: 1 });
    const [B, K, W, O, P] = [8, 8, 64 * 64 * 9, 64, 32 * 32];
    const L = LAUNCH_COST;
    expect(p.costs).to.deep.equal({
      fused: B * K * W + B * W * P + B * W + 2 * L,
      moe: K * B * W * P + B * K * O * P + 2 * K * B * O * P + (K + 2) * L,
      batch1: null,
    });
    expect(p.path).to.equal('fused');
    expect(p.costs.moe / p.costs.fused).to.be.within(7.5, 8.2);
    expect(p.reason).to.include("auto chose 'fused'").and.include('MACs');
  });

  it('an FC layer with large B, x=[256,1280] experts=[8,1000,1280], picks moe; with in=4 < K=8 it picks fused', () => {
    const fc = planCondLinear([256, 1280], [8, 1000, 1280]);
    expect(fc.path).to.equal('moe');
    const [S, R] = [LINEAR_STREAM_COST, MIX_READ_COST];
    expect(fc.costs.fused).to.equal((R + 256) * 8 * 1280000 + 256 * 1280000 * S + 2 * LAUNCH_COST);
    expect(fc.costs.moe).to.equal(8 * 1280000 * (S + 256) + 256 * 8 * 1000 * S + 2 * LAUNCH_COST);
    expect(fc.reason).to.include("'moe'");
    expect(planCondLinear([256, 4], [8, 1000, 4]).path).to.equal('fused');
  });

  it("seq-cnn's head, x=[64,64] experts=[8,10,64], picks moe: one matmul and one mixing matmul, 2 launches", () => {
    const [B, K, W, O] = [64, 8, 10 * 64, 10];
    const p = planCondLinear([B, 64], [K, O, 64]);
    const [S, R] = [LINEAR_STREAM_COST, MIX_READ_COST];
    expect(p.costs.fused).to.equal((R + B) * K * W + B * W * S + 2 * LAUNCH_COST);
    expect(p.costs.moe).to.equal(K * W * (S + B) + B * K * O * S + 2 * LAUNCH_COST);
    expect(p.path).to.equal('moe');
  });

  // Fitted to `condgrad bench --full --backend wasm` (busy 2-core EPYC VM): linear 1024→1024 took
  // moe ≈ 1.4-1.7 ms per K at B ≤ 8 (memory-bound on the K·|W| weights), the mix ≈ 0.3 ms per K and a
  // plain matrix-vector product ≈ 1.1 ms. The old MAC-only model picked moe in all of these.
  it('linear 1024→1024, B=1: moe at K=1, batch1 from K=2 (batch1 2.1-2.8x faster than moe at K=4..16)', () => {
    expect(planCondLinear([1, 1024], [1, 1024, 1024]).path).to.equal('moe');
    for (const K of [2, 4, 8, 16]) expect(planCondLinear([1, 1024], [K, 1024, 1024]).path, `K=${K}`).to.equal('batch1');
  });

  it('linear 1024→1024, B=8: moe up to K=8, fused at K=16 (measured 1.84x faster forward); B=32 keeps moe to K=16', () => {
    for (const K of [1, 2, 4, 8]) expect(planCondLinear([8, 1024], [K, 1024, 1024]).path, `B=8 K=${K}`).to.equal('moe');
    expect(planCondLinear([8, 1024], [16, 1024, 1024]).path).to.equal('fused');
    for (const K of [1, 4, 16]) expect(planCondLinear([32, 1024], [K, 1024, 1024]).path, `B=32 K=${K}`).to.equal('moe');
  });

  it('1x1 outputs with large B, x=[64,512,1,1] experts=[4,256,512,1,1], pick moe; a 3x3 conv on 7x7 picks fused', () => {
    expect(planCondConv([64, 512, 1, 1], [4, 256, 512, 1, 1]).path).to.equal('moe');
    expect(planCondConv([64, 512, 7, 7], [4, 256, 512, 3, 3], { padding: 1 }).path).to.equal('fused');
  });

  // At B = 1 the conv's fused and batch1 paths cost the same; the per-sample kernel measured as fast
  // or faster (bench --full --backend wasm: dw3x3 C128 32² K=2..16 fused 9-39 % faster, conv1x1
  // C128 16² O128 K=1, 8, 16 10-17 %), so the tie goes to fused. The old order picked batch1.
  it('B=1 x=[1,16,8,8] experts=[4,16,16,3,3] picks fused (same cost as batch1, the tie goes to fused)', () => {
    const p = planCondConv([1, 16, 8, 8], [4, 16, 16, 3, 3], { padding: 'same' });
    expect(p.path).to.equal('fused');
    expect(p.costs.batch1).to.equal(p.costs.fused);
    expect(planCondConv([1, 128, 32, 32], [8, 128, 1, 3, 3], { padding: 1, groups: 128 }).path).to.equal('fused');
    expect(planCondConv([1, 128, 16, 16], [16, 128, 128, 1, 1]).path).to.equal('fused');
    expect(planCondConv([1, 64, 32, 32], [4, 64, 64, 3, 3], { padding: 1 }).path).to.equal('fused');
  });

  it('a requested path is kept and says so', () => {
    const p = planCondConv([2, 4, 5, 5], [3, 4, 4, 3, 3], { path: 'moe' });
    expect(p.path).to.equal('moe');
    expect(p.requested).to.equal('moe');
    expect(p.reason).to.equal("path 'moe' requested");
  });

  it('auto runs the argmin of the costs on 40 seeded shapes (the tape shows the path run)', () => {
    const rng = mulberry32(9);
    const seen = new Set<CondPath>();
    for (let i = 0; i < 40; i++) {
      const B = pick(rng, [1, 2, 6]);
      const k = pick(rng, [1, 3]);
      const H = k === 1 ? pick(rng, [1, 1, 4]) : randInt(rng, 3, 6);
      // Wide 1x1 layers on 1x1 maps are where moe can win once launches are charged.
      const wide = k === 1 && H === 1 && rng() < 0.5;
      const C = wide ? 256 : randInt(rng, 1, 6);
      const K = pick(rng, [1, 2, 8]);
      const E = [K, wide ? 256 : randInt(rng, 1, 4), C, k, k];
      const p = planCondConv([B, C, H, H], E);
      const entries = (Object.entries(p.costs) as [CondPath, number | null][]).filter(([, v]) => v !== null) as [CondPath, number][];
      const min = Math.min(...entries.map(([, v]) => v));
      expect(p.costs[p.path], `x=[${B},${C},${H},${H}] experts=[${E}]`).to.equal(min);
      const y = condConv2d(rnd(i, [B, C, H, H], 'float64', cpuBackend, -1, 1, true), rnd(i + 1, E), rnd(i + 2, [B, K]), null);
      expect(pathOnTape(y), `x=[${B},${C},${H},${H}] experts=[${E}] planned ${p.path}`).to.equal(p.path);
      seen.add(p.path);
    }
    // batch1 never costs less than fused for a conv (equal at B = 1, where the tie goes to fused).
    expect([...seen].sort()).to.deep.equal(['fused', 'moe']);
  });
});

describe('condConv2d / condLinear bad input', () => {
  const x = (): Tensor => rnd(1, [2, 4, 5, 5]);
  const E = (): Tensor => rnd(2, [3, 6, 4, 3, 3]);
  const r = (): Tensor => rnd(3, [2, 3]);
  it('routing not [B, K]: [3] and [3,3] for x=[2,4,5,5] experts=[3,6,4,3,3]', () => {
    expectError(() => condConv2d(x(), E(), rnd(3, [3])), 'condConv2d', 'routing must be [B, K] = [2, 3]', '[3]', '[2,4,5,5]');
    expectError(() => condConv2d(x(), E(), rnd(3, [3, 3])), 'condConv2d', 'routing must be [B, K]', '[3,3]');
  });
  it('experts with a different K: experts=[3,...] routing=[2,2]', () => {
    expectError(() => condConv2d(x(), E(), rnd(3, [2, 2])), 'condConv2d', 'experts has K = 3 but routing has K = 2', '[3,6,4,3,3]');
  });
  it('groups not dividing channels: x=[2,4,5,5] g=3; O=6 g=4', () => {
    expectError(
      () => condConv2d(x(), rnd(2, [3, 6, 1, 3, 3]), r(), null, { groups: 3 }),
      'condConv2d',
      'groups 3 does not divide the input channels 4',
      '[2,4,5,5]',
    );
    expectError(
      () => condConv2d(x(), rnd(2, [3, 6, 1, 3, 3]), r(), null, { groups: 4 }),
      'condConv2d',
      'groups 4 does not divide the output channels 6',
      '[3,6,1,3,3]',
    );
    expectError(() => condConv2d(x(), rnd(2, [3, 6, 2, 3, 3]), r(), null), 'condConv2d', 'C/groups = 4/1 = 4', '[3,6,2,3,3]');
  });
  it('bias not [K, O]: [6] and [2,6] for experts=[3,6,4,3,3]', () => {
    expectError(() => condConv2d(x(), E(), r(), rnd(4, [6])), 'condConv2d', 'bias must be [K, O] = [3, 6]', 'got [6]');
    expectError(() => condConv2d(x(), E(), r(), rnd(4, [2, 6])), 'condConv2d', 'bias must be [K, O] = [3, 6]', 'got [2,6]');
  });
  it('unknown path name', () => {
    expectError(
      () => condConv2d(x(), E(), r(), null, { path: 'fast' as 'fused' }),
      'condConv2d',
      "path must be one of 'fused', 'moe', 'batch1', 'auto'",
      '"fast"',
    );
    expectError(() => planCondLinear([2, 3], [1, 2, 3], { path: 'x' as 'moe' }), 'condLinear', 'path must be one of');
  });
  it('batch1 with B=2', () => {
    expectError(() => condConv2d(x(), E(), r(), null, { path: 'batch1' }), 'condConv2d', "path 'batch1' needs a batch of 1, got batch 2");
    expectError(() => condLinear(rnd(1, [2, 4]), rnd(2, [3, 5, 4]), r(), null, { path: 'batch1' }), 'condLinear', 'batch of 1');
  });
  it('wrong ranks, dtypes and kernel sizes', () => {
    expectError(() => condConv2d(x(), rnd(2, [6, 4, 3, 3]), r()), 'condConv2d', 'experts must be [K, O, C/groups, kH, kW]', '[6,4,3,3]');
    expectError(() => condConv2d(rnd(1, [4, 5, 5]), E(), r()), 'condConv2d', 'x must be [B, C, H, W]', '[4,5,5]');
    expectError(() => condConv2d(x(), E(), rnd(3, [2, 3], 'float32')), 'condConv2d', 'routing [2,3] is float32');
    expectError(() => condConv2d(x(), rnd(2, [3, 6, 4, 7, 7]), r()), 'condConv2d', 'larger than the padded input');
    expectError(() => condConv2d(x(), E(), r(), null, { stride: 0 }), 'condConv2d', 'stride must be >= 1');
  });
  it('condLinear: x=[2,4] with experts=[3,5,3], routing=[2,2], bias=[3,4]', () => {
    const xl = rnd(1, [2, 4]);
    expectError(() => condLinear(xl, rnd(2, [3, 5, 3]), r()), 'condLinear', 'experts must be [K, out, in] with in = 4', '[3,5,3]');
    expectError(() => condLinear(xl, rnd(2, [3, 5, 4]), rnd(3, [2, 2])), 'condLinear', 'experts has K = 3 but routing has K = 2');
    expectError(() => condLinear(xl, rnd(2, [3, 5, 4]), r(), rnd(4, [3, 4])), 'condLinear', 'bias must be [K, O] = [3, 5]');
    expectError(() => condLinear(rnd(1, [2, 4, 1]), rnd(2, [3, 5, 4]), r()), 'condLinear', 'x must be [B, in]');
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

/** Allocations (element counts) and bytes of one forward + backward on the given path. */
function fwdBwd(K: number, path: CondPath): { sizes: number[]; bytes: number; wSize: number; ySize: number; xSize: number } {
  const { backend, sizes } = recordingBackend();
  const [B, C, O] = [4, 8, 16];
  const x = rnd(1, [B, C, 10, 10], 'float32', backend, -1, 1, true);
  const E = rnd(2, [K, O, C, 3, 3], 'float32', backend, -1, 1, true);
  const r = rnd(3, [B, K], 'float32', backend, 0, 1, true);
  const bias = rnd(4, [K, O], 'float32', backend, -1, 1, true);
  const dy = rnd(5, [B, O, 10, 10], 'float32', backend);
  sizes.length = 0;
  const before = cpuBackend.memory().bytesAllocated;
  condConv2d(x, E, r, bias, { padding: 1, path }).backward(dy);
  const bytes = cpuBackend.memory().bytesAllocated - before;
  return { sizes: [...sizes], bytes, wSize: O * C * 9, ySize: dy.size, xSize: x.size };
}

describe('condConv2d fused memory (backend allocation counters)', () => {
  it('x=[4,8,10,10] experts=[K,16,8,3,3] p=1 float32: no buffer above max(B·|W|, activations) but the K·|W| experts grad', () => {
    for (const K of [2, 8]) {
      const m = fwdBwd(K, 'fused');
      expect(m.bytes, 'the recorder sees every allocation').to.equal(m.sizes.reduce((a, s) => a + s, 0) * 4);
      const cap = Math.max(4 * m.wSize, m.xSize, m.ySize);
      const over = m.sizes.filter((s) => s > cap);
      expect(over.every((s) => s === K * m.wSize) && over.length <= 1, `K=${K} sizes ${m.sizes.join(',')}`).to.equal(true);
    }
  });
  it('x=[4,8,10,10] experts=[K,16,8,3,3] p=1 float32: bytes grow with K by the experts grad only (K=2 → 8), moe by K activations', () => {
    const [f2, f8] = [fwdBwd(2, 'fused'), fwdBwd(8, 'fused')];
    const B = 4;
    const O = 16;
    const growth = f8.bytes - f2.bytes;
    // K·|W| (dExperts) + K·O (dBias) + 3·B·K (two dα and their sum) elements per extra expert.
    expect(growth).to.be.at.least(6 * f2.wSize * 4);
    expect(growth).to.be.at.most(6 * (f2.wSize + O + 3 * B) * 4);
    const [m2, m8] = [fwdBwd(2, 'moe'), fwdBwd(8, 'moe')];
    expect(m8.bytes - m2.bytes).to.be.at.least(6 * 2 * m2.ySize * 4);
  });
});

describe('cost model: memory writes and launches', () => {
  it('K=1 x=[8,32,16,16] experts=[1,32,32,3,3] p=1 picks fused (moe writes and stacks the output again)', () => {
    const p = planCondConv([8, 32, 16, 16], [1, 32, 32, 3, 3], { padding: 1 });
    expect(p.path).to.equal('fused');
    expect(p.costs.moe).to.be.greaterThan(p.costs.fused);
  });
});
