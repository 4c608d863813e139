// Timing: interleaved rounds (each call once per round) after warm-up rounds, an adaptive round count within a budget, and the median.

/** Median of a non-empty list (mean of the middle two for even length). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median: empty list');
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface RepPolicy {
  /** Untimed rounds first; after the first, only while the warm-up has taken less than budgetMs. */
  warmup: number;
  minReps: number;
  maxReps: number;
  /** Past minReps, keep timing only while the timed total (plus one more round at the median) stays under this. */
  budgetMs: number;
}

/**
 * Times several calls in interleaved rounds, each call once per round in order, so that a slow
 * spell of the machine hits every call alike and ratios between them stay fair. Warm-up rounds
 * come first; then at least minReps rounds, more while they fit in budgetMs, at most maxReps.
 * Each call gets the index of the timed round (-1 in warm-up rounds) and returns a sample holding
 * its own elapsed `ms` (set-up and clean-up stay off the clock). A call that throws is dropped
 * from later rounds and reported as its Error.
 * @returns per call, its timed samples in order, or the Error it threw
 */
export async function timeRounds<T extends { ms: number }>(calls: readonly ((round: number) => Promise<T>)[], policy: RepPolicy): Promise<(T[] | Error)[]> {
  const out: (T[] | Error)[] = calls.map(() => []);
  const round = async (index: number): Promise<number> => {
    let ms = 0;
    for (let i = 0; i < calls.length; i++) {
      const o = out[i];
      if (o instanceof Error) continue;
      try {
        const s = await calls[i](index);
        ms += s.ms;
        if (index >= 0) o.push(s);
      } catch (e) {
        out[i] = e instanceof Error ? e : new Error(String(e));
      }
    }
    return ms;
  };
  let warm = 0;
  for (let i = 0; i < policy.warmup && (i === 0 || warm < policy.budgetMs); i++) warm += await round(-1);
  const rounds: number[] = [];
  let total = 0;
  while (rounds.length < policy.maxReps && out.some((o) => !(o instanceof Error))) {
    if (rounds.length >= policy.minReps && total + median(rounds) > policy.budgetMs) break;
    const ms = await round(rounds.length);
    rounds.push(ms);
    total += ms;
  }
  return out;
}
