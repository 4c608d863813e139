// Checks the `auto` path's choice against the measured times: did it pick the fastest CondConv path in each row?

import type { BenchRow } from './rows.js';
import type { Mode, OpPath } from './sweep.js';

const OP_PATHS: readonly OpPath[] = ['fused', 'moe', 'batch1'];

/** The verdict for one (backend, shape, batch, K, mode). */
export interface AutoVerdict {
  backend: string;
  shape: string;
  batch: number;
  K: number;
  mode: Mode;
  /** What the planner chose; null when no auto row (or no choice) was recorded. */
  choice: OpPath | null;
  /** The fastest measured op path; null when none was measured. */
  best: OpPath | null;
  choiceMs: number | null;
  bestMs: number | null;
  /** 'ok': chose the fastest; 'close': slower, but within the tolerance; 'wrong': slower beyond it; 'unknown': not decidable. */
  status: 'ok' | 'close' | 'wrong' | 'unknown';
  /** Table text, e.g. `auto: fused ✓` or `auto: moe ✗ (fused 1.8× faster)`. */
  label: string;
}

/** Rows grouped by (backend, shape, batch, K, mode); the key is stable and printable. */
export function groupKey(r: Pick<BenchRow, 'backend' | 'shape' | 'batch' | 'K' | 'mode'>): string {
  return `${r.backend}|${r.shape}|${r.batch}|${r.K ?? '-'}|${r.mode}`;
}

function describeGap(choiceMs: number, best: OpPath, bestMs: number): string {
  const f = choiceMs / bestMs;
  return f < 1.995 ? `${best} ${Math.round((f - 1) * 100)}% faster` : `${best} ${f.toFixed(1)}× faster`;
}

/** Decides one group from its rows (the auto row and the measured op paths). */
export function verdictFor(rows: readonly BenchRow[], tolerance: number): AutoVerdict {
  const r0 = rows[0];
  const auto = rows.find((r) => r.path === 'auto');
  const choice = auto?.autoChoice ?? null;
  let best: OpPath | null = null;
  let bestMs: number | null = null;
  for (const p of OP_PATHS) {
    const ms = rows.find((r) => r.path === p)?.ms ?? null;
    if (ms !== null && (bestMs === null || ms < bestMs)) {
      best = p;
      bestMs = ms;
    }
  }
  // The chosen path's own measurement; the auto row's time stands in when that path was not measured.
  const choiceMs = choice === null ? null : (rows.find((r) => r.path === choice)?.ms ?? auto?.ms ?? null);
  const base = { backend: r0.backend, shape: r0.shape, batch: r0.batch, K: r0.K ?? 0, mode: r0.mode, choice, best, choiceMs, bestMs };
  if (choice === null) return { ...base, status: 'unknown', label: auto?.error ? 'auto: error' : 'auto: ?' };
  if (best === null || bestMs === null || choiceMs === null) return { ...base, status: 'unknown', label: `auto: ${choice} ?` };
  if (choice === best) return { ...base, status: 'ok', label: `auto: ${choice} ✓` };
  const gap = describeGap(choiceMs, best, bestMs);
  if (choiceMs <= bestMs * (1 + tolerance)) return { ...base, status: 'close', label: `auto: ${choice} ≈ (${gap})` };
  return { ...base, status: 'wrong', label: `auto: ${choice} ✗ (${gap})` };
}

/**
 * One verdict per group of CondConv rows that has an `auto` row or any op path. `tolerance` is the
 * relative slowdown counted as measurement noise ('close' instead of 'wrong').
 */
export function autoVerdicts(rows: readonly BenchRow[], tolerance = 0.1): AutoVerdict[] {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    if (r.K === null || !(r.path === 'auto' || (OP_PATHS as readonly string[]).includes(r.path))) continue;
    const k = groupKey(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((g) => verdictFor(g, tolerance));
}

/** The verdicts whose choice was measurably slower than the best path. */
export function flaggedVerdicts(verdicts: readonly AutoVerdict[]): AutoVerdict[] {
  return verdicts.filter((v) => v.status === 'wrong');
}
