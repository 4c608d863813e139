// Benchmark plots: the vega-lite specs rendered to SVG from a fixed fixture carry the expected series, legend and panels.

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { LINE_MARK, RULE_MARK, memorySpec, plotSpecs, ratioSpec, renderSvg } from '../../bench/report/plots.js';
import type { BenchReport } from '../../bench/report/rows.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/bench-small.json', import.meta.url), 'utf8')) as BenchReport;

/** The series (path names) of the line marks named `mark`, one entry per drawn line, from each line's aria-label. */
function lineSeries(svg: string, mark: string): string[] {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-line role-mark ${mark}_marks"[^>]*>(.*?)</g>`, 'gs'))];
  return groups.flatMap((g) => [...g[1].matchAll(/<path aria-label="[^"]*\bpath: ([a-z0-9]+)[;"][^>]*aria-roledescription="line mark"/g)].map((m) => m[1]));
}

function legendLabels(svg: string): string[] {
  const legend = svg.match(/<g class="mark-group role-legend".*?<g class="mark-text role-legend-title"/s)?.[0] ?? '';
  return [...legend.matchAll(/<g class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

function panelTitles(svg: string): string[] {
  return [...svg.matchAll(/aria-label="Title text '([^']*)'"/g)].map((m) => m[1]);
}

function count<T>(xs: readonly T[]): Map<T, number> {
  const m = new Map<T, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

describe('bench plots (fixture: cpu, conv3x3 C8 8x8 O8 at B=1 and B=8, dw3x3 C8 8x8 at B=8, K=1,2,4)', () => {
  it('plotSpecs yields the forward ratio, forward+backward ratio and memory plots', () => {
    expect(plotSpecs(fixture.rows).map((p) => p.file)).to.deep.equal(['ratio-forward.svg', 'ratio-forward-backward.svg', 'memory.svg']);
  });

  for (const mode of ['forward', 'forward+backward'] as const) {
    it(`ratio vs K (${mode}): 3 panels, one line per path (batch1 only at B=1), a ratio-1 rule per panel`, async () => {
      const svg = await renderSvg(ratioSpec(fixture.rows, mode));
      expect(svg.startsWith('<svg')).to.equal(true);
      expect(legendLabels(svg)).to.deep.equal(['fused', 'moe', 'loop', 'batch1', 'auto']);
      const series = count(lineSeries(svg, LINE_MARK.ratio));
      expect(Object.fromEntries(series)).to.deep.equal({ fused: 3, moe: 3, loop: 3, batch1: 1, auto: 3 });
      expect(panelTitles(svg)).to.include.members(['cpu · conv3x3 C8 8x8 O8 · B=1', 'cpu · conv3x3 C8 8x8 O8 · B=8', 'cpu · dw3x3 C8 8x8 · B=8']);
      expect([...svg.matchAll(new RegExp(`class="mark-rule role-mark ${RULE_MARK}_marks"`, 'g'))]).to.have.length(3);
      expect(svg).to.include(`CondConv time / plain conv vs K (${mode})`);
    });
  }

  it('ratio lines run through every K with the fixture values (moe at K=4 on conv B=8 is 4.4× plain)', async () => {
    const spec = ratioSpec(fixture.rows, 'forward') as unknown as { data: { values: { panel: string; path: string; K: number; value: number }[] } };
    const moe = spec.data.values.filter((p) => p.path === 'moe' && p.panel === 'cpu · conv3x3 C8 8x8 O8 · B=8');
    expect(moe.map((p) => [p.K, p.value])).to.deep.equal([
      [1, 1.1],
      [2, 2.2],
      [4, 4.4],
    ]);
    const svg = await renderSvg(spec as never);
    // Each line's aria-label names its first point; every line has one segment per K step.
    const dPaths = [...svg.matchAll(/aria-roledescription="line mark" d="([^"]*)"/g)].map((m) => m[1]);
    expect(dPaths).to.have.length(13);
    for (const d of dPaths) expect(d.split('L')).to.have.length(3);
  });

  it('memory vs K: 6 panels (3 × fwd/fwd+bwd), one line per path', async () => {
    const svg = await renderSvg(memorySpec(fixture.rows));
    expect(legendLabels(svg)).to.deep.equal(['fused', 'moe', 'loop', 'batch1', 'auto']);
    const series = count(lineSeries(svg, LINE_MARK.memory));
    expect(Object.fromEntries(series)).to.deep.equal({ fused: 6, moe: 6, loop: 6, batch1: 2, auto: 6 });
    expect(panelTitles(svg)).to.include.members(['cpu · dw3x3 C8 8x8 · B=8 · fwd', 'cpu · dw3x3 C8 8x8 · B=8 · fwd+bwd']);
  });

  it('rows without data make no plot; failed rows (ms null) are left out of the lines', async () => {
    expect(plotSpecs([])).to.deep.equal([]);
    const rows = fixture.rows.map((r) => (r.path === 'loop' ? { ...r, ms: null, ratio: null, scratchBytes: null, error: 'boom' } : r));
    const svg = await renderSvg(ratioSpec(rows, 'forward'));
    expect(legendLabels(svg)).to.deep.equal(['fused', 'moe', 'batch1', 'auto']);
    expect(lineSeries(svg, LINE_MARK.ratio)).to.not.include('loop');
  });
});
