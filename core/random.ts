// Seeded random numbers: a small, fast generator (mulberry32) with uniform, normal and integer draws.

import { CondgradError, describeValue } from './errors.js';

/** A seeded pseudo-random generator. The same seed gives the same sequence on every machine. */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new CondgradError('Rng', `seed must be a finite number, got ${describeValue(seed)}`);
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = this.next();
    while (u <= 1e-300) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** The generator's full state, for checkpoints. */
  getState(): { state: number; spare: number | null } {
    return { state: this.state, spare: this.spare };
  }

  /** Restores a state from getState(). */
  setState(st: { state: number; spare: number | null }): void {
    this.state = st.state >>> 0;
    this.spare = st.spare;
  }

  /** A new generator seeded from this one (for independent streams). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

let globalRng = new Rng(0);

/** Re-seeds the global generator used when no `seed`/`rng` is given. */
export function manualSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new CondgradError('manualSeed', `seed must be a finite number, got ${describeValue(seed)}`);
  globalRng = new Rng(seed);
}

export function defaultRng(): Rng {
  return globalRng;
}
