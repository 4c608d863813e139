// Runs the sweep on one backend: per (shape, batch, K, mode), plain and every CondConv path timed in interleaved rounds, with memory per call.

import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import { sum } from '../../ops/broadcast.js';
import { forceGc, gcIfGrown, startMemory, type MemoryDelta } from './memory.js';
import type { BenchRow } from './rows.js';
import { countMeasurements, nominalFlops, pathApplies, type Mode, type PathName, type ShapeCase, type SweepConfig } from './sweep.js';
import { median, timeRounds } from './timing.js';
import { makeWorkload, type Workload } from './workload.js';

/** Called after each measurement: how many are done, of how many, and what ran last. */
export type ProgressFn = (done: number, total: number, label: string) => void;

/**
 * What a timed call waits for. cpu and wasm kernels run synchronously, so a call is done when it
 * returns. The gpu queues kernels: a call there ends when `await sum(out).data()` resolves for
 * each result, i.e. the results exist and one float each came back (not the whole output).
 */
export async function syncResults(backend: AnyBackend, outs: readonly Tensor[]): Promise<void> {
  if (backend.name !== 'gpu') return;
  for (const t of outs) {
    const s = sum(t);
    await s.data();
    s.dispose();
  }
}

/** One timed call: its ms and its memory deltas. */
interface Sample extends MemoryDelta {
  ms: number;
}

/** A call runs after a forced GC once this much (heap + ArrayBuffers) was taken since the last one. */
const GC_AFTER_BYTES = 4 * 2 ** 20;

/**
 * Runs one call inside tidy(). A throwing call is caught inside the scope, so that tidy() still
 * frees what it had made (on backends with an explicit heap, a failure must not leak), then its
 * leftover gradients are dropped and the error is thrown on.
 */
function runFreeingOnError(wl: Workload, path: PathName, mode: Mode): Tensor[] {
  const failures: unknown[] = [];
  const outs = tidy(() => {
    try {
      return wl.run(path, mode);
    } catch (e) {
      failures.push(e);
      return [];
    }
  });
  if (failures.length > 0) {
    wl.resetGrads();
    throw failures[0];
  }
  return outs;
}

/**
 * One call of a path. A GC is forced first in the first timed round (whose memory the row
 * reports) and otherwise where earlier calls left garbage (GC_AFTER_BYTES). The clock covers the
 * compute and, on the gpu, the wait for the results; the allocation and RSS counters cover the
 * compute. Results are freed afterwards.
 */
function timedCall(backend: AnyBackend, wl: Workload, path: PathName, mode: Mode): (round: number) => Promise<Sample> {
  return async (round) => {
    if (round === 0) forceGc();
    else gcIfGrown(GC_AFTER_BYTES);
    const stop = startMemory(backend);
    const t0 = performance.now();
    const outs = runFreeingOnError(wl, path, mode);
    const mem = stop(outs);
    await syncResults(backend, outs);
    const ms = performance.now() - t0;
    if (mode === 'forward') for (const t of outs) t.dispose();
    else wl.resetGrads();
    return { ms, ...mem };
  };
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

function tryWorkload(backend: AnyBackend, s: ShapeCase, batch: number, K: number | null, seed: number): Workload | Error {
  try {
    return makeWorkload(backend, s, batch, K, seed);
  } catch (e) {
    return asError(e);
  }
}

/** A row from a path's samples (memory from the first timed call), or from its error. `ratio` is set by the caller. */
function row(backend: string, s: ShapeCase, batch: number, K: number, mode: Mode, path: PathName, m: Sample[] | Error, wl: Workload | Error): BenchRow {
  const flops = nominalFlops(s, batch, path === 'plain' ? null : K, mode);
  const base = { backend, shape: s.name, kind: s.kind, batch, K, mode, path, flops };
  const plan = wl instanceof Error ? null : wl.plan;
  const auto =
    path === 'auto' && plan
      ? {
          autoChoice: plan.path,
          autoCosts: Object.fromEntries(Object.entries(plan.costs).filter(([, v]) => v !== null)) as Record<string, number>,
        }
      : {};
  if (m instanceof Error || m.length === 0) {
    const error = m instanceof Error ? m.message : 'no timed call completed';
    const errorType = m instanceof Error ? m.name : 'Error';
    return { ...base, ms: null, times: [], gflops: null, ratio: null, allocBytes: null, scratchBytes: null, rssDeltaBytes: null, ...auto, error, errorType };
  }
  const times = m.map((x) => x.ms);
  const ms = median(times);
  const { allocBytes, scratchBytes, rssDeltaBytes } = m[0];
  return { ...base, ms, times, gflops: flops / (ms * 1e6), ratio: null, allocBytes, scratchBytes, rssDeltaBytes, ...auto };
}

/**
 * JIT warm-up for one shape: plain, then fused at K = 2, forward+backward, repeated until
 * cfg.jitWarmupMs has passed (at least twice each). Errors are left to the measurements to report.
 */
async function warmShape(backend: AnyBackend, s: ShapeCase, batch: number, cfg: SweepConfig): Promise<void> {
  const budget = cfg.jitWarmupMs ?? 0;
  if (budget <= 0) return;
  const plain = tryWorkload(backend, s, batch, null, 0);
  const cond = tryWorkload(backend, s, batch, 2, 0);
  try {
    if (plain instanceof Error || cond instanceof Error) return;
    const t0 = performance.now();
    for (let i = 0; i < 2 || performance.now() - t0 < budget; i++) {
      await timedCall(backend, plain, 'plain', 'forward+backward')(-1);
      await timedCall(backend, cond, 'fused', 'forward+backward')(-1);
    }
  } catch {
    // The failing path is measured (and its error recorded) below.
  } finally {
    for (const w of [plain, cond]) if (!(w instanceof Error)) w.dispose();
  }
}

/**
 * Runs the whole sweep on one backend and returns its rows. For each shape, batch, K and mode,
 * the plain layer and every CondConv path run in interleaved rounds (plain, fused, moe, …, plain,
 * fused, …), so each path's ratio is to a plain conv timed alongside it on the same backend and
 * batch. A path that throws gives a row with `error` and null numbers; the sweep goes on.
 * @param done measurements already done before this backend (for the progress count)
 */
export async function runBackend(
  backend: AnyBackend,
  cfg: SweepConfig,
  progress: ProgressFn = () => undefined,
  done = 0,
  total = countMeasurements(cfg),
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let seed = 1;
  for (const s of cfg.shapes) {
    for (const batch of cfg.batches) {
      await warmShape(backend, s, batch, cfg);
      const plainWl = tryWorkload(backend, s, batch, null, seed++);
      for (const K of cfg.Ks) {
        const wl = tryWorkload(backend, s, batch, K, seed++);
        const paths = cfg.paths.filter((p) => pathApplies(p, batch));
        for (const mode of cfg.modes) {
          const wlOf = (p: PathName): Workload | Error => (p === 'plain' ? plainWl : wl);
          const calls = paths.map((p) => {
            const w = wlOf(p);
            return w instanceof Error ? () => Promise.reject(w) : timedCall(backend, w, p, mode);
          });
          const measured = await timeRounds(calls, cfg);
          const group = paths.map((p, i) => row(backend.name, s, batch, K, mode, p, measured[i], wlOf(p)));
          const plainMs = group.find((r) => r.path === 'plain')?.ms ?? null;
          for (const r of group) r.ratio = r.ms === null || plainMs === null ? null : r.ms / plainMs;
          rows.push(...group);
          done += group.length;
          progress(done, total, `${backend.name} ${s.name} B=${batch} K=${K} ${mode}`);
        }
        if (!(wl instanceof Error)) wl.dispose();
      }
      if (!(plainWl instanceof Error)) plainWl.dispose();
    }
  }
  return rows;
}
