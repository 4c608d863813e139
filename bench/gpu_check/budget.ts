// Time budgets for the real-GPU check: a deadline per phase, shares of what is left, and promises bounded by a timeout.

/** A point in time work must stop by. */
export class Deadline {
  constructor(readonly atMs: number) {}
  /** A deadline `seconds` from now. */
  static in(seconds: number): Deadline {
    return new Deadline(performance.now() + seconds * 1000);
  }
  /** Milliseconds left (never negative). */
  leftMs(): number {
    return Math.max(0, this.atMs - performance.now());
  }
  passed(): boolean {
    return this.leftMs() <= 0;
  }
  /** The earlier of this and `other`. */
  min(other: Deadline): Deadline {
    return this.atMs <= other.atMs ? this : other;
  }
}

/**
 * Splits what is left of `total` among phases by weight: phase i gets left · w_i / Σ_{j ≥ i} w_j
 * (so time one phase leaves unused flows to the later ones), minus a `reserveS` kept for writing.
 * @param weights remaining phases' weights, this phase first
 */
export function shareOf(total: Deadline, weights: readonly number[], reserveS: number): Deadline {
  const left = Math.max(0, total.leftMs() - reserveS * 1000);
  const sum = weights.reduce((a, b) => a + b, 0);
  return new Deadline(performance.now() + (sum > 0 ? (left * weights[0]) / sum : 0));
}

export class TimeoutError extends Error {}

/** Resolves or rejects as `p` does, or rejects with a TimeoutError after `ms` (the work behind `p` is not stopped). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${(ms / 1000).toFixed(0)} s`)), Math.max(0, ms));
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** An Error's first line (or the value as text). */
export function errText(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
}
