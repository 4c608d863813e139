// Plots of the reproduction as vega-lite specs: accuracy against MACs, accuracy against K, and per-class routing-weight heatmaps.

import type { TopLevelSpec } from 'vega-lite';
import { FAMILIES, FAMILY_LABEL, type Family } from './plan.js';
import type { RoutingStats } from './routing.js';
import type { VariantSummary } from './stats.js';

/** The names of the specs' mark layers (the SVG groups carry them as `<name>_marks`). */
export const MARK = {
  points: 'variant_points',
  errorbars: 'variant_errorbars',
  labels: 'variant_labels',
  condconvLine: 'condconv_line',
  referenceRules: 'reference_rules',
  routingCells: 'routing_cells',
} as const;

export interface PlotFile {
  file: string;
  title: string;
  spec: TopLevelSpec;
}

const COLORS: Readonly<Record<Family, string>> = { baseline: '#4c4c4c', condconv: '#1f77b4', dyconv: '#d62728', wide: '#9467bd', dropout: '#2ca02c' };
const SHAPES: Readonly<Record<Family, string>> = { baseline: 'square', condconv: 'circle', dyconv: 'triangle-up', wide: 'diamond', dropout: 'cross' };

/** Colour and shape encodings of the series over the families present, in FAMILIES order (one legend, fixed colours). */
function seriesEncodings(vs: readonly VariantSummary[]): { color: Record<string, unknown>; shape: Record<string, unknown> } {
  const fams = FAMILIES.filter((f) => vs.some((v) => v.family === f && v.accuracy.n > 0));
  const domain = fams.map((f) => FAMILY_LABEL[f]);
  return {
    color: { field: 'series', type: 'nominal', title: null, scale: { domain, range: fams.map((f) => COLORS[f]) } },
    shape: { field: 'series', type: 'nominal', title: null, scale: { domain, range: fams.map((f) => SHAPES[f]) } },
  };
}

function shortLabel(v: VariantSummary): string {
  switch (v.family) {
    case 'baseline':
      return `w=${v.width}`;
    case 'wide':
      return `w=${v.width}`;
    case 'condconv':
      return `K=${v.experts}`;
    case 'dyconv':
      return `Dy K=${v.experts}`;
    case 'dropout':
      return `K=${v.experts} drop ${v.expertDropout}`;
  }
}

interface Point {
  variant: string;
  series: string;
  label: string;
  K: number | null;
  macs: number;
  params: number;
  acc: number;
  lo: number | null;
  hi: number | null;
  n: number;
}

function points(vs: readonly VariantSummary[]): Point[] {
  return vs
    .filter((v) => v.accuracy.n > 0)
    .map((v) => {
      const sd = v.accuracy.std;
      return {
        variant: v.id,
        series: FAMILY_LABEL[v.family],
        label: shortLabel(v),
        K: v.experts,
        macs: v.macs,
        params: v.params,
        acc: 100 * v.accuracy.mean,
        lo: sd === null ? null : 100 * (v.accuracy.mean - sd),
        hi: sd === null ? null : 100 * (v.accuracy.mean + sd),
        n: v.accuracy.n,
      };
    });
}

const TOOLTIP = [
  { field: 'label' },
  { field: 'acc', title: 'accuracy %', format: '.2f' },
  { field: 'macs', format: ',' },
  { field: 'params', format: ',' },
  { field: 'n', title: 'seeds' },
];

/** Test accuracy (mean ± std over seeds) against MACs per image, one point per variant; CondConv's K series joined by a line. */
export function accuracyMacsSpec(vs: readonly VariantSummary[]): TopLevelSpec {
  const data = points(vs);
  const cond = FAMILY_LABEL.condconv;
  const { color, shape } = seriesEncodings(vs);
  const x = { field: 'macs', type: 'quantitative', title: 'MACs per image (conv + linear + mixing + routing)', scale: { zero: false }, axis: { format: '~s' } };
  const y = { field: 'acc', type: 'quantitative', title: 'test accuracy % (mean ± std over seeds)', scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: "Test accuracy against MACs (the CondConv paper's Figure 3 at small scale)",
    width: 520,
    height: 320,
    data: { values: data },
    layer: [
      {
        name: MARK.condconvLine,
        transform: [{ filter: { field: 'series', equal: cond } }],
        mark: { type: 'line', opacity: 0.6 },
        encoding: { x, y, color, order: { field: 'macs' } },
      },
      {
        name: MARK.errorbars,
        transform: [{ filter: 'datum.lo != null' }],
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
      { name: MARK.points, mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color, shape, tooltip: TOOLTIP } },
      { name: MARK.labels, mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 10 }, encoding: { x, y, text: { field: 'label' } } },
    ],
    config: { background: 'white', legend: { labelLimit: 320 } },
  } as unknown as TopLevelSpec;
}

/**
 * Test accuracy against K: CondConv's line with error bars, DyConv and expert-dropout points
 * (drawn at 1.07·K so they do not hide CondConv's), the baseline and wider baseline as rules.
 */
export function accuracyExpertsSpec(vs: readonly VariantSummary[]): TopLevelSpec {
  const data = points(vs).map((p) => ({ ...p, Kplot: p.K === null ? null : p.series === FAMILY_LABEL.condconv ? p.K : p.K * 1.07 }));
  const Ks = [...new Set(data.filter((p) => p.K !== null).map((p) => p.K!))].sort((a, b) => a - b);
  const { color, shape } = seriesEncodings(vs);
  const x = { field: 'Kplot', type: 'quantitative', title: 'experts K', scale: { type: 'log', base: 2, padding: 12 }, axis: { values: Ks, format: 'd' } };
  const y = { field: 'acc', type: 'quantitative', title: 'test accuracy % (mean ± std over seeds)', scale: { zero: false } };
  const withK = 'datum.K != null';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Test accuracy against the number of experts',
    width: 520,
    height: 320,
    data: { values: data },
    layer: [
      {
        name: MARK.referenceRules,
        transform: [{ filter: 'datum.K == null' }],
        mark: { type: 'rule', strokeDash: [5, 4] },
        encoding: { y, color, tooltip: TOOLTIP },
      },
      {
        name: MARK.condconvLine,
        transform: [{ filter: { field: 'series', equal: FAMILY_LABEL.condconv } }],
        mark: { type: 'line' },
        encoding: { x, y, color, order: { field: 'Kplot' } },
      },
      {
        name: MARK.errorbars,
        transform: [{ filter: `${withK} && datum.lo != null` }],
        mark: { type: 'rule' },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
      {
        name: MARK.points,
        transform: [{ filter: withK }],
        mark: { type: 'point', filled: true, size: 70 },
        encoding: { x, y, color, shape, tooltip: TOOLTIP },
      },
    ],
    config: { background: 'white', legend: { labelLimit: 320 } },
  } as unknown as TopLevelSpec;
}

/** Mean α per class (rows) and expert (columns) of two routers, one panel each with its own colour scale. */
export function routingSpec(title: string, panels: readonly { heading: string; stats: RoutingStats }[]): TopLevelSpec {
  const values = panels.flatMap(({ heading, stats }, order) =>
    stats.classMeans.flatMap((row, c) => row.map((alpha, k) => ({ panel: heading, order, digit: c, expert: k, alpha }))),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: { field: 'order', op: 'min' }, header: { labelFontSize: 11, labelLimit: 400 } } },
    spec: {
      width: 26 * Math.max(...panels.map((p) => p.stats.K)),
      height: 260,
      layer: [
        {
          name: MARK.routingCells,
          mark: { type: 'rect' },
          encoding: {
            x: { field: 'expert', type: 'ordinal', title: 'expert k' },
            y: { field: 'digit', type: 'ordinal', title: 'test digit class' },
            color: { field: 'alpha', type: 'quantitative', title: 'mean α', scale: { scheme: 'viridis' } },
            tooltip: [{ field: 'digit' }, { field: 'expert' }, { field: 'alpha', format: '.3f' }],
          },
        },
      ],
    },
    resolve: { scale: { color: 'independent' } },
    config: { background: 'white' },
  } as unknown as TopLevelSpec;
}
