// Bench runner on the cpu backend with a tiny sweep: row structure, ratios, auto plans, memory bookkeeping (no timing assertions).

import '../../kernels/register.js';
import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { runBackend } from '../../bench/report/runner.js';
import {
  conv1dShape,
  convShape,
  countMeasurements,
  depthwiseShape,
  layerMacs,
  linearShape,
  MODES,
  ALL_PATHS,
  QUICK,
  FULL,
  weightSize,
  type SweepConfig,
} from '../../bench/report/sweep.js';
import { timeRounds, median } from '../../bench/report/timing.js';
import { parseBackends } from '../../cli/bench.js';

const tiny: SweepConfig = {
  preset: 'custom',
  shapes: [convShape(4, 6, 6), depthwiseShape(4, 6), conv1dShape(4, 36, 6), linearShape(8, 6)],
  batches: [1, 2],
  Ks: [3],
  modes: MODES,
  paths: ALL_PATHS,
  warmup: 1,
  jitWarmupMs: 0,
  minReps: 2,
  maxReps: 2,
  budgetMs: 0,
};

describe('bench runner (cpu; conv3x3 C4 6x6 O6, dw3x3 C4 6x6, conv1d k3 C4 L36 O6, linear 8→6; B=1,2; K=3)', () => {
  let rows: Awaited<ReturnType<typeof runBackend>>;
  const progress: [number, number][] = [];
  before(async function () {
    this.timeout(60000);
    rows = await runBackend(cpuBackend, tiny, (d, t) => progress.push([d, t]));
  });

  it('one row per (shape, B, K, mode, path), batch1 only at B=1, no errors', () => {
    expect(rows).to.have.length(countMeasurements(tiny));
    expect(rows.length).to.equal(4 * 2 * (6 + 5));
    expect(rows.filter((r) => r.error !== undefined).map((r) => r.error)).to.deep.equal([]);
    expect(rows.filter((r) => r.path === 'batch1').every((r) => r.batch === 1)).to.equal(true);
    expect(progress[progress.length - 1]).to.deep.equal([rows.length, rows.length]);
  });

  it('each row: median of its 2 times, ratio to the plain row of its group, GFLOP/s from the nominal flops', () => {
    for (const r of rows) {
      expect(r.times).to.have.length(2);
      expect(r.ms).to.equal(median(r.times));
      const plain = rows.find((p) => p.path === 'plain' && p.shape === r.shape && p.batch === r.batch && p.K === r.K && p.mode === r.mode)!;
      expect(r.ratio).to.be.closeTo(r.ms! / plain.ms!, 1e-12);
      expect(r.gflops).to.be.closeTo(r.flops / (r.ms! * 1e6), 1e-9);
    }
  });

  it('auto rows carry the planner choice and its costs (batch1 costed only at B=1)', () => {
    const autos = rows.filter((r) => r.path === 'auto');
    expect(autos).to.have.length(4 * 2 * 2);
    for (const a of autos) {
      expect(['fused', 'moe', 'batch1']).to.include(a.autoChoice);
      expect(a.autoCosts).to.have.keys(a.batch === 1 ? ['fused', 'moe', 'batch1'] : ['fused', 'moe']);
    }
  });

  it('the 1-D shape runs condConv1d against conv1d: x [B,4,36], experts [3,6,4,3], outputs [B,6,36], 1-D MACs', () => {
    const s = conv1dShape(4, 36, 6);
    expect([s.kind, s.name, weightSize(s), layerMacs(s, 2)]).to.deep.equal(['conv1d', 'conv1d k3 C4 L36 O6', 6 * 4 * 3, 2 * 6 * 36 * 4 * 3]);
    const r1d = rows.filter((r) => r.kind === 'conv1d');
    expect(r1d).to.have.length(2 * (6 + 5));
    expect(r1d.every((r) => r.shape === s.name && r.ms !== null && r.error === undefined)).to.equal(true);
    const auto = r1d.find((r) => r.path === 'auto' && r.batch === 2)!;
    expect(auto.autoChoice).to.equal('fused');
  });

  it('the quick and full presets hold a 1-D shape', () => {
    expect(QUICK.shapes.filter((s) => s.kind === 'conv1d').map((s) => s.name)).to.deep.equal(['conv1d k3 C32 L256 O32']);
    expect(FULL.shapes.filter((s) => s.kind === 'conv1d').map((s) => s.name)).to.deep.equal(['conv1d k3 C64 L1024 O64']);
  });

  it('forward memory: allocated − scratch = the output y; moe allocates K outputs, fused does not', () => {
    const fwd = rows.filter((r) => r.mode === 'forward');
    for (const r of fwd) {
      const [O, HW] = r.shape.startsWith('linear') ? [6, 1] : [r.shape.startsWith('dw') ? 4 : 6, 36]; // 6x6 maps and L = 36
      expect(r.allocBytes! - r.scratchBytes!, `${r.shape} ${r.path}`).to.equal(r.batch * O * HW * 4);
    }
    const conv = (path: string) => fwd.find((r) => r.shape.startsWith('conv3x3') && r.batch === 2 && r.K === 3 && r.path === path)!;
    expect(conv('moe').scratchBytes!).to.be.at.least(3 * 2 * 6 * 36 * 4);
    // fused: the mixed per-sample kernels [2, 6, 4, 3, 3], nothing K-sized.
    expect(conv('fused').scratchBytes!).to.be.below(conv('moe').scratchBytes!);
  });
});

describe('bench timing rounds', () => {
  it('interleaves the calls, drops one that throws, honours minReps/maxReps', async () => {
    const order: string[] = [];
    let n = 0;
    const rounds: number[] = [];
    const ok = (name: string) => async (round: number) => {
      order.push(name);
      if (name === 'a') rounds.push(round);
      return { ms: 1 };
    };
    const bad = async () => {
      order.push('bad');
      if (++n > 1) throw new Error('fails on its 2nd call');
      return { ms: 1 };
    };
    const out = await timeRounds([ok('a'), bad, ok('b')], { warmup: 1, minReps: 3, maxReps: 3, budgetMs: 1e9 });
    expect(order).to.deep.equal(['a', 'bad', 'b', 'a', 'bad', 'b', 'a', 'b', 'a', 'b']);
    expect((out[0] as unknown[]).length).to.equal(3);
    expect(out[1]).to.be.instanceOf(Error);
    expect((out[2] as unknown[]).length).to.equal(3);
    expect(rounds).to.deep.equal([-1, 0, 1, 2]);
  });
});

describe('bench --backend parsing', () => {
  it('all, single names and comma lists; unknown names are usage errors', () => {
    expect(parseBackends('all')).to.deep.equal(['cpu', 'wasm', 'gpu']);
    expect(parseBackends('gpu')).to.deep.equal(['gpu']);
    expect(parseBackends('cpu, wasm,cpu')).to.deep.equal(['cpu', 'wasm']);
    expect(() => parseBackends('tpu')).to.throw(/--backend must be all or a comma list of cpu, wasm, gpu; got 'tpu'/);
  });
});

describe('bench runner on a wasm heap of 8 MiB (conv3x3 C16 16x16 O16, B=8, K=16 then K=1)', () => {
  it('a path that runs out of memory is a CondgradError row, frees what it made, and later cells still run', async function () {
    this.timeout(60000);
    const { createWasmBackend } = await import('../../kernels/wasm/backend.js');
    const b = await createWasmBackend({ threads: 1, maxMemoryBytes: 8 * 2 ** 20 });
    try {
      const rows = await runBackend(b, { ...tiny, shapes: [convShape(16, 16, 16)], batches: [8], Ks: [16, 1], warmup: 0, minReps: 1, maxReps: 1 });
      const failed = rows.filter((r) => r.error !== undefined);
      expect(failed.length).to.be.greaterThan(0);
      expect(failed.every((r) => r.errorType === 'CondgradError' && /out of memory/.test(r.error!))).to.equal(true);
      expect(rows.filter((r) => r.K === 16 && r.path === 'moe').map((r) => r.errorType)).to.deep.equal(['CondgradError', 'CondgradError']);
      // Nothing leaked: every K=1 forward cell (moe included) ran after the K=16 failures, and the heap ends empty.
      expect(rows.filter((r) => r.K === 1 && r.mode === 'forward').map((r) => r.error ?? 'ok')).to.deep.equal(['ok', 'ok', 'ok', 'ok', 'ok']);
      expect(b.memory().liveBytes).to.equal(0);
    } finally {
      await b.destroy();
    }
  });
});
