// One benchmark run end to end: start the backends, run the sweep on each, then write the JSON, the markdown and the SVG plots.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../../core/backend.js';
import { acquireBackend, isSoftwareAdapter, type Acquired } from './backends.js';
import { fileTimestamp, machineInfo, packageVersions, writeReportJson } from './json.js';
import { plotSpecs, renderSvg } from './plots.js';
import type { BackendStatus, BenchReport, BenchRow } from './rows.js';
import { runBackend, type ProgressFn } from './runner.js';
import { countMeasurements, type SweepConfig } from './sweep.js';
import { formatReport } from './table.js';

export interface ReportOptions {
  config: SweepConfig;
  /** Backends to try, in order. */
  backends: readonly BackendName[];
  /** Skip a gpu backend whose adapter is a software rasterizer (reported as skipped, with the reason). */
  skipSoftwareGpu: boolean;
  /** wasm threads (default: available parallelism). */
  threads?: number;
  /** Where the JSON and plots go; null writes nothing. */
  outDir: string | null;
  /** Relative slowdown of auto's choice still counted as noise in the auto check. */
  tolerance?: number;
}

export interface ReportHooks {
  /** Once the backends are known: total measurements and each backend's status. */
  onStart?: (total: number, backends: readonly BackendStatus[]) => void;
  onProgress?: ProgressFn;
}

export interface ReportResult {
  report: BenchReport;
  markdown: string;
  /** Files written: the JSON, the markdown copy and the SVGs. */
  files: string[];
}

/** The method paragraph stored in the JSON and printed above the tables. */
export function methodText(cfg: SweepConfig): string {
  return [
    `Method: float32, no bias, stride 1, padding k/2; routing uniform in [0, 1). Per shape, the JIT is warmed first (plain and fused, forward+backward, ≥ ${cfg.jitWarmupMs ?? 0} ms).`,
    `Per (shape, B, K, mode), plain and every path run in interleaved rounds (plain, fused, moe, …; ${cfg.warmup} warm-up round(s), then ${cfg.minReps}–${cfg.maxReps} timed rounds, more while they fit in ${cfg.budgetMs} ms), a GC forced before the first timed round and before any call once 4 MiB of garbage built up; each cell is its median.`,
    'plain = one conv2d (conv1d for 1-D shapes, matmul for linear) with a single kernel on the same backend and batch, timed in the same rounds; ratio = path ms / plain ms.',
    'loop = per sample: mix its kernel (mixExperts), then the plain layer on that sample. GFLOP/s counts the same nominal work for every path (conv + kernel mixing).',
    'Forward runs under noGrad; forward+backward runs backward from a fixed dy of ones and yields dx, dexperts, drouting.',
    'cpu and wasm compute synchronously; on the gpu a call ends when `await sum(result).data()` resolves for each result (one float read back, not the whole output).',
    'Memory of the first timed call: scratch = backend bytesAllocated delta (all bytes allocated during the call, cumulative, not the peak) minus the results; ΔRSS = process RSS delta after a forced GC (noisy: freed buffers and heap growth show too).',
  ].join('\n');
}

/** Starts the requested backends; a software gpu is closed again and marked skipped when asked. */
async function startBackends(opts: ReportOptions): Promise<Acquired[]> {
  const out: Acquired[] = [];
  for (const name of opts.backends) {
    const a = await acquireBackend(name, { threads: opts.threads });
    const info = a.status.info as { name?: string; description?: string; isFallbackAdapter?: boolean } | undefined;
    if (name === 'gpu' && a.backend && opts.skipSoftwareGpu && info && isSoftwareAdapter(info)) {
      await a.close();
      out.push({
        status: {
          ...a.status,
          available: false,
          reason: `skipped: the adapter '${info.name}' (${info.description}) is a software rasterizer running on the CPU, too slow for this sweep; measure it with --backend gpu`,
        },
        backend: null,
        close: () => Promise.resolve(),
      });
      continue;
    }
    out.push(a);
  }
  return out;
}

/** Renders every plot into `dir`; returns the files. */
export async function writePlots(dir: string, rows: readonly BenchRow[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const p of plotSpecs(rows)) {
    const file = join(dir, p.file);
    writeFileSync(file, await renderSvg(p.spec));
    files.push(file);
  }
  return files;
}

/** Runs the sweep on every requested backend and writes the results. Backends are closed afterwards, also on error. */
export async function runReport(opts: ReportOptions, hooks: ReportHooks = {}): Promise<ReportResult> {
  const started = new Date();
  const acquired = await startBackends(opts);
  const rows: BenchRow[] = [];
  try {
    const live = acquired.filter((a) => a.backend !== null);
    const per = countMeasurements(opts.config);
    const total = per * live.length;
    hooks.onStart?.(
      total,
      acquired.map((a) => a.status),
    );
    let done = 0;
    for (const a of live) {
      rows.push(...(await runBackend(a.backend!, opts.config, hooks.onProgress, done, total)));
      done += per;
    }
  } finally {
    for (const a of acquired) await a.close().catch(() => undefined);
  }
  const report: BenchReport = {
    version: 1,
    startedAt: started.toISOString(),
    wallSeconds: (Date.now() - started.getTime()) / 1000,
    machine: machineInfo(),
    packages: packageVersions(),
    backends: acquired.map((a) => a.status),
    config: opts.config,
    method: methodText(opts.config),
    rows,
  };
  const markdown = formatReport(report, opts.tolerance);
  const files: string[] = [];
  if (opts.outDir !== null) {
    const stamp = fileTimestamp(started);
    files.push(writeReportJson(opts.outDir, stamp, report));
    const dir = join(opts.outDir, stamp);
    files.push(...(await writePlots(dir, rows)));
    const md = join(dir, 'report.md');
    writeFileSync(md, `${markdown}\n`);
    files.push(md);
  }
  return { report, markdown, files };
}
