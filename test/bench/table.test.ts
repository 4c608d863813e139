// Benchmark report tables and the auto-path check, on the fixed fixture: cell formats, columns, verdicts and flagged rows.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { autoVerdicts, flaggedVerdicts, verdictFor } from '../../bench/report/auto_check.js';
import type { BenchReport, BenchRow } from '../../bench/report/rows.js';
import { fmtMiB, fmtMs, fmtRatio, formatReport, markdownTable, sectionTables } from '../../bench/report/table.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/bench-small.json', import.meta.url), 'utf8')) as BenchReport;

describe('bench table formatting', () => {
  it('markdownTable pads columns, right-aligns numbers and escapes pipes', () => {
    const t = markdownTable(
      ['name', 'ms'],
      [
        ['a|b', '1.5'],
        ['long name', '12'],
      ],
      ['l', 'r'],
    );
    expect(t.split('\n')).to.deep.equal(['| name      |  ms |', '|:----------|----:|', '| a\\|b      | 1.5 |', '| long name |  12 |']);
    expect(() => markdownTable(['a', 'b'], [['1']])).to.throw(/1 cells, header has 2/);
  });

  it('number formats: 3 significant digits for ms, ratios with ×, signed MiB', () => {
    expect([fmtMs(0.4567), fmtMs(4.567), fmtMs(45.67), fmtMs(456.7), fmtMs(null)]).to.deep.equal(['0.457', '4.57', '45.7', '457', '–']);
    expect([fmtRatio(1.049), fmtRatio(16.04), fmtRatio(null)]).to.deep.equal(['1.05×', '16.0×', '–']);
    expect([fmtMiB(3 * 2 ** 20), fmtMiB(-0.5 * 2 ** 20), fmtMiB(200 * 2 ** 20)]).to.deep.equal(['3.0', '-0.50', '200']);
  });

  it('cpu forward section: one line per (shape, B, K), plain ms, path ms with ratio, auto verdict', () => {
    const rows = fixture.rows.filter((r) => r.backend === 'cpu' && r.mode === 'forward');
    const { time, memory } = sectionTables(
      rows,
      autoVerdicts(fixture.rows).filter((v) => v.mode === 'forward'),
    );
    const lines = time.split('\n');
    expect(lines[0]).to.match(
      /^\| shape +\| +B \| +K \| plain ms \| fused ms \(×plain\) \| moe ms \(×plain\) \| loop ms \(×plain\) \| batch1 ms \(×plain\) \| auto ms \(×plain\) \| auto pick +\|$/,
    );
    expect(lines).to.have.length(2 + 9);
    const cells = (l: string): string[] => l.split(' | ').map((c) => c.replace(/^\| /, '').replace(/ \|$/, '').trim());
    // conv3x3 B=8 K=4: plain 4 ms, fused 4.36 ms (1.09×), moe 17.6 ms (4.40×), no batch1 at B=8.
    expect(cells(lines[7])).to.deep.equal([
      'conv3x3 C8 8x8 O8',
      '8',
      '4',
      '4.00',
      '4.36 (1.09×)',
      '17.6 (4.40×)',
      '6.40 (1.60×)',
      '',
      '4.40 (1.10×)',
      'auto: fused ✓',
    ]);
    expect(cells(lines[2])[7]).to.equal('0.490 (0.98×)');
    expect(cells(lines[9])).to.include('auto: moe ✗ (fused 2.1× faster)');
    const mem = memory.split('\n');
    expect(mem[0]).to.match(/\| +plain \| +fused \| +moe \| +loop \| +batch1 \| +auto \|$/);
    // moe at dw B=8 K=4: scratch = 4·8·64·8·4 bytes = 0.0625 MiB, GFLOP/s = flops / ms.
    const moe = rows.find((r) => r.shape === 'dw3x3 C8 8x8' && r.K === 4 && r.path === 'moe')!;
    expect(cells(mem[10])[5]).to.equal(`${moe.gflops!.toFixed(2)} · 0.06 · 0.06`);
  });

  it('formatReport: backends with reasons, four sections, the flagged row listed', () => {
    const md = formatReport(fixture);
    expect(md).to.include('- cpu: measured (threads: 1)');
    expect(md).to.include('- gpu: unavailable — no WebGPU adapter');
    expect(md.match(/^### /gm)).to.have.length(4);
    expect(md).to.include('### cpu — forward+backward: ms (ratio to plain conv)');
    expect(md).to.include('auto picked the fastest path (or one within 10%) in 17 of 18 rows.');
    expect(md).to.include('- ✗ cpu forward dw3x3 C8 8x8 B=8 K=2: auto: moe ✗ (fused 2.1× faster)');
  });

  it('failed measurements are listed once per (backend, shape, message) with their cells', () => {
    const rows = fixture.rows.map((r): BenchRow =>
      r.path === 'moe' && r.shape === 'dw3x3 C8 8x8' ? { ...r, ms: null, ratio: null, error: 'gpu.alloc: too big', errorType: 'CondgradError' } : r,
    );
    const md = formatReport({ ...fixture, rows });
    expect(md).to.include('6 measurement(s) failed:');
    expect(md).to.include(
      '- cpu dw3x3 C8 8x8: CondgradError: gpu.alloc: too big (B=8 K=1 moe fwd; B=8 K=2 moe fwd; B=8 K=4 moe fwd; B=8 K=1 moe fwd+bwd; … 2 more)',
    );
    expect(formatReport(fixture)).to.not.include('failed:');
  });

  it('a failed path shows "error" in its cell', () => {
    const rows = fixture.rows
      .filter((r) => r.mode === 'forward')
      .map((r): BenchRow => (r.path === 'moe' ? { ...r, ms: null, ratio: null, error: 'out of memory' } : r));
    const { time } = sectionTables(rows, []);
    expect(time.split('\n')[5]).to.match(/\| +error \|/);
  });
});

describe('bench auto-path check', () => {
  const verdicts = autoVerdicts(fixture.rows);

  it('one verdict per (shape, B, K, mode) with an auto row: 18 in the fixture', () => {
    expect(verdicts).to.have.length(18);
    expect(verdicts.filter((v) => v.status === 'ok')).to.have.length(16);
  });

  it('B=1: batch1 is the fastest candidate and the planner chose it', () => {
    const v = verdicts.find((x) => x.shape === 'conv3x3 C8 8x8 O8' && x.batch === 1 && x.K === 4 && x.mode === 'forward')!;
    expect(v).to.include({ choice: 'batch1', best: 'batch1', status: 'ok', label: 'auto: batch1 ✓' });
  });

  it('dw3x3 B=8 forward: moe chosen at K=1 is within 10% of fused (close), at K=2 it is flagged', () => {
    const at = (K: number) => verdicts.find((x) => x.shape === 'dw3x3 C8 8x8' && x.K === K && x.mode === 'forward')!;
    expect(at(1)).to.include({ choice: 'moe', best: 'fused', status: 'close', label: 'auto: moe ≈ (fused 4% faster)' });
    expect(at(2)).to.include({ choice: 'moe', best: 'fused', status: 'wrong', label: 'auto: moe ✗ (fused 2.1× faster)', choiceMs: 8.8, bestMs: 4.28 });
    expect(flaggedVerdicts(verdicts).map((v) => `${v.shape} K=${v.K} ${v.mode}`)).to.deep.equal(['dw3x3 C8 8x8 K=2 forward']);
  });

  it('a tighter tolerance flags the K=1 row too; loop never counts as a candidate', () => {
    expect(flaggedVerdicts(autoVerdicts(fixture.rows, 0.01))).to.have.length(2);
    const group = fixture.rows
      .filter((r) => r.shape === 'conv3x3 C8 8x8 O8' && r.batch === 8 && r.K === 2 && r.mode === 'forward')
      .map((r): BenchRow => (r.path === 'loop' ? { ...r, ms: 0.001 } : r));
    expect(verdictFor(group, 0.1)).to.include({ best: 'fused', status: 'ok' });
  });

  it('missing auto row or failed candidates give an undecided verdict, not a flag', () => {
    const group = fixture.rows.filter((r) => r.shape === 'conv3x3 C8 8x8 O8' && r.batch === 8 && r.K === 2 && r.mode === 'forward');
    expect(
      verdictFor(
        group.filter((r) => r.path !== 'auto'),
        0.1,
      ),
    ).to.include({ status: 'unknown', label: 'auto: ?' });
    const failed = group.map((r): BenchRow => (r.path === 'auto' ? { ...r, ms: null, autoChoice: undefined, error: 'x' } : r));
    expect(verdictFor(failed, 0.1)).to.include({ status: 'unknown', label: 'auto: error' });
  });
});
