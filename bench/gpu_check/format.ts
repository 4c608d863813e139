// The real-GPU check's result model (what its JSON holds) and its markdown summary: pure functions, no device work.

import type { BenchRow, MachineInfo } from '../report/rows.js';
import type { TrainingRow } from './training.js';

/** What one Dawn backend's adapter said about itself, or why none came. */
export interface AdapterProbe {
  backend: string;
  featureLevel: string;
  ok: boolean;
  name?: string;
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
  /** A software rasterizer (llvmpipe, SwiftShader, …) rather than a GPU. */
  software?: boolean;
  limits?: Record<string, number>;
  error?: string;
  ms: number;
}

/** One run of a phase: how it ended and how long it took. */
export interface PhaseRecord {
  name: string;
  status: 'ok' | 'error' | 'skipped' | 'partial';
  seconds: number;
  /** Seconds it was allowed. */
  budgetS: number;
  note?: string;
  error?: string;
}

/** One kernel on one seeded config: gpu result against the cpu reference (float64 of the same float32 inputs). */
export interface CheckRow {
  kernel: string;
  config: string;
  /** max|gpu − cpu| / max|cpu| (the error relative to the output's scale); null when the kernel failed. */
  maxRelErr: number | null;
  maxAbsErr: number | null;
  tol: number;
  ok: boolean;
  /** gpu time of the call including its compile and read-back. */
  ms: number;
  error?: string;
}

export interface KernelSummary {
  kernel: string;
  configs: number;
  failed: number;
  maxRelErr: number | null;
}

/** A benchmark cell that did not run, and why. */
export interface SkipRecord {
  backend: string;
  what: string;
  reason: string;
}

/** One (shape, batch, K, mode, path) across backends. */
export interface ComparisonRow {
  shape: string;
  batch: number;
  K: number;
  mode: string;
  path: string;
  ms: Record<string, number | null>;
  gflops: Record<string, number | null>;
  /** path ms / plain ms, per backend. */
  ratio: Record<string, number | null>;
  /** wasm ms / gpu ms. */
  gpuOverWasm: number | null;
  /** cpu ms / gpu ms. */
  gpuOverCpu: number | null;
}

export interface GpuCheckReport {
  version: 1;
  startedAt: string;
  wallSeconds: number;
  budgetS: number;
  finished: boolean;
  args: Record<string, unknown>;
  machine: MachineInfo;
  manifest: Record<string, unknown> | null;
  env: Record<string, string | null>;
  /** True only when the gpu backend runs on a hardware adapter. */
  realGpu: boolean;
  adapter: AdapterProbe | null;
  /** Every adapter seen, by Dawn backend, and every gpu backend start attempted. */
  probes: AdapterProbe[];
  attempts: AdapterProbe[];
  wasmThreads: number | null;
  phases: PhaseRecord[];
  crossCheck: { rows: CheckRow[]; summary: KernelSummary[] };
  speed: { rows: BenchRow[]; skipped: SkipRecord[]; comparison: ComparisonRow[] };
  /** Zoo-model training steps (Adam) per backend. */
  training: TrainingRow[];
  /** Per-op overhead: condgrad's chain of tiny adds against raw Dawn dispatches (µs per op). */
  overhead?: { usPerOp: Record<string, number>; minus: Record<string, number>; ops: number; reps: number } | null;
  errors: string[];
}

/** Per kernel: configs run, how many failed, and the worst relative error. */
export function summarizeChecks(rows: readonly CheckRow[]): KernelSummary[] {
  const by = new Map<string, KernelSummary>();
  for (const r of rows) {
    const s = by.get(r.kernel) ?? { kernel: r.kernel, configs: 0, failed: 0, maxRelErr: null };
    s.configs++;
    if (!r.ok) s.failed++;
    if (r.maxRelErr !== null) s.maxRelErr = Math.max(s.maxRelErr ?? 0, r.maxRelErr);
    by.set(r.kernel, s);
  }
  return [...by.values()];
}

const BACKENDS = ['gpu', 'wasm', 'cpu'] as const;
const PATH_ORDER = ['plain', 'fused', 'moe', 'loop', 'batch1', 'auto'];

/**
 * Joins the rows of every backend by (shape, batch, K, mode, path). The plain path is timed
 * beside each K; it is kept once per (shape, batch, mode), from the smallest K that has it.
 */
export function compareBackends(rows: readonly BenchRow[]): ComparisonRow[] {
  const out = new Map<string, ComparisonRow>();
  const sorted = [...rows].sort((a, b) => (a.K ?? 0) - (b.K ?? 0));
  for (const r of sorted) {
    const K = r.path === 'plain' ? 0 : (r.K ?? 0);
    const key = `${r.shape}|${r.batch}|${r.mode}|${K}|${r.path}`;
    const c = out.get(key) ?? {
      shape: r.shape,
      batch: r.batch,
      K,
      mode: r.mode,
      path: r.path,
      ms: {},
      gflops: {},
      ratio: {},
      gpuOverWasm: null,
      gpuOverCpu: null,
    };
    if (c.ms[r.backend] === undefined || c.ms[r.backend] === null) {
      c.ms[r.backend] = r.ms;
      c.gflops[r.backend] = r.gflops;
      c.ratio[r.backend] = r.ratio;
    }
    out.set(key, c);
  }
  for (const c of out.values()) {
    const g = c.ms.gpu ?? null;
    c.gpuOverWasm = g !== null && g > 0 && (c.ms.wasm ?? null) !== null ? c.ms.wasm! / g : null;
    c.gpuOverCpu = g !== null && g > 0 && (c.ms.cpu ?? null) !== null ? c.ms.cpu! / g : null;
  }
  // Shapes in the order they were measured; within one: forward first, then K, then path.
  const shapeOrder = [...new Set(rows.map((r) => `${r.shape}|${r.batch}`))];
  const rank = (c: ComparisonRow): number[] => [shapeOrder.indexOf(`${c.shape}|${c.batch}`), c.mode === 'forward' ? 0 : 1, c.K, PATH_ORDER.indexOf(c.path)];
  return [...out.values()].sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    const i = ra.findIndex((v, j) => v !== rb[j]);
    return i < 0 ? 0 : ra[i] - rb[i];
  });
}

/** A number for a table cell: '–' for null, else 3 significant digits (exponent form below 1e-3). */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toPrecision(3);
}

function table(head: readonly string[], body: readonly (readonly string[])[]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)];
}

/** The adapter line(s), with a loud warning when the gpu backend is not on a real GPU. */
export function adapterLines(r: Pick<GpuCheckReport, 'adapter' | 'realGpu' | 'attempts'>): string[] {
  const a = r.adapter;
  const lines: string[] = [];
  if (a === null) lines.push('**gpu backend: NONE STARTED**', ...r.attempts.map((t) => `- ${t.backend}: ${t.error ?? 'no adapter'}`));
  else
    lines.push(
      `adapter: **${a.name}** — vendor '${a.vendor}', architecture '${a.architecture}', description '${a.description}', Dawn backend **${a.backend}** (${a.featureLevel})`,
    );
  if (!r.realGpu) lines.push('', '> **WARNING: NOT A REAL GPU (`"realGpu": false`).** The gpu numbers below come from a software adapter or none at all.');
  return lines;
}

/** The whole markdown summary. */
export function formatMarkdown(r: GpuCheckReport): string {
  const out: string[] = [
    `# condgrad real-GPU check (${r.startedAt}, ${r.wallSeconds.toFixed(0)} s of ${r.budgetS} s budget${r.finished ? '' : ', UNFINISHED'})`,
    '',
  ];
  out.push(...adapterLines(r), '');
  out.push(`machine: ${r.machine.cpuModel}, ${r.machine.cores} cores, node ${r.machine.node}; wasm threads ${r.wasmThreads ?? '–'}`, '');
  out.push(
    '## Phases',
    '',
    ...table(
      ['phase', 'status', 's', 'budget s', 'note'],
      r.phases.map((p) => [p.name, p.status, p.seconds.toFixed(1), p.budgetS.toFixed(0), (p.error ?? p.note ?? '').replace(/\|/g, '/').slice(0, 160)]),
    ),
    '',
  );
  out.push('## Kernels: gpu vs cpu reference (max |Δ| / max |ref|)', '');
  out.push(
    ...table(
      ['kernel', 'configs', 'failed', 'max rel err'],
      r.crossCheck.summary.map((s) => [s.kernel, String(s.configs), String(s.failed), fmtNum(s.maxRelErr)]),
    ),
  );
  const bad = r.crossCheck.rows.filter((c) => !c.ok);
  if (bad.length > 0)
    out.push('', 'Failures:', ...bad.slice(0, 20).map((c) => `- ${c.kernel} ${c.config}: ${c.error ?? `rel err ${fmtNum(c.maxRelErr)} > ${c.tol}`}`));
  if (r.overhead) {
    const o = r.overhead;
    out.push('', `## Per-op overhead (${o.ops} chained 16-element adds, median of ${o.reps} interleaved reps)`, '');
    out.push(
      ...table(
        ['path', 'µs per op', 'condgrad minus this'],
        [
          ['condgrad gpu backend', fmtNum(o.usPerOp.condgrad), ''],
          ['raw Dawn, one submit per op', fmtNum(o.usPerOp.raw), fmtNum(o.minus.raw)],
          ['raw Dawn, one submit', fmtNum(o.usPerOp.rawOneSubmit), fmtNum(o.minus.rawOneSubmit)],
        ],
      ),
    );
  }
  out.push('', '## CondConv speed (ms median; ×plain = path ms / plain ms on the same backend; gpu× = wasm ms / gpu ms)', '');
  const body = r.speed.comparison.map((c) => [
    c.shape,
    String(c.batch),
    c.mode,
    c.path === 'plain' ? '–' : String(c.K),
    c.path,
    ...BACKENDS.flatMap((b) => [fmtNum(c.ms[b]), fmtNum(c.gflops[b]), c.path === 'plain' ? '' : fmtNum(c.ratio[b])]),
    fmtNum(c.gpuOverWasm),
    fmtNum(c.gpuOverCpu),
  ]);
  const head = ['shape', 'B', 'mode', 'K', 'path', ...BACKENDS.flatMap((b) => [`${b} ms`, `${b} GFLOP/s`, `${b} ×plain`]), 'gpu× wasm', 'gpu× cpu'];
  out.push(...table(head, body));
  if (r.speed.skipped.length > 0)
    out.push('', `Skipped (${r.speed.skipped.length}):`, ...r.speed.skipped.slice(0, 30).map((s) => `- ${s.backend} ${s.what}: ${s.reason}`));
  out.push(...trainingLines(r.training));
  if (r.errors.length > 0) out.push('', '## Errors', '', ...r.errors.slice(0, 20).map((e) => `- ${e.replace(/\n/g, ' ').slice(0, 300)}`));
  return `${out.join('\n')}\n`;
}

/** The training table: img/s per backend and variant, and gpu img/s over wasm img/s for the same variant. */
export function trainingLines(rows: readonly TrainingRow[]): string[] {
  if (rows.length === 0) return [];
  const label = (x: TrainingRow): string => `${x.model} ${x.K === null ? 'plain' : `CondConv K=${x.K}`} B=${x.batch}`;
  const imgs = (b: string, l: string): number | null => rows.find((x) => x.backend === b && label(x) === l)?.imgPerS ?? null;
  const labels = [...new Set(rows.map(label))];
  const body = labels.map((l) => {
    const gpu = imgs('gpu', l),
      wasm = imgs('wasm', l);
    return [l, fmtNum(gpu), fmtNum(wasm), fmtNum(gpu !== null && wasm !== null ? gpu / wasm : null)];
  });
  const failed = rows.filter((x) => x.error !== undefined).map((x) => `- ${x.backend} ${label(x)}: ${x.error!.slice(0, 200)}`);
  return [
    '',
    '## Training (Adam steps, img/s: median step incl. the loss read-back)',
    '',
    ...table(['variant', 'gpu img/s', 'wasm img/s', 'gpu / wasm'], body),
    ...(failed.length > 0 ? ['', ...failed] : []),
  ];
}
