// `condgrad bench`: the CondConv benchmark report (paths vs plain conv over K, per backend) as markdown tables, JSON and SVG plots.

import cliProgress from 'cli-progress';
import { resolve } from 'node:path';
import type { BackendName } from '../core/backend.js';
import { BENCH_BACKENDS } from '../bench/report/backends.js';
import { runReport } from '../bench/report/report.js';
import { FULL, QUICK } from '../bench/report/sweep.js';
import { backendFromEnv } from './backend.js';
import { num, str, UsageError, type Command } from './command.js';

/** Parses --backend: 'all' or a comma list of backend names. */
export function parseBackends(v: string): BackendName[] {
  if (v === 'all') return [...BENCH_BACKENDS];
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = names.filter((n) => !BENCH_BACKENDS.includes(n as BackendName));
  if (names.length === 0 || bad.length > 0) throw new UsageError(`--backend must be all or a comma list of ${BENCH_BACKENDS.join(', ')}; got '${v}'`);
  return [...new Set(names)] as BackendName[];
}

export const benchCommand: Command = {
  name: 'bench',
  description: 'Benchmark CondConv paths (fused, moe, per-sample loop, batch1, auto) against plain conv over K; tables, JSON and plots.',
  usage: [
    '  --quick              one regular, one depthwise and one 1-D shape at B=8, K=1..16, few reps (default; under a minute on 2 cores)',
    '  --full               regular 3x3, depthwise 3x3, pointwise 1x1, 1-D k3 and linear, B=1,8,32, K=1..16 (long)',
    "  --backend <list>     all | cpu | wasm | gpu, or a comma list (default $CONDGRAD_BACKEND, else all; 'all' skips a software gpu such as llvmpipe: name gpu to measure it)",
    '  --threads <n>        wasm threads (default: $CONDGRAD_THREADS, else available parallelism, at most 8)',
    '  --out <dir>          where <timestamp>.json and <timestamp>/*.svg go (default bench-results)',
  ].join('\n'),
  options: {
    quick: { type: 'boolean' },
    full: { type: 'boolean' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
  },
  async run(values, _positionals, io) {
    if (values.quick && values.full) throw new UsageError('--quick and --full exclude each other');
    const config = values.full ? FULL : QUICK;
    const backendArg = str(values, 'backend') ?? backendFromEnv() ?? 'all';
    const backends = parseBackends(backendArg);
    const threads = values.threads === undefined ? undefined : num(values, 'threads', 1, { min: 1, max: 64, integer: true });
    const outDir = resolve(str(values, 'out', 'bench-results'));
    const tty = process.stderr.isTTY === true;
    const bar = new cliProgress.SingleBar(
      {
        format: 'bench [{bar}] {value}/{total} {duration_formatted} (eta {eta_formatted}) {label}',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    let lastLabel = '';
    const t0 = performance.now();
    const result = await runReport(
      { config, backends, skipSoftwareGpu: backendArg === 'all', threads, outDir },
      {
        onStart(total, statuses) {
          for (const s of statuses) if (!s.available) io.err(`bench: ${s.name} not measured: ${s.reason}`);
          bar.start(total, 0, { label: '' });
        },
        onProgress(done, _total, label) {
          bar.update(done, { label });
          const backend = label.split(' ')[0];
          if (!tty && backend !== lastLabel) io.err(`bench: measuring ${backend}…`);
          lastLabel = backend;
        },
      },
    ).finally(() => bar.stop());
    io.out(result.markdown);
    io.out('');
    io.out(`Wall time ${((performance.now() - t0) / 1000).toFixed(1)} s. Files:`);
    for (const f of result.files) io.out(`- ${f}`);
    // Failures are in the report; a CondgradError is a limit the library states (e.g. a buffer too
    // large for a backend), anything else is a bug and fails the command.
    const bugs = result.report.rows.filter((r) => r.error !== undefined && r.errorType !== 'CondgradError');
    for (const r of bugs) io.err(`bench: ${r.backend} ${r.shape} B=${r.batch} K=${r.K ?? '-'} ${r.path} ${r.mode} failed: ${r.errorType}: ${r.error}`);
    return bugs.length > 0 ? 1 : 0;
  },
};
