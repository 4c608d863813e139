// The real-GPU check's pure pieces: relative error, kernel summaries, the backend comparison, budget shares, group predictions, markdown.

import '../../kernels/register.js';
import { expect } from 'chai';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { Deadline, shareOf } from '../../bench/gpu_check/budget.js';
import { kernelCases } from '../../bench/gpu_check/cases.js';
import { crossCheck, relError } from '../../bench/gpu_check/crosscheck.js';
import { compareBackends, fmtNum, formatMarkdown, summarizeChecks, trainingLines, type CheckRow, type GpuCheckReport } from '../../bench/gpu_check/format.js';
import { trainingCases, trainingSpeed, type TrainingRow } from '../../bench/gpu_check/training.js';
import { POLICIES, predictGroupMs, speedCases } from '../../bench/gpu_check/speed.js';
import type { BenchRow } from '../../bench/report/rows.js';
import { convShape } from '../../bench/report/sweep.js';

function row(backend: string, path: BenchRow['path'], K: number, ms: number | null, mode: BenchRow['mode'] = 'forward'): BenchRow {
  return {
    backend,
    shape: 'conv3x3 C64 32x32 O64',
    kind: 'conv',
    batch: 8,
    K,
    mode,
    path,
    ms,
    times: ms === null ? [] : [ms],
    flops: 6e8,
    gflops: ms === null ? null : 6e8 / (ms * 1e6),
    ratio: null,
    allocBytes: null,
    scratchBytes: null,
    rssDeltaBytes: null,
  };
}

describe('gpu check: pure pieces', () => {
  it('relError: max|Δ| over max|ref|; length mismatch and NaN give Infinity; equal infinities pass', () => {
    expect(relError([1, 2.5, -4], [1, 2, -4])).to.deep.equal({ abs: 0.5, rel: 0.125 });
    expect(relError([0, 0], [0, 0])).to.deep.equal({ abs: 0, rel: 0 });
    expect(relError([1], [1, 2]).rel).to.equal(Infinity);
    expect(relError([NaN, 1], [1, 1]).rel).to.equal(Infinity);
    expect(relError([-Infinity, 3], [-Infinity, 4]).rel).to.equal(0.25);
  });

  it('summarizeChecks: per kernel configs, failures and the worst error', () => {
    const r = (kernel: string, rel: number | null, ok: boolean): CheckRow => ({ kernel, config: '', maxRelErr: rel, maxAbsErr: rel, tol: 1e-4, ok, ms: 1 });
    expect(summarizeChecks([r('conv2d', 1e-7, true), r('conv2d', 3e-7, true), r('pad', null, false)])).to.deep.equal([
      { kernel: 'conv2d', configs: 2, failed: 0, maxRelErr: 3e-7 },
      { kernel: 'pad', configs: 1, failed: 1, maxRelErr: null },
    ]);
  });

  it('compareBackends: plain once per (shape, B, mode) from the smallest K; gpu speed-ups over wasm and cpu', () => {
    const rows = [
      row('gpu', 'plain', 4, 3),
      row('gpu', 'fused', 4, 4),
      row('gpu', 'plain', 1, 2),
      row('gpu', 'fused', 1, 2.5),
      row('wasm', 'plain', 1, 10),
      row('wasm', 'fused', 1, 12),
      row('cpu', 'fused', 1, 100),
      row('wasm', 'moe', 1, null),
    ];
    const c = compareBackends(rows);
    expect(c.map((x) => `${x.path}@${x.K}`)).to.deep.equal(['plain@0', 'fused@1', 'moe@1', 'fused@4']);
    expect(c[0].ms).to.deep.equal({ gpu: 2, wasm: 10 });
    expect(c[0].gpuOverWasm).to.equal(5);
    expect(c[1].gpuOverWasm).to.equal(12 / 2.5);
    expect(c[1].gpuOverCpu).to.equal(40);
    expect(c[2].gpuOverWasm).to.equal(null);
  });

  it("shareOf: the first weight's part of what is left after the reserve", () => {
    const d = shareOf(Deadline.in(100), [1, 3], 20);
    expect(d.leftMs()).to.be.within(19_000, 20_001);
    expect(shareOf(Deadline.in(1), [1], 20).leftMs()).to.equal(0);
  });

  it("predictGroupMs: from the same shape's plain time, else from the slowest plain GFLOP/s (any mode), else null", () => {
    const p = POLICIES.wasm;
    const c = { shape: convShape(64, 32, 64), batch: 8 };
    expect(predictGroupMs([], c, 4, 'forward', p)).to.equal(null);
    expect(predictGroupMs([row('wasm', 'plain', 1, 10)], c, 4, 'forward', p)).to.equal((p.warmup + p.minReps) * 10 * (3 + 6));
    const fb = predictGroupMs([row('wasm', 'plain', 1, 10)], c, 1, 'forward+backward', p)!;
    expect(fb).to.be.greaterThan(0);
  });

  it('speedCases: the four H200 table rows (and depthwise N8): conv3x3 B8/B32, dw3x3 C128 B32, conv1x1 C128 16x16 B32', () => {
    expect(speedCases(false).map((s) => `${s.shape.name} B=${s.batch}`)).to.deep.equal([
      'conv3x3 C64 32x32 O64 B=8',
      'dw3x3 C128 32x32 B=8',
      'conv1x1 C128 16x16 O128 B=32',
      'dw3x3 C128 32x32 B=32',
      'conv3x3 C64 32x32 O64 B=32',
    ]);
  });

  it('crossCheck of the cpu backend against itself: small cases, every kernel family, zero error', async () => {
    const cases = kernelCases(5, true).filter((c, i) => i % 4 === 0 || c.kernel.startsWith('conv'));
    const r = await crossCheck(cpuBackend, cases, Deadline.in(30), 10_000, () => undefined);
    expect(r.stuck).to.equal(false);
    expect(r.rows.filter((x) => !x.ok)).to.deep.equal([]);
    expect(r.rows.every((x) => x.maxRelErr! < 1e-6)).to.equal(true);
    expect(new Set(r.rows.map((x) => x.kernel))).to.include.members(['unary', 'conv2d', 'conv2dBackwardInput', 'conv2dBackwardFilter']);
  });

  it('formatMarkdown: a loud warning when the adapter is not a real GPU', () => {
    const report = {
      version: 1,
      startedAt: 't',
      wallSeconds: 1,
      budgetS: 60,
      finished: true,
      args: {},
      manifest: null,
      env: {},
      machine: { cpuModel: 'x', cores: 2, memoryBytes: 1, node: 'v20', os: 'linux' },
      realGpu: false,
      adapter: {
        backend: 'opengles',
        featureLevel: 'compatibility',
        ok: true,
        name: 'llvmpipe',
        vendor: '',
        architecture: '',
        description: 'Mesa',
        software: true,
        ms: 1,
      },
      probes: [],
      attempts: [],
      wasmThreads: 2,
      phases: [],
      crossCheck: { rows: [], summary: [] },
      speed: { rows: [], skipped: [], comparison: [] },
      training: [],
      errors: [],
    } satisfies GpuCheckReport;
    const md = formatMarkdown(report);
    expect(md).to.contain('NOT A REAL GPU');
    expect(md).to.contain('**llvmpipe**');
    expect(fmtNum(null)).to.equal('–');
    expect(fmtNum(1234.5)).to.equal('1235');
    expect(fmtNum(0.5)).to.equal('0.500');
  });

  it('trainingSpeed: trains the quick case on cpu with finite losses and a step time; a bad case is an error row, not a throw', async function () {
    this.timeout(120_000);
    const [c] = trainingCases(true);
    const r = await trainingSpeed(cpuBackend, c, Deadline.in(0));
    expect(r.error).to.equal(undefined);
    expect(r.steps).to.equal(3);
    expect(r.losses).to.have.length(5);
    expect(r.losses.every(Number.isFinite)).to.equal(true);
    expect(r.msPerStep).to.be.greaterThan(0);
    expect(r.imgPerS).to.be.closeTo((1000 * c.batch) / r.msPerStep!, 1e-9);
    const bad = await trainingSpeed(cpuBackend, { model: 'cnn', K: 4, batch: 0 }, Deadline.in(0));
    expect(bad.error).to.be.a('string');
    expect(bad.imgPerS).to.equal(null);
    expect(trainingCases(false)).to.deep.equal([
      { model: 'mobilenet-v1', K: 8, batch: 64 },
      { model: 'mobilenet-v1', K: null, batch: 64 },
    ]);
  });

  it('trainingLines: img/s per backend and the gpu / wasm ratio of the same variant; failures listed', () => {
    const t = (backend: string, K: number | null, imgPerS: number | null, error?: string): TrainingRow => ({
      backend,
      model: 'mobilenet-v1',
      K,
      batch: 64,
      steps: 3,
      msPerStep: imgPerS === null ? null : 64_000 / imgPerS,
      imgPerS,
      losses: [],
      ...(error ? { error } : {}),
    });
    const lines = trainingLines([t('gpu', 8, 3000), t('wasm', 8, 600), t('gpu', null, null, 'boom'), t('wasm', null, 800)]);
    expect(lines).to.include('| mobilenet-v1 CondConv K=8 B=64 | 3000 | 600 | 5.00 |');
    expect(lines).to.include('| mobilenet-v1 plain B=64 | – | 800 | – |');
    expect(lines).to.include('- gpu mobilenet-v1 plain B=64: boom');
    expect(trainingLines([])).to.deep.equal([]);
  });
});
