// The real-GPU check's speed phase: plain conv2d, fused CondConv and moe per K and mode on one backend, group by group within a deadline.

import type { AnyBackend } from '../../core/backend.js';
import type { BenchRow } from '../report/rows.js';
import { runBackend } from '../report/runner.js';
import { convShape, depthwiseShape, nominalFlops, type Mode, type PathName, type ShapeCase, type SweepConfig } from '../report/sweep.js';
import { TimeoutError, errText, withTimeout, type Deadline } from './budget.js';
import type { SkipRecord } from './format.js';

/** One layer shape at one batch size. */
export interface SpeedCase {
  readonly shape: ShapeCase;
  readonly batch: number;
}

/** How hard to time on one backend (see timeRounds). */
export interface SpeedPolicy {
  readonly warmup: number;
  readonly minReps: number;
  readonly maxReps: number;
  readonly budgetMs: number;
}

export const PATHS: readonly PathName[] = ['plain', 'fused', 'moe'];
export const MODES: readonly Mode[] = ['forward', 'forward+backward'];

/**
 * The shapes of the check, cheapest first: the four rows of the H200 table (N8 and N32 C64 32×32 O64 k3,
 * depthwise N32 C128 32×32 k3, N32 C128 16×16 O128 k1), with depthwise N8 before the N32 rows.
 */
export function speedCases(quick: boolean): SpeedCase[] {
  if (quick)
    return [
      { shape: convShape(16, 16, 16), batch: 4 },
      { shape: depthwiseShape(32, 16), batch: 4 },
    ];
  return [
    { shape: convShape(64, 32, 64), batch: 8 },
    { shape: depthwiseShape(128, 32), batch: 8 },
    { shape: convShape(128, 16, 128, 1), batch: 32 },
    { shape: depthwiseShape(128, 32), batch: 32 },
    { shape: convShape(64, 32, 64), batch: 32 },
  ];
}

/** Per backend: enough rounds for a stable median on fast backends, a single call on the slow reference. */
export const POLICIES: Record<string, SpeedPolicy> = {
  gpu: { warmup: 2, minReps: 3, maxReps: 15, budgetMs: 1500 },
  wasm: { warmup: 1, minReps: 3, maxReps: 9, budgetMs: 1000 },
  cpu: { warmup: 0, minReps: 1, maxReps: 3, budgetMs: 300 },
};

/**
 * Predicted ms of one group (plain, fused and moe once per round, warm-up rounds included): plain
 * from an earlier plain time of this shape and mode, else from the backend's slowest plain
 * GFLOP/s so far; fused ≈ 2 plain, moe ≈ 1.5·K plain. Null when nothing has been measured yet.
 */
export function predictGroupMs(rows: readonly BenchRow[], c: SpeedCase, K: number, mode: Mode, p: SpeedPolicy): number | null {
  const plains = rows.filter((r) => r.path === 'plain' && r.ms !== null);
  const same = plains.filter((r) => r.mode === mode && r.shape === c.shape.name && r.batch === c.batch);
  let plainMs: number | null = same.length > 0 ? Math.max(...same.map((r) => r.ms!)) : null;
  if (plainMs === null && plains.length > 0) {
    // nominalFlops counts forward+backward as three forwards, so any plain row's GFLOP/s predicts either mode.
    const gflops = Math.min(...plains.map((r) => r.gflops ?? Infinity));
    if (Number.isFinite(gflops) && gflops > 0) plainMs = nominalFlops(c.shape, c.batch, null, mode) / (gflops * 1e6);
  }
  return plainMs === null ? null : (p.warmup + p.minReps) * plainMs * (1 + 2 + 1.5 * K);
}

/**
 * Times every (case, mode, K) group on `be` until `deadline`, each group as one interleaved
 * runBackend sweep (plain, fused, moe). A group predicted to outrun the time left is skipped;
 * one that throws gives rows with the error; one that outruns its timeout stops the phase.
 * `save` is called after each group (to write partial results).
 */
export async function benchBackend(
  be: AnyBackend,
  cases: readonly SpeedCase[],
  Ks: readonly number[],
  policy: SpeedPolicy,
  deadline: Deadline,
  log: (line: string) => void,
  save: (rows: BenchRow[], skipped: SkipRecord[]) => void,
): Promise<{ rows: BenchRow[]; skipped: SkipRecord[]; stuck: boolean }> {
  const rows: BenchRow[] = [];
  const skipped: SkipRecord[] = [];
  let stuck = false;
  for (const c of cases) {
    for (const mode of MODES) {
      for (const K of Ks) {
        const what = `${c.shape.name} B=${c.batch} K=${K} ${mode}`;
        const predicted = predictGroupMs(rows, c, K, mode, policy);
        const left = deadline.leftMs();
        if (stuck || left <= 0 || (predicted !== null && predicted > left)) {
          const reason = stuck
            ? 'an earlier call never finished'
            : left <= 0
              ? 'budget spent'
              : `predicted ${(predicted! / 1000).toFixed(1)} s > ${(left / 1000).toFixed(1)} s left`;
          skipped.push({ backend: be.name, what, reason });
          continue;
        }
        const cfg: SweepConfig = { preset: 'custom', shapes: [c.shape], batches: [c.batch], Ks: [K], modes: [mode], paths: PATHS, jitWarmupMs: 0, ...policy };
        const t0 = performance.now();
        try {
          const got = await withTimeout(runBackend(be, cfg), left + 10_000, `${be.name} ${what}`);
          rows.push(...got);
          const cell = (p: PathName): string => {
            const r = got.find((x) => x.path === p);
            return r?.ms != null ? `${r.ms.toFixed(2)} ms` : `error ${r?.error ?? '?'}`;
          };
          log(`  ${be.name} ${what}: ${PATHS.map((p) => `${p} ${cell(p)}`).join(', ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
        } catch (e) {
          stuck = e instanceof TimeoutError;
          skipped.push({ backend: be.name, what, reason: `error: ${errText(e)}` });
          log(`  ${be.name} ${what}: ERROR ${errText(e)}`);
        }
        save(rows, skipped);
      }
    }
  }
  return { rows, skipped, stuck };
}
