// The model-level bench's results: per-model ratios to the plain twin from interleaved windows, the markdown table and the vega-lite plot.

import type { TopLevelSpec } from 'vega-lite';
import { markdownTable } from '../report/table.js';
import { median } from '../report/timing.js';
import type { Variant } from './trainer.js';

/** Images/s of each timed window of one variant (windows interleaved across variants, so window w of every variant shares the machine's state). */
export interface VariantWindows extends Variant {
  windows: number[];
}

export interface ModelRow {
  model: string;
  K: number | null;
  imagesPerSecond: number;
  /** Median images/s over that of the same model's plain twin (null for the plain row or without one). */
  ratio: number | null;
  /** Min and max of the per-window ratios (window w against the plain twin's window w). */
  windowRatioRange: [number, number] | null;
}

/** Median images/s per variant and its ratio to the plain variant of the same model. */
export function summarise(results: readonly VariantWindows[]): ModelRow[] {
  return results.map((r) => {
    const plain = results.find((p) => p.model === r.model && p.K === null);
    const ips = median(r.windows);
    if (r.K === null || plain === undefined) return { model: r.model, K: r.K, imagesPerSecond: ips, ratio: null, windowRatioRange: null };
    const n = Math.min(r.windows.length, plain.windows.length);
    const per = Array.from({ length: n }, (_, w) => r.windows[w] / plain.windows[w]);
    return { model: r.model, K: r.K, imagesPerSecond: ips, ratio: ips / median(plain.windows), windowRatioRange: [Math.min(...per), Math.max(...per)] };
  });
}

/** The markdown table: one line per model, plain images/s then each K's images/s and ratio. */
export function modelTable(rows: readonly ModelRow[]): string {
  const Ks = [...new Set(rows.filter((r) => r.K !== null).map((r) => r.K as number))].sort((a, b) => a - b);
  const models = [...new Set(rows.map((r) => r.model))];
  const headers = ['model', 'plain img/s', ...Ks.flatMap((k) => [`K=${k} img/s`, `K=${k} / plain (windows)`])];
  const body = models.map((m) => {
    const plain = rows.find((r) => r.model === m && r.K === null);
    return [
      m,
      plain ? plain.imagesPerSecond.toFixed(0) : '–',
      ...Ks.flatMap((k) => {
        const r = rows.find((x) => x.model === m && x.K === k);
        if (!r) return ['–', '–'];
        const range = r.windowRatioRange ? ` (${r.windowRatioRange[0].toFixed(2)}–${r.windowRatioRange[1].toFixed(2)})` : '';
        return [r.imagesPerSecond.toFixed(0), r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×${range}`];
      }),
    ];
  });
  return markdownTable(headers, body, ['l', ...headers.slice(1).map(() => 'r' as const)]);
}

/** Bars of CondConv/plain training throughput per model, one colour per K, with rules at 1 and at the 0.95 target. */
export function ratioBarSpec(rows: readonly ModelRow[], title: string): TopLevelSpec {
  const values = rows.filter((r) => r.ratio !== null).map((r) => ({ model: r.model, K: `K=${r.K}`, ratio: r.ratio }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 360,
    height: 200,
    layer: [
      {
        name: 'ratio_bars',
        data: { values },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'model', type: 'nominal', title: null },
          xOffset: { field: 'K', type: 'nominal' },
          y: { field: 'ratio', type: 'quantitative', title: 'training img/s, CondConv / plain' },
          color: { field: 'K', type: 'nominal', title: 'experts' },
        },
      },
      {
        name: 'target_rules',
        data: { values: [{ y: 1 }, { y: 0.95 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}
