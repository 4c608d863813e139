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
