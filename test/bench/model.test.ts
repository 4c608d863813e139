// The model-level bench's logic: ratios from interleaved windows, its table and plot, the flags, and the step profiler's self-time accounting through core/op's hook.

import { expect } from 'chai';
import '../../kernels/register.js';
import { setOpProfiler } from '../../core/op.js';
import { tensor } from '../../core/creation.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { batchNorm2d } from '../../ops/norm.js';
import { mul } from '../../ops/arithmetic.js';
import { relu } from '../../ops/activations.js';
import { sum } from '../../ops/broadcast.js';
import { flagList, flagNumber, flagString } from '../../bench/model/flags.js';
import { kindShares, medianShares, opKind, StepProfiler } from '../../bench/model/profiler.js';
import { modelTable, ratioBarSpec, summarise } from '../../bench/model/report.js';
import { renderSvg } from '../../bench/report/plots.js';

describe('model-level bench', () => {
  const results = [
    { model: 'cnn' as const, K: null, windows: [100, 80, 120] },
    { model: 'cnn' as const, K: 8, windows: [90, 60, 100] },
    { model: 'resnet' as const, K: 4, windows: [50] },
  ];

  it('summarise: median img/s, ratio of medians to the plain twin, per-window ratio range; no twin, no ratio', () => {
    const rows = summarise(results);
    expect(rows[0]).to.deep.equal({ model: 'cnn', K: null, imagesPerSecond: 100, ratio: null, windowRatioRange: null });
    expect(rows[1].imagesPerSecond).to.equal(90);
    expect(rows[1].ratio).to.be.closeTo(0.9, 1e-12);
    expect(rows[1].windowRatioRange![0]).to.be.closeTo(0.75, 1e-12);
    expect(rows[1].windowRatioRange![1]).to.be.closeTo(0.9, 1e-12);
    expect(rows[2].ratio).to.equal(null);
  });

  it('modelTable: one line per model, K columns, dashes where a variant is missing', () => {
    const lines = modelTable(summarise(results)).split('\n');
    expect(lines[0]).to.match(/\| model +\| plain img\/s \| K=4 img\/s \| K=4 \/ plain \(windows\) \| K=8 img\/s \| K=8 \/ plain \(windows\) \|/);
    expect(lines[2]).to.match(/\| cnn +\| +100 \| +– \| +– \| +90 \| +0\.90× \(0\.75–0\.90\) \|/);
    expect(lines[3]).to.match(/\| resnet +\| +– \| +50 \| +– \| +– \| +– \|/);
  });

  it('ratioBarSpec renders one bar per CondConv variant with a ratio', async () => {
    const svg = await renderSvg(ratioBarSpec(summarise(results), 'test'));
    expect(svg).to.include('ratio_bars_marks');
    expect(svg).to.include('target_rules_marks');
    const bars = svg.split('ratio_bars_marks')[1].split('</g>')[0].match(/<path/g) ?? [];
    expect(bars.length).to.equal(1);
  });

  it('flags: values, defaults, lists, and errors for bad numbers or a missing value', () => {
    const argv = ['--batch', '16', '--models', 'cnn, resnet,', '--out'];
    expect(flagNumber(argv, 'batch', 64)).to.equal(16);
    expect(flagNumber(argv, 'windows', 5)).to.equal(5);
    expect(flagList(argv, 'models', 'x')).to.deep.equal(['cnn', 'resnet']);
    expect(() => flagString(argv, 'out', 'd')).to.throw(/--out needs a value/);
    expect(() => flagNumber(['--batch', '0'], 'batch', 64)).to.throw(/--batch must be a positive number/);
    expect(() => flagNumber(['--batch', 'x'], 'batch', 64)).to.throw(/--batch/);
  });

  it('opKind: regions win over op names; convs, mixing, elementwise, reductions, layout by name', () => {
    expect(opKind('matmul', 'router')).to.equal('routers');
    expect(opKind('mul', 'batchnorm')).to.equal('BatchNorm');
    expect(opKind('conv2dPerSample', null)).to.equal('conv (per-sample, CondConv)');
    expect(opKind('depthwiseConv2d', null)).to.equal('conv (plain)');
    expect(opKind('mixExperts', null)).to.equal('mixing (mixExperts)');
    expect(opKind('add', null)).to.equal('elementwise');
    expect(opKind('reduce', null)).to.equal('reductions');
    expect(opKind('reshape', null)).to.equal('layout (reshape, permute, pad, ...)');
    expect(opKind('somethingNew', null)).to.equal('other ops');
  });

  it('StepProfiler charges self time: a nested op is taken out of its parent', () => {
    let t = 0;
    const prof = new StepProfiler(() => t);
    prof.forward('conv2d', () => {
      t += 2;
      prof.forward('add', () => {
        t += 3;
      });
      t += 1;
    });
    const bwd = prof.region('router', () =>
      prof.backward('matmul', (dy: number) => {
        t += dy;
        return dy;
      }),
    );
    expect(bwd(4)).to.equal(4);
    const by = Object.fromEntries(prof.result().map((e) => [`${e.op}/${e.phase}`, [e.kind, e.ms, e.calls]]));
    expect(by).to.deep.equal({ 'conv2d/forward': ['conv (plain)', 3, 1], 'add/forward': ['elementwise', 3, 1], 'matmul/backward': ['routers', 4, 1] });
    const shares = kindShares(prof.result(), 20, 2);
    expect(shares[0]).to.deep.equal({ kind: 'allocation/other', msPerStep: 5, share: 0.5 });
    expect(shares.map((s) => s.kind)).to.have.members(['allocation/other', 'conv (plain)', 'elementwise', 'routers']);
  });

  it('the op hook sees every forward and backward of a real step, ops inside a region and their backward under it', () => {
    const prof = new StepProfiler();
    const x = tensor(
      Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => Math.sin(i)),
      [2, 3, 2, 2],
      { backend: cpuBackend, requiresGrad: true },
    );
    const y0 = (): number => {
      const y = prof.region('batchnorm', () => batchNorm2d(x, { training: true }));
      const l = sum(mul(relu(y), y));
      l.backward();
      return l.item();
    };
    const before = y0();
    const gradBefore = Array.from(x.grad!.dataSync());
    x.grad = null;
    const prev = setOpProfiler(prof);
    let after: number;
    try {
      after = y0();
    } finally {
      setOpProfiler(prev);
    }
    expect(after).to.equal(before);
    expect(Array.from(x.grad!.dataSync())).to.deep.equal(gradBefore);
    const es = prof.result();
    const bn = es.filter((e) => e.kind === 'BatchNorm');
    // Training batch norm is one fused op on the cpu backend: its forward and its backward count under the region.
    expect(bn.some((e) => e.phase === 'forward' && e.op === 'batchNorm2d')).to.equal(true);
    expect(bn.some((e) => e.phase === 'backward' && e.op === 'batchNorm2d')).to.equal(true);
    expect(es.some((e) => e.kind === 'elementwise' && e.op === 'relu' && e.phase === 'backward')).to.equal(true);
    expect(es.every((e) => e.ms >= 0 && e.calls >= 1)).to.equal(true);
  });
});

describe('model-level profile medians', () => {
  it('medianShares: per kind, the median over steps, a kind missing from a step counting 0, largest first', () => {
    const s = (conv: number, other: number, bn?: number) => [
      { kind: 'conv (plain)' as const, msPerStep: conv, share: conv / 10 },
      { kind: 'allocation/other' as const, msPerStep: other, share: other / 10 },
      ...(bn === undefined ? [] : [{ kind: 'BatchNorm' as const, msPerStep: bn, share: bn / 10 }]),
    ];
    const m = medianShares([s(5, 1, 9), s(6, 50, 2), s(4, 2)]);
    expect(m).to.deep.equal([
      { kind: 'conv (plain)', msPerStep: 5, share: 0.5 },
      { kind: 'allocation/other', msPerStep: 2, share: 0.2 },
      { kind: 'BatchNorm', msPerStep: 2, share: 0.2 },
    ]);
  });
});
