// The real-GPU check's correctness phase: every kernel case on the gpu against the cpu reference, as max relative error.

import type { AnyBackend, Storage } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { TimeoutError, errText, withTimeout, type Deadline } from './budget.js';
import type { KernelCase } from './cases.js';
import type { CheckRow, SkipRecord } from './format.js';

/**
 * max|got − want| and that over max|want| (the error relative to the output's scale, so sums
 * near zero do not inflate it). Infinity when the lengths differ or got holds a non-finite
 * value where want is finite.
 */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): { abs: number; rel: number } {
  if (got.length !== want.length) return { abs: Infinity, rel: Infinity };
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (!Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) return { abs: Infinity, rel: Infinity };
      continue;
    }
    const d = Math.abs(g - w);
    if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : d;
    scale = Math.max(scale, Math.abs(w));
  }
  return { abs, rel: abs === 0 ? 0 : abs / Math.max(scale, 1e-30) };
}

/** The cpu reference result: float64 copies of the float32 inputs, through the reference kernels. */
function reference(c: KernelCase): Float64Array {
  const cpu: AnyBackend = cpuBackend;
  const xs = c.inputs.map((x) => cpu.fromArray(Float64Array.from(x)));
  return cpu.readSync(c.run(cpu, xs)) as Float64Array;
}

async function onDevice(be: AnyBackend, c: KernelCase): Promise<ArrayLike<number>> {
  const xs: Storage[] = c.inputs.map((x) => be.fromArray(x));
  try {
    const y = c.run(be, xs);
    const got = await be.read(y);
    be.dispose(y);
    return got;
  } finally {
    for (const s of xs) be.dispose(s);
  }
}

/**
 * Runs each case on `be` and on the cpu reference, until `deadline`; a case that throws gives a
 * failed row with its error, and the rest go on. A case that times out stops the phase (`stuck`).
 * @param callTimeoutMs bound on one gpu call (compile, run and read-back)
 */
export async function crossCheck(
  be: AnyBackend,
  cases: readonly KernelCase[],
  deadline: Deadline,
  callTimeoutMs: number,
  log: (line: string) => void,
): Promise<{ rows: CheckRow[]; skipped: SkipRecord[]; stuck: boolean }> {
  const rows: CheckRow[] = [];
  const skipped: SkipRecord[] = [];
  let stuck = false;
  for (const c of cases) {
    if (deadline.passed() || stuck) {
      skipped.push({
        backend: be.name,
        what: `check ${c.kernel} ${c.config}`,
        reason: stuck ? 'an earlier gpu call never finished' : 'cross-check budget spent',
      });
      continue;
    }
    const t0 = performance.now();
    try {
      const got = await withTimeout(onDevice(be, c), Math.min(callTimeoutMs, deadline.leftMs() + 5000), `${c.kernel} ${c.config}`);
      const ms = performance.now() - t0;
      const { abs, rel } = relError(got, reference(c));
      const ok = rel <= c.tol;
      rows.push({ kernel: c.kernel, config: c.config, maxRelErr: rel, maxAbsErr: abs, tol: c.tol, ok, ms });
      if (!ok) log(`  MISMATCH ${c.kernel} ${c.config}: rel err ${rel} > ${c.tol}`);
    } catch (e) {
      rows.push({ kernel: c.kernel, config: c.config, maxRelErr: null, maxAbsErr: null, tol: c.tol, ok: false, ms: performance.now() - t0, error: errText(e) });
      log(`  ERROR ${c.kernel} ${c.config}: ${errText(e)}`);
      // The gpu queue runs in order: behind a call that never finished, every later one waits too.
      stuck = e instanceof TimeoutError;
    }
  }
  return { rows, skipped, stuck };
}
