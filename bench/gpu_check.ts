// The real-GPU check: adapter report, gpu kernels against the cpu reference, and CondConv speed on gpu, wasm and cpu, within a time budget.
// Run: npx tsx bench/gpu_check.ts [--out gpu-check.json] [--budget-s 420] [--threads 8] [--gpu-backend auto|vulkan|opengles] [--quick]
// Every phase has a share of the budget and records its errors; the JSON is rewritten after each step, so it exists whenever the run stops.

import '../kernels/register.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { AnyBackend } from '../core/backend.js';
import { cpuBackend } from '../kernels/cpu/backend.js';
import type { DawnBackend } from '../kernels/gpu/adapter.js';
import type { GpuBackend } from '../kernels/gpu/backend.js';
import { createWasmBackend, type WasmBackend } from '../kernels/wasm/backend.js';
import { machineInfo } from './report/json.js';
import type { BenchRow } from './report/rows.js';
import { probeAdapters, startGpu } from './gpu_check/adapter.js';
import { Deadline, errText, shareOf, withTimeout } from './gpu_check/budget.js';
import { kernelCases } from './gpu_check/cases.js';
import { crossCheck } from './gpu_check/crosscheck.js';
import { compareBackends, formatMarkdown, summarizeChecks, type GpuCheckReport, type PhaseRecord, type SkipRecord } from './gpu_check/format.js';
import { measureOverhead } from './gpu_check/overhead.js';
import { POLICIES, benchBackend, speedCases } from './gpu_check/speed.js';
import { trainingCases, trainingSpeed } from './gpu_check/training.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'gpu-check.json' },
    'budget-s': { type: 'string', default: '420' },
    threads: { type: 'string', default: '8' },
    'gpu-backend': { type: 'string', default: 'auto' },
    ks: { type: 'string', default: '1,4,8' },
    backends: { type: 'string', default: 'gpu,wasm,cpu' },
    manifest: { type: 'string' },
    seed: { type: 'string', default: '20261127' },
    quick: { type: 'boolean', default: false },
  },
});

const budgetS = Number(args['budget-s']);
const threads = Number(args.threads);
const Ks = args.ks.split(',').map(Number);
const wanted = new Set(args.backends.split(','));
const outPath = resolve(args.out);
const ORDER: DawnBackend[] = args['gpu-backend'] === 'auto' ? ['vulkan', 'opengles'] : [args['gpu-backend'] as DawnBackend];
const total = Deadline.in(budgetS);
const RESERVE_S = 8;
const t0 = performance.now();
const log = (line: string): void => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}`);

function readManifest(): Record<string, unknown> | null {
  if (!args.manifest) return null;
  try {
    return JSON.parse(readFileSync(args.manifest, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    return { error: errText(e) };
  }
}

const ENV_KEYS = [
  'VK_DRIVER_FILES',
  'VK_ICD_FILENAMES',
  '__EGL_VENDOR_LIBRARY_FILENAMES',
  'LD_LIBRARY_PATH',
  'EGL_PLATFORM',
  'CONDGRAD_GPU_BACKEND',
  'NVIDIA_VISIBLE_DEVICES',
  'NVIDIA_DRIVER_CAPABILITIES',
];

const report: GpuCheckReport = {
  version: 1,
  startedAt: new Date().toISOString(),
  wallSeconds: 0,
  budgetS,
  finished: false,
  args: { ...args },
  machine: machineInfo(),
  manifest: readManifest(),
  env: Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k] ?? null])),
  realGpu: false,
  adapter: null,
  probes: [],
  attempts: [],
  wasmThreads: null,
  phases: [],
  crossCheck: { rows: [], summary: [] },
  speed: { rows: [], skipped: [], comparison: [] },
  training: [],
  errors: [],
};
const speedRows: Record<string, BenchRow[]> = {};
const speedSkips: Record<string, SkipRecord[]> = {};

/** Rewrites the JSON (non-finite numbers as null); never throws. */
function save(): void {
  try {
    report.wallSeconds = (performance.now() - t0) / 1000;
    report.crossCheck.summary = summarizeChecks(report.crossCheck.rows);
    report.speed.rows = Object.values(speedRows).flat();
    report.speed.skipped = Object.values(speedSkips).flat();
    report.speed.comparison = compareBackends(report.speed.rows);
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)}\n`);
  } catch (e) {
    console.error(`could not write ${outPath}: ${errText(e)}`);
  }
}

process.on('uncaughtException', (e) => {
  report.errors.push(`uncaught: ${errText(e)}`);
  log(`uncaught: ${errText(e)}`);
  save();
});
process.on('unhandledRejection', (e) => {
  report.errors.push(`unhandled rejection: ${errText(e)}`);
  log(`unhandled rejection: ${errText(e)}`);
  save();
});

/** Runs one phase within its deadline, records how it ended, and saves. */
async function phase(
  name: string,
  deadline: Deadline,
  body: (d: Deadline) => Promise<PhaseRecord['status'] | { status: PhaseRecord['status']; note: string }>,
): Promise<void> {
  const start = performance.now();
  const budget = deadline.leftMs() / 1000;
  log(`phase ${name} (budget ${budget.toFixed(0)} s)`);
  const rec: PhaseRecord = { name, status: 'ok', seconds: 0, budgetS: budget };
  try {
    const r = await body(deadline);
    if (typeof r === 'string') rec.status = r;
    else Object.assign(rec, r);
  } catch (e) {
    rec.status = 'error';
    rec.error = errText(e);
    report.errors.push(`${name}: ${errText(e)}`);
    log(`phase ${name} failed: ${errText(e)}`);
  }
  rec.seconds = (performance.now() - start) / 1000;
  report.phases.push(rec);
  save();
}

const skip = (name: string, note: string): void => {
  report.phases.push({ name, status: 'skipped', seconds: 0, budgetS: 0, note });
  save();
};

/** Budget weights of the speed phases still to come, from `first` on, for the backends asked for. */
const SPEED_WEIGHTS: [string, number][] = [
  ['gpu', 3],
  ['train gpu', 1],
  ['wasm', 2],
  ['train wasm', 1],
  ['cpu', 1.5],
];
function weightsFrom(first: string): number[] {
  const i = SPEED_WEIGHTS.findIndex(([n]) => n === first);
  return SPEED_WEIGHTS.slice(i)
    .filter(([n]) => wanted.has(n.replace('train ', '')))
    .map(([, w]) => w);
}

/** Trains the training cases on `be` (each case an equal part of the phase's share), recording img/s. */
async function trainingPhase(be: AnyBackend): Promise<void> {
  await phase(`training ${be.name}`, shareOf(total, weightsFrom(`train ${be.name}`), RESERVE_S), async (d) => {
    const cases = trainingCases(args.quick);
    for (const [i, c] of cases.entries()) {
      const r = await trainingSpeed(be, c, Deadline.in(d.leftMs() / 1000 / (cases.length - i)).min(d));
      report.training.push(r);
      log(`  ${be.name} ${c.model} ${c.K === null ? 'plain' : `K=${c.K}`} B=${c.batch}: ${r.error ?? `${r.imgPerS?.toFixed(0)} img/s over ${r.steps} steps`}`);
      save();
    }
    return report.training.some((r) => r.backend === be.name && r.error !== undefined) ? 'partial' : 'ok';
  });
}

let gpu: GpuBackend | null = null;
let wasm: WasmBackend | null = null;
let gpuStuck = false;

async function speedPhase(name: string, be: AnyBackend, weights: number[]): Promise<void> {
  await phase(`speed ${name}`, shareOf(total, weights, RESERVE_S), async (d) => {
    const r = await benchBackend(be, speedCases(args.quick), Ks, POLICIES[name], d, log, (rows, skipped) => {
      speedRows[name] = rows;
      speedSkips[name] = skipped;
      save();
    });
    speedRows[name] = r.rows;
    speedSkips[name] = r.skipped;
    if (name === 'gpu') gpuStuck = r.stuck;
    const failed = r.rows.filter((x) => x.error !== undefined).length;
    return {
      status: r.skipped.length > 0 || failed > 0 ? 'partial' : 'ok',
      note: `${r.rows.length} rows, ${failed} failed, ${r.skipped.length} groups skipped`,
    };
  });
}

async function main(): Promise<void> {
  log(`condgrad gpu check: budget ${budgetS} s, out ${outPath}`);
  save();
  await phase('probe adapters', Deadline.in(60).min(total), async (d) => {
    report.probes = await probeAdapters(['vulkan', 'opengles'], Math.max(1000, d.leftMs()));
    for (const p of report.probes)
      log(`  ${p.backend}: ${p.ok ? `${p.name} (vendor '${p.vendor}', arch '${p.architecture}')${p.software ? ' SOFTWARE' : ''}` : p.error}`);
    return report.probes.some((p) => p.ok) ? 'ok' : 'error';
  });
  if (wanted.has('gpu')) {
    await phase('start gpu backend', Deadline.in(120).min(total), async (d) => {
      const s = await startGpu(ORDER, Math.max(1000, d.leftMs() / ORDER.length));
      gpu = s.gpu;
      report.attempts = s.attempts;
      report.adapter = s.chosen;
      report.realGpu = s.chosen !== null && s.chosen.software === false;
      for (const a of s.attempts) log(`  gpu on ${a.backend}: ${a.ok ? `${a.name}${a.software ? ' (SOFTWARE)' : ''}` : a.error}`);
      if (!report.realGpu) log('  WARNING: NOT A REAL GPU — the gpu numbers will come from a software adapter or none');
      return gpu === null ? 'error' : { status: 'ok', note: `${s.chosen?.name} via ${s.chosen?.backend}${report.realGpu ? '' : ' (NOT a real GPU)'}` };
    });
  } else skip('start gpu backend', 'gpu not in --backends');

  const g = gpu;
  if (g !== null) {
    await phase('cross-check gpu vs cpu', shareOf(total, [2, ...weightsFrom('gpu')], RESERVE_S), async (d) => {
      const cases = kernelCases(Number(args.seed), args.quick);
      const r = await crossCheck(g, cases, d, 60_000, log);
      report.crossCheck.rows = r.rows;
      speedSkips.check = r.skipped;
      gpuStuck = r.stuck;
      const failed = r.rows.filter((x) => !x.ok).length;
      log(`  ${r.rows.length} cases, ${failed} failed, ${r.skipped.length} skipped`);
      return { status: failed > 0 || r.skipped.length > 0 ? 'partial' : 'ok', note: `${r.rows.length} cases (${cases.length} planned), ${failed} failed` };
    });
    if (!gpuStuck) {
      await phase('per-op overhead gpu', Deadline.in(30).min(total), async () => {
        report.overhead = await withTimeout(measureOverhead(g, 400, 9), 30_000, 'the overhead bench');
        const o = report.overhead;
        log(
          `  condgrad ${o.usPerOp.condgrad.toFixed(1)} µs/op; minus raw per-op submit ${o.minus.raw.toFixed(1)}, minus raw one submit ${o.minus.rawOneSubmit.toFixed(1)}`,
        );
        return 'ok';
      });
      await speedPhase('gpu', g, weightsFrom('gpu'));
      await trainingPhase(g);
    } else skip('speed gpu', 'a gpu call never finished in the cross-check');
  } else skip('cross-check gpu vs cpu', 'no gpu backend');

  if (wanted.has('wasm')) {
    await phase('start wasm backend', Deadline.in(60).min(total), async () => {
      wasm = await createWasmBackend({ threads });
      report.wasmThreads = wasm.threads;
      return { status: 'ok', note: `${wasm.threads} threads` };
    });
    const w = wasm;
    if (w !== null) {
      await speedPhase('wasm', w, weightsFrom('wasm'));
      await trainingPhase(w);
    }
  } else skip('speed wasm', 'wasm not in --backends');
  if (wanted.has('cpu')) await speedPhase('cpu', cpuBackend, weightsFrom('cpu'));
  else skip('speed cpu', 'cpu not in --backends');
}

async function finish(code: number): Promise<never> {
  report.finished = code === 0;
  save();
  const md = formatMarkdown(report);
  try {
    writeFileSync(outPath.replace(/\.json$/, '') + '.md', md);
  } catch (e) {
    console.error(`could not write the markdown: ${errText(e)}`);
  }
  process.stdout.write(md);
  const closes: Promise<unknown>[] = [];
  const w = wasm;
  const g = gpu;
  if (w !== null) closes.push(w.destroy());
  if (g !== null && !gpuStuck) closes.push(g.destroy());
  await withTimeout(Promise.allSettled(closes), 10_000, 'closing the backends').catch(() => undefined);
  process.stderr.write(`wrote ${outPath}\n`, () => process.exit(code));
  return new Promise<never>(() => undefined);
}

// Last resort: if an await never returns (a hung device), write what there is and leave.
setTimeout(
  () => {
    report.errors.push(`watchdog: still running ${budgetS + 20} s after the start`);
    void finish(2);
  },
  (budgetS + 20) * 1000,
);

try {
  await main();
} catch (e) {
  report.errors.push(`main: ${errText(e)}`);
}
await finish(0);
