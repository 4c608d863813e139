// Per-variant summaries of the runs: mean ± std over seeds of accuracy, time and routing specificity, with the model's cost and latency.

import type { ModelCost } from './cost.js';
import { trainCommandLine, trainFlags, type Settings, type Variant } from './plan.js';
import type { LatencyResult, RunResult } from './worker.js';

/** Mean and sample standard deviation (null with fewer than two values). */
export interface MeanStd {
  mean: number;
  std: number | null;
  n: number;
  values: number[];
}

export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? null : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, values: [...values] };
}

/** One variant over its seeds. */
export interface VariantSummary extends Variant, ModelCost {
  /** Seeds whose runs finished. */
  seeds: number[];
  /** Test accuracy after the last epoch, as a fraction. */
  accuracy: MeanStd;
  trainAccuracy: MeanStd;
  trainSecondsPerEpoch: MeanStd;
  samplesPerSecond: MeanStd;
  /** Batch-1 inference ms per image (null when not measured). */
  msPerImage: number | null;
  /** Router name → η² of α explained by the class, over seeds. */
  classSpecificity: Record<string, MeanStd>;
  /** `condgrad train` command line of the first seed's run. */
  command: string;
}

/** Summaries of every variant, in the order given (variants without a finished run have n = 0). */
export function summarize(
  s: Settings,
  vs: readonly Variant[],
  costs: ReadonlyMap<string, ModelCost>,
  runs: readonly RunResult[],
  latency: LatencyResult | null,
): VariantSummary[] {
  return vs.map((v) => {
    const rs = runs.filter((r) => r.variant === v.id).sort((a, b) => a.seed - b.seed);
    const layers = [...new Set(rs.flatMap((r) => r.routing.map((x) => x.layer)))];
    const classSpecificity = Object.fromEntries(
      layers.map((l) => [l, meanStd(rs.flatMap((r) => r.routing.filter((x) => x.layer === l).map((x) => x.classSpecificity)))]),
    );
    return {
      ...v,
      ...costs.get(v.id)!,
      seeds: rs.map((r) => r.seed),
      accuracy: meanStd(rs.map((r) => r.testAccuracy)),
      trainAccuracy: meanStd(rs.map((r) => r.trainAccuracy)),
      trainSecondsPerEpoch: meanStd(rs.map((r) => r.trainSecondsPerEpoch)),
      samplesPerSecond: meanStd(rs.map((r) => r.samplesPerSecond)),
      msPerImage: latency?.variants[v.id]?.msPerImage ?? null,
      classSpecificity,
      command: trainCommandLine(trainFlags(s, v, s.seeds[0])),
    };
  });
}

/** Difference a − b of two summaries' means with its standard error (null when either has one value). */
export function difference(a: MeanStd, b: MeanStd): { diff: number; se: number | null } {
  const se = a.std === null || b.std === null ? null : Math.sqrt(a.std ** 2 / a.n + b.std ** 2 / b.n);
  return { diff: a.mean - b.mean, se };
}
