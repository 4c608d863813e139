// Plots of the benchmark: vega-lite specs (time ratio vs K per path, forward and forward+backward; memory vs K), compiled and rendered to SVG by vega in Node.

import type { TopLevelSpec } from 'vega-lite';
import type { BenchRow } from './rows.js';
import { CONDCONV_PATHS, type Mode } from './sweep.js';

/** The mark names the specs give their line layers (the SVG groups carry them as `<name>_marks`). */
export const LINE_MARK = { ratio: 'ratio_lines', memory: 'memory_lines' } as const;

/** The mark name of the dashed ratio = 1 reference rule (one per panel). */
export const RULE_MARK = 'plain_rule';

export interface PlotFile {
  /** File name, e.g. `ratio-forward.svg`. */
  file: string;
  title: string;
  spec: TopLevelSpec;
}

const MIB = 2 ** 20;
const modeShort = (m: Mode): string => (m === 'forward' ? 'fwd' : 'fwd+bwd');

interface Point {
  panel: string;
  order: number;
  path: string;
  K: number;
  value: number;
}

/** Panel label and a sort key that keeps the sweep's order (backend, shape, batch, mode). */
function panels(rows: readonly BenchRow[], withMode: boolean): Map<string, number> {
  const order = new Map<string, number>();
  for (const r of rows) {
    const p = panelOf(r, withMode);
    if (!order.has(p)) order.set(p, order.size);
  }
  return order;
}

function panelOf(r: BenchRow, withMode: boolean): string {
  return `${r.backend} · ${r.shape} · B=${r.batch}${withMode ? ` · ${modeShort(r.mode)}` : ''}`;
}

/** The paths present in the points, in the sweep's order (fixes each path's colour across files). */
function pathDomain(points: readonly Point[]): string[] {
  return CONDCONV_PATHS.filter((p) => points.some((q) => q.path === p));
}

function lineSpec(title: string, name: string, points: Point[], yTitle: string, yScale: Record<string, unknown>, columns: number, rule: boolean): TopLevelSpec {
  const Ks = [...new Set(points.map((p) => p.K))].sort((a, b) => a - b);
  const domain = pathDomain(points);
  const layer: unknown[] = [
    {
      name,
      mark: { type: 'line', point: true, clip: true },
      encoding: {
        x: { field: 'K', type: 'quantitative', title: 'experts K', scale: { type: 'log', base: 2 }, axis: { values: Ks, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: yScale },
        color: { field: 'path', type: 'nominal', title: 'path', scale: { domain } },
        // auto runs one of the other paths, so its line lies on top of one: dashed, it stays visible.
        strokeDash: { field: 'path', type: 'nominal', title: 'path', scale: { domain, range: domain.map((p) => (p === 'auto' ? [6, 3] : [1, 0])) } },
        tooltip: [{ field: 'path' }, { field: 'K' }, { field: 'value', format: '.3g' }],
      },
    },
  ];
  // A dashed reference at ratio 1 (= plain conv), one per panel.
  if (rule)
    layer.push({
      name: RULE_MARK,
      transform: [{ aggregate: [], groupby: ['panel'] }],
      mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
      encoding: { y: { datum: 1 } },
    });
  const nPanels = new Set(points.map((p) => p.panel)).size;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points },
    facet: { field: 'panel', type: 'nominal', title: null, sort: { field: 'order', op: 'min' } },
    columns: Math.max(1, Math.min(columns, nPanels)),
    spec: { width: 220, height: 160, layer },
    config: { background: 'white' },
  } as unknown as TopLevelSpec;
}

/** Time ratio to plain conv vs K, one line per path, for one mode. */
export function ratioSpec(rows: readonly BenchRow[], mode: Mode): TopLevelSpec {
  const rs = rows.filter((r) => r.mode === mode && r.K !== null && r.path !== 'plain' && r.ratio !== null && r.ratio > 0);
  const order = panels(rs, false);
  const points = rs.map((r) => ({ panel: panelOf(r, false), order: order.get(panelOf(r, false))!, path: r.path, K: r.K!, value: r.ratio! }));
  // One row of panels per backend where it fits: as many columns as (shape, batch) pairs, at most 4.
  const columns = Math.min(4, new Set(rs.map((r) => `${r.shape}|${r.batch}`)).size);
  return lineSpec(`CondConv time / plain conv vs K (${mode})`, LINE_MARK.ratio, points, 'time / plain conv (log)', { type: 'log' }, columns, true);
}

/** Scratch memory (MiB) vs K, one line per path; panels per backend, shape, batch and mode. */
export function memorySpec(rows: readonly BenchRow[]): TopLevelSpec {
  const rs = rows.filter((r) => r.K !== null && r.path !== 'plain' && r.scratchBytes !== null);
  const order = panels(rs, true);
  const points = rs.map((r) => ({ panel: panelOf(r, true), order: order.get(panelOf(r, true))!, path: r.path, K: r.K!, value: r.scratchBytes! / MIB }));
  const spec = lineSpec(
    'CondConv scratch memory vs K (bytes allocated per call, minus outputs)',
    LINE_MARK.memory,
    points,
    'scratch MiB (symlog)',
    { type: 'symlog', constant: 0.01 },
    2,
    false,
  );
  // symlog's own ticks are sparse: label every decade up to the largest value.
  const top = Math.max(0, ...points.map((p) => p.value));
  const ticks = [0, 0.01, 0.1, 1, 10, 100, 1000, 10000].filter((t, i, a) => t <= top || (i > 0 && a[i - 1] < top));
  const y = (spec as unknown as { spec: { layer: { encoding: { y: Record<string, unknown> } }[] } }).spec.layer[0].encoding.y;
  y.axis = { values: ticks, labelExpr: "format(datum.value, ',')" };
  return spec;
}

/** The three plots the report writes, skipping any without data. */
export function plotSpecs(rows: readonly BenchRow[]): PlotFile[] {
  const out: PlotFile[] = [];
  const has = (m: Mode): boolean => rows.some((r) => r.mode === m && r.K !== null && r.ratio !== null);
  if (has('forward')) out.push({ file: 'ratio-forward.svg', title: 'time ratio vs K (forward)', spec: ratioSpec(rows, 'forward') });
  if (has('forward+backward'))
    out.push({ file: 'ratio-forward-backward.svg', title: 'time ratio vs K (forward+backward)', spec: ratioSpec(rows, 'forward+backward') });
  if (rows.some((r) => r.K !== null && r.scratchBytes !== null)) out.push({ file: 'memory.svg', title: 'scratch memory vs K', spec: memorySpec(rows) });
  return out;
}

/**
 * Compiles a vega-lite spec and renders it headless to an SVG string. vega and vega-lite load on
 * the first call, so CLI commands that draw nothing (and the library) never load them.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
