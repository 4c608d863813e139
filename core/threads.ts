// How many threads a threaded backend (wasm) starts: an explicit option, else CONDGRAD_THREADS, else the machine's parallelism capped at 8.

import { CondgradError } from './errors.js';
import { hardwareThreads, readEnv } from './platform/env.js';

/** The environment variable that sets the wasm backend's thread count (unset or empty: automatic). */
export const THREADS_ENV = 'CONDGRAD_THREADS';

/** The most threads one wasm backend may run (the caller's included). */
export const MAX_THREADS = 64;

/**
 * The cap on the automatic thread count. Every kernel call is a synchronous fork-join (wake the
 * workers, run slice 0, wait for all), so each extra thread adds wake-up latency to every op,
 * while the small kernels of a CondConv net (tens to hundreds of µs each) gain less from each
 * further slice; a 64-core host should not start 63 workers for them by default. 8 is a judgment,
 * not a measured optimum (bench/threads.ts measures the scaling on the machine at hand); ask for
 * more explicitly ({ threads } or CONDGRAD_THREADS) where it pays.
 */
export const DEFAULT_THREAD_CAP = 8;

/** Where a thread count came from. */
export type ThreadSource = 'option' | 'env' | 'default';

export interface ThreadChoice {
  readonly threads: number;
  readonly source: ThreadSource;
}

/** What chooseThreadCount looks at; each field defaults to this runtime's (tests inject their own). */
export interface ThreadProbe {
  /** The CONDGRAD_THREADS value (default: the environment's; the browser build has none). */
  env?: string;
  /** Logical processors available (default: availableParallelism()). */
  available?: number;
}

/**
 * Logical processors this runtime may use: os.availableParallelism() in Node,
 * navigator.hardwareConcurrency in the browser build (core/platform/env), 1 if it says nothing.
 */
export function availableParallelism(): number {
  return hardwareThreads();
}

function envValue(): string | undefined {
  return readEnv(THREADS_ENV);
}

/** Throws unless `threads` is an integer in [1, MAX_THREADS]; `op` and `arg` name it in the message. */
export function checkThreadCount(op: string, arg: string, threads: unknown): number {
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new CondgradError(op, `${arg} must be an integer in [1, ${MAX_THREADS}], got ${typeof threads === 'string' ? `'${threads}'` : String(threads)}`);
  }
  return threads;
}

/**
 * The wasm backend's thread count, the caller's thread included:
 * 1. `requested` (the `threads` option), when given;
 * 2. else CONDGRAD_THREADS, when set and not empty (a positive decimal integer ≤ 64);
 * 3. else min(available parallelism, DEFAULT_THREAD_CAP).
 * A bad option or environment value throws a CondgradError naming it.
 */
export function chooseThreadCount(requested?: number, probe: ThreadProbe = {}): ThreadChoice {
  if (requested !== undefined) return { threads: checkThreadCount('wasm', 'threads', requested), source: 'option' };
  const env = (probe.env ?? envValue() ?? '').trim();
  if (env !== '') {
    if (!/^[0-9]+$/.test(env)) {
      throw new CondgradError('wasm', `${THREADS_ENV}='${env}' is not a thread count (expected an integer in [1, ${MAX_THREADS}])`);
    }
    return { threads: checkThreadCount('wasm', THREADS_ENV, Number(env)), source: 'env' };
  }
  const available = probe.available ?? availableParallelism();
  return { threads: Math.max(1, Math.min(DEFAULT_THREAD_CAP, Math.floor(available))), source: 'default' };
}

/** The environment variable that sets how long an idle wasm thread spins before it sleeps, in µs. */
export const SPIN_ENV = 'CONDGRAD_SPIN_US';

/** The most µs a wasm thread may spin (a tenth of a second). */
export const MAX_SPIN_US = 100_000;

/**
 * How long (µs) a wasm thread spins on the fork-join control block before it sleeps in
 * Atomics.wait, by default: a worker after its slice, waiting for the next call; the caller after
 * slice 0, waiting for the workers. A call is as slow as its slowest hand-off, and a training step's
 * calls come back to back: on a 2-core VM a hand-off to a sleeping worker and back took 4.7 µs at
 * the median and 9–90 µs at the 90th percentile, 0.5 and 1–1.3 µs spinning (bench/thread_wake.ts).
 * The same VM (bench/model_ab.ts, 2 threads): 5–13 % more training throughput across the zoo with the
 * spin (README, Threads).
 * In bench/cond_layers.ts runs, 50 µs gained less and less steadily, 1,000 µs no more than 200.
 */
export const DEFAULT_SPIN_US = 200;

/**
 * The spin of the wasm threads in µs: `requested` (the `spinMicros` option) when given, else
 * CONDGRAD_SPIN_US when set and not empty, else DEFAULT_SPIN_US. 0 sleeps at once (for a machine
 * whose cores are shared with other busy work). A bad value throws a CondgradError naming it.
 */
export function chooseSpinMicros(requested?: number, probe: { env?: string } = {}): number {
  const check = (arg: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_SPIN_US) {
      throw new CondgradError('wasm', `${arg} must be an integer number of µs in [0, ${MAX_SPIN_US}], got ${typeof v === 'string' ? `'${v}'` : String(v)}`);
    }
    return v;
  };
  if (requested !== undefined) return check('spinMicros', requested);
  const env = (probe.env ?? readEnv(SPIN_ENV) ?? '').trim();
  if (env === '') return DEFAULT_SPIN_US;
  return check(SPIN_ENV, /^[0-9]+$/.test(env) ? Number(env) : env);
}
