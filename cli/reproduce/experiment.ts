// The reproduction from plan to report: costs and the MAC-matched width, training runs in parallel children, latency, claims, plots and files.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CondgradError } from '../../core/errors.js';
import { renderSvg } from '../../bench/report/plots.js';
import { earlyLate, evaluateClaims, headlineK } from './claims.js';
import { matchWidth, modelCost, type ModelCost } from './cost.js';
import { reportMarkdown } from './markdown.js';
import { variants, runSpecs, type RunSpec, type Settings, type Variant } from './plan.js';
import { accuracyExpertsSpec, accuracyMacsSpec, routingSpec } from './plots.js';
import { runPool, type PoolTask, type WorkerCommand } from './pool.js';
import { FILES, machine, RESULTS_FORMAT, RESULTS_VERSION, type Results } from './results.js';
import { summarize } from './stats.js';
import type { Job, LatencyResult, RunResult } from './worker.js';

export interface ReproduceOptions {
  settings: Settings;
  /** Child processes at a time. */
  jobs: number;
  /** wasm threads per child (default: cores / jobs, at least 1). */
  threads?: number;
  outDir: string;
  /** How to start a child (see selfWorkerCommand). */
  worker: WorkerCommand;
  /** Rerun runs even when runs/<id>.json holds a finished run of the same config. */
  fresh?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface ReproduceOutcome {
  results: Results;
  /** Paths written. */
  files: string[];
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** A finished run of exactly this spec's config in `file`, or null. */
function reusable(file: string, spec: RunSpec): RunResult | null {
  const r = readJson<RunResult>(file);
  return r !== null && r.id === spec.id && JSON.stringify(r.config) === JSON.stringify(spec.config) && r.routing.length > 0 === spec.routing ? r : null;
}

/** Each variant's cost, and the wider baseline's width matched to CondConv K = s.wideMatchK. */
export function planVariants(s: Settings): { vs: Variant[]; costs: Map<string, ModelCost>; wide: Results['wide'] } {
  let wide: Results['wide'] = null;
  if (s.wideMatchK !== null) {
    const target = modelCost({ width: s.width, experts: s.wideMatchK, routing: 'sigmoid' });
    const m = matchWidth(target.macs, s.width, 2 * s.width);
    wide = { width: m.width, macs: m.macs, targetVariant: `CondConv K=${s.wideMatchK}`, targetMacs: target.macs };
  }
  const vs = variants(s, wide?.width ?? null);
  return { vs, costs: new Map(vs.map((v) => [v.id, modelCost(v)])), wide };
}

async function writePlots(outDir: string, r: Results): Promise<string[]> {
  const files: [string, Parameters<typeof renderSvg>[0]][] = [
    [FILES.accuracyMacs, accuracyMacsSpec(r.variants)],
    [FILES.accuracyExperts, accuracyExpertsSpec(r.variants)],
  ];
  if (r.routingPlot !== null) {
    const run = r.runs.find((x) => x.id === r.routingPlot!.run)!;
    const stat = (layer: string) => run.routing.find((x) => x.layer === layer)!;
    const { early, late } = r.routingPlot;
    files.push([
      FILES.routing,
      routingSpec(`Mean routing weight α per digit class on the test set: ${run.id}`, [
        { heading: `early: ${early} (η² ${stat(early).classSpecificity.toFixed(3)})`, stats: stat(early) },
        { heading: `late: ${late} (η² ${stat(late).classSpecificity.toFixed(3)})`, stats: stat(late) },
      ]),
    ]);
  }
  const out: string[] = [];
  for (const [name, spec] of files) {
    const path = join(outDir, name);
    writeFileSync(path, await renderSvg(spec));
    out.push(path);
  }
  return out;
}

/**
 * Runs the whole reproduction into opts.outDir: runs/<id>.json (+ .log) per training run,
 * latency.json, results.json, REPORT.md and the SVG plots. Failed runs are listed in the
 * results and the report; the others still count.
 */
export async function runReproduction(opts: ReproduceOptions): Promise<ReproduceOutcome> {
  const t0 = performance.now();
  const s = opts.settings;
  const log = opts.log ?? (() => undefined);
  const cores = machine().cores;
  const threads = opts.threads ?? Math.max(1, Math.floor(cores / opts.jobs));
  if (!Number.isInteger(threads) || threads < 1) throw new CondgradError('reproduce', `threads must be a positive integer, got ${threads}`);
  const runsDir = join(opts.outDir, 'runs');
  mkdirSync(runsDir, { recursive: true });

  const { vs, costs, wide } = planVariants(s);
  const specs = runSpecs(s, vs, (v) => costs.get(v.id)!.macs);
  const reused = new Map<string, RunResult>();
  const tasks: PoolTask[] = [];
  for (const spec of specs) {
    const resultFile = join(runsDir, `${spec.id}.json`);
    const prev = opts.fresh ? null : reusable(resultFile, spec);
    if (prev !== null) {
      reused.set(spec.id, prev);
      continue;
    }
    const jobFile = join(runsDir, `${spec.id}.job.json`);
    writeFileSync(jobFile, JSON.stringify({ kind: 'train', spec, threads, resultFile } satisfies Job, null, 1));
    tasks.push({ id: spec.id, jobFile, logFile: join(runsDir, `${spec.id}.log`) });
  }
  log(
    `reproduce (${s.preset}): ${vs.length} variants × ${s.seeds.length} seed(s) = ${specs.length} runs, ${tasks.length} to train (${reused.size} reused), ${opts.jobs} at a time, ${threads} wasm thread(s) each; writing ${opts.outDir}`,
  );
  const failed: Results['failed'] = [];
  await runPool(tasks, opts.jobs, opts.worker, (o, done) => {
    const r = o.ok ? readJson<RunResult>(join(runsDir, `${o.id}.json`)) : null;
    if (!o.ok) failed.push({ id: o.id, error: o.error ?? 'failed' });
    log(
      `[${done}/${tasks.length}] ${o.id} ${o.ok ? `test acc ${r ? (100 * r.testAccuracy).toFixed(2) : '?'}%` : 'FAILED'} (${o.seconds.toFixed(0)} s, ${((performance.now() - t0) / 60000).toFixed(1)} min so far)`,
    );
  });
  const runs = specs.flatMap((spec) => reused.get(spec.id) ?? readJson<RunResult>(join(runsDir, `${spec.id}.json`)) ?? []);

  log('reproduce: timing batch-1 inference of every variant, one at a time');
  const latencyFile = join(opts.outDir, 'latency.json');
  const latencyJob = join(opts.outDir, 'latency.job.json');
  writeFileSync(
    latencyJob,
    JSON.stringify(
      { kind: 'latency', variants: vs, seed: s.seeds[0], options: s.latency, testSize: s.testSize, threads: 1, resultFile: latencyFile } satisfies Job,
      null,
      1,
    ),
  );
  const [lat] = await runPool([{ id: 'latency', jobFile: latencyJob, logFile: join(opts.outDir, 'latency.log') }], 1, opts.worker);
  if (!lat.ok) failed.push({ id: 'latency', error: lat.error ?? 'failed' });
  const latency = lat.ok ? readJson<LatencyResult>(latencyFile) : null;

  const summaries = summarize(s, vs, costs, runs, latency);
  const K = headlineK(s);
  const plotRun = runs.find((r) => r.variant === `condconv-k${K}` && r.routing.length > 0);
  const el = plotRun ? earlyLate(plotRun.routing.map((x) => x.layer)) : null;
  const results: Results = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    preset: s.preset,
    createdAt: new Date().toISOString(),
    machine: machine(),
    jobs: opts.jobs,
    threadsPerRun: threads,
    wallSeconds: 0,
    reusedRuns: reused.size,
    settings: { ...s },
    wide,
    variants: summaries,
    claims: evaluateClaims(s, summaries),
    routingPlot: plotRun && el ? { run: plotRun.id, ...el } : null,
    latency,
    runs,
    failed,
  };
  const files = await writePlots(opts.outDir, results);
  results.wallSeconds = (performance.now() - t0) / 1000;
  const resultsPath = join(opts.outDir, FILES.results);
  const reportPath = join(opts.outDir, FILES.report);
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 1)}\n`);
  const notesPath = join(opts.outDir, FILES.expertDropout);
  const notes = existsSync(notesPath) ? { expertDropout: readFileSync(notesPath, 'utf8') } : {};
  writeFileSync(reportPath, `${reportMarkdown(results, notes)}\n`);
  return { results, files: [resultsPath, reportPath, ...files] };
}
