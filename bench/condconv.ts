// CondConv bench: fused vs moe vs a per-sample loop vs plain conv2d, forward and forward+backward over K; prints markdown and writes JSON to bench-results/.
//
// Usage: npx tsx bench/condconv.ts [--backend cpu|wasm|gpu] [--quick] [--out FILE]
// (node --expose-gc --import tsx bench/condconv.ts ... also collects garbage before every timed call)

import '../kernels/register.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bytesPerElement } from '../core/dtype.js';
import { noGrad } from '../core/engine.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import type { AnyBackend, BackendName } from '../core/backend.js';
import { cpuBackend } from '../kernels/cpu/backend.js';
import type { Conv2dOptions } from '../kernels/geometry/conv.js';
import { randn, rand } from '../core/creation.js';
import { condConv2d } from '../ops/cond_conv.js';
import { mixExperts } from '../ops/cond_mix.js';
import { planCondConv, fmtMacs } from '../ops/cond_plan.js';
import { conv2d } from '../ops/conv.js';
import { concat, slice } from '../ops/shape.js';
import type { BenchReport, BenchRow } from './report/rows.js';
import { convShape, depthwiseShape, nominalFlops, type Mode, type PathName, type ShapeCase, type SweepConfig } from './report/sweep.js';
import { fmtMs, fmtRatio, markdownTable } from './report/table.js';
import { median } from './report/timing.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BATCH = 8;
type Path = Extract<PathName, 'plain' | 'fused' | 'moe' | 'loop'>;
const PATHS: readonly Path[] = ['plain', 'fused', 'moe', 'loop'];
const MODES: readonly Mode[] = ['forward', 'forward+backward'];

interface Args {
  backend: BackendName;
  quick: boolean;
  out: string | null;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { backend: 'cpu', quick: false, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--backend') args.backend = argv[++i] as BackendName;
    else if (a === '--out') args.out = argv[++i];
    else throw new Error(`condconv bench: unknown argument '${a}' (use --backend cpu|wasm|gpu, --quick, --out FILE)`);
  }
  if (!['cpu', 'wasm', 'gpu'].includes(args.backend)) throw new Error(`condconv bench: --backend must be cpu, wasm or gpu, got '${args.backend}'`);
  return args;
}

/** The backend by name: cpu directly; wasm/gpu from their module (an exported instance or init/create factory). */
async function loadBackend(name: BackendName): Promise<AnyBackend> {
  if (name === 'cpu') return cpuBackend;
  const mod = (await import(pathToFileURL(join(root, 'kernels', name, 'backend.ts')).href)) as Record<string, unknown>;
  const isBackend = (v: unknown): v is AnyBackend => typeof v === 'object' && v !== null && (v as AnyBackend).name === name;
  for (const v of Object.values(mod)) if (isBackend(v)) return v;
  for (const [k, v] of Object.entries(mod)) {
    if (typeof v === 'function' && /^(init|create|load)\w*backend$/i.test(k)) {
      const b: unknown = await (v as () => unknown)();
      if (isBackend(b)) return b;
    }
  }
  throw new Error(`condconv bench: kernels/${name}/backend.ts exports no '${name}' backend`);
}

/** Timing policy: warm-up calls, then the median of at least minReps calls (fewer where one call is slow). */
interface Timing {
  warmup: number;
  minReps: number;
  maxReps: number;
  budgetMs: number;
  slowMs: number;
}
const FULL_TIMING: Timing = { warmup: 1, minReps: 3, maxReps: 7, budgetMs: 1500, slowMs: 6000 };
const QUICK_TIMING: Timing = { warmup: 1, minReps: 2, maxReps: 3, budgetMs: 600, slowMs: 3000 };

/** One measurable call: runs the path once and returns what must be complete (y, or x's gradient). */
type Call = () => Tensor;

interface Inputs {
  x: Tensor;
  w: Tensor;
  experts: Tensor;
  routing: Tensor;
  dy: Tensor;
  opts: Conv2dOptions;
}

function makeInputs(s: ShapeCase, K: number, backend: AnyBackend, seed: number): Inputs {
  const Cg = s.C / s.groups;
  const fan = Cg * s.k * s.k;
  const common = { dtype: 'float32' as const, backend, requiresGrad: true };
  return {
    x: randn([BATCH, s.C, s.H, s.W], { ...common, seed }),
    w: randn([s.O, Cg, s.k, s.k], { ...common, seed: seed + 1, std: 1 / Math.sqrt(fan) }),
    experts: randn([K, s.O, Cg, s.k, s.k], { ...common, seed: seed + 2, std: 1 / Math.sqrt(fan) }),
    routing: rand([BATCH, K], { ...common, seed: seed + 3 }),
    dy: randn([BATCH, s.O, s.H, s.W], { dtype: 'float32', backend, seed: seed + 4 }),
    opts: { padding: Math.floor(s.k / 2), groups: s.groups },
  };
}

/** The per-sample loop: mix each sample's kernel and run the plain conv on that sample alone. */
function perSampleLoop(x: Tensor, experts: Tensor, routing: Tensor, opts: Conv2dOptions): Tensor {
  const [B, C, H, W] = x.shape;
  const K = experts.shape[0];
  const ys: Tensor[] = [];
  for (let b = 0; b < B; b++) {
    const wb = mixExperts(slice(routing, [b, 0], [1, K]), experts, experts.shape.slice(1));
    ys.push(conv2d(slice(x, [b, 0, 0, 0], [1, C, H, W]), wb, null, opts));
  }
  return concat(ys, 0);
}

function forwardOf(path: Path, i: Inputs): () => Tensor {
  switch (path) {
    case 'plain':
      return () => conv2d(i.x, i.w, null, i.opts);
    case 'fused':
      return () => condConv2d(i.x, i.experts, i.routing, null, { ...i.opts, path: 'fused' });
    case 'moe':
      return () => condConv2d(i.x, i.experts, i.routing, null, { ...i.opts, path: 'moe' });
    case 'loop':
      return () => perSampleLoop(i.x, i.experts, i.routing, i.opts);
  }
}

function callOf(path: Path, mode: Mode, i: Inputs): { call: Call; outputs: () => Tensor[] } {
  const f = forwardOf(path, i);
  const params = path === 'plain' ? [i.x, i.w] : [i.x, i.experts, i.routing];
  // As in a training step, each call frees what it made (tidy, and the previous call's output or
  // gradients): left to the GC, freed buffers come back as fresh heap whose first touch is timed.
  if (mode === 'forward') {
    let y: Tensor | null = null;
    return {
      call: () => {
        y?.dispose();
        return (y = tidy(() => noGrad(f)));
      },
      outputs: () => (y ? [y] : []),
    };
  }
  return {
    call: () => {
      for (const p of params) {
        p.grad?.dispose();
        p.grad = null;
      }
      tidy(() => f().backward(i.dy));
      return i.x.grad!;
    },
    outputs: () => params.map((p) => p.grad!).filter((g) => g !== null),
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  ms: number;
  times: number[];
  allocBytes: number | null;
  scratchBytes: number | null;
}

/**
 * Times one row (shape, mode, K) of paths round-robin, so that load from other processes hits
 * every path alike: each path gets a warm-up call (skipped where the previous K already warmed
 * its code and one call is estimated slow), a number of reps from its call time, then rounds of
 * one call per path until every path has its reps.
 */
async function measureRow(
  calls: Map<Path, { call: Call; outputs: () => Tensor[] }>,
  estimates: Map<Path, number>,
  backend: AnyBackend,
  t: Timing,
): Promise<Map<Path, Sample>> {
  const finish = async (y: Tensor): Promise<void> => {
    if (backend.name !== 'cpu') await y.data();
  };
  const target = new Map<Path, number>();
  for (const [path, c] of calls) {
    let est = estimates.get(path);
    if (est === undefined || est < t.slowMs / 6) {
      const t0 = performance.now();
      for (let i = 0; i < t.warmup; i++) await finish(c.call());
      est = (performance.now() - t0) / Math.max(1, t.warmup);
    }
    const reps = est * t.minReps <= t.slowMs ? Math.min(t.maxReps, Math.max(t.minReps, Math.floor(t.budgetMs / est))) : Math.max(1, Math.floor(t.slowMs / est));
    target.set(path, reps);
  }
  const out = new Map<Path, Sample>([...calls.keys()].map((p) => [p, { ms: 0, times: [], allocBytes: null, scratchBytes: null }]));
  while ([...out].some(([p, s]) => s.times.length < target.get(p)!)) {
    for (const [path, c] of calls) {
      const s = out.get(path)!;
      if (s.times.length >= target.get(path)!) continue;
      gc?.();
      const m0 = backend.memory().bytesAllocated;
      const t0 = performance.now();
      await finish(c.call());
      s.times.push(performance.now() - t0);
      if (s.allocBytes === null) {
        s.allocBytes = backend.memory().bytesAllocated - m0;
        s.scratchBytes = s.allocBytes - c.outputs().reduce((n, o) => n + o.size * bytesPerElement(o.dtype), 0);
      }
    }
  }
  for (const s of out.values()) s.ms = median(s.times);
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const backend = await loadBackend(args.backend);
  const shapes: ShapeCase[] = [convShape(64, 32, 64), depthwiseShape(128, 32), convShape(128, 16, 128, 1)];
  const Ks = args.quick ? [1, 8] : [1, 2, 4, 8, 16];
  const timing = args.quick ? QUICK_TIMING : FULL_TIMING;
  const rows: BenchRow[] = [];
  const table: Record<Mode, string[][]> = { forward: [], 'forward+backward': [] };
  const notes: string[] = [];
  const minTimes = new Map<string, number>();
  for (const s of shapes) {
    for (const mode of MODES) {
      const estimates = new Map<Path, number>();
      const plainTimes: number[] = [];
      let plainFirst: Sample | null = null;
      let prevK = 1;
      for (const K of Ks) {
        const inputs = makeInputs(s, K, backend, 1000 + K);
        const calls = new Map(PATHS.map((p) => [p, callOf(p, mode, inputs)] as const));
        for (const [p, ms] of estimates) if (p === 'moe') estimates.set(p, (ms * K) / prevK);
        const res = await measureRow(calls, estimates, backend, timing);
        const plain = res.get('plain')!;
        plainTimes.push(...plain.times);
        minTimes.set(`${s.name}|${mode}|${K}`, Math.min(...plain.times));
        plainFirst ??= plain;
        const cells = [s.name, String(K), fmtMs(plain.ms)];
        for (const path of PATHS) {
          const m = res.get(path)!;
          estimates.set(path, m.ms);
          if (path === 'plain') continue;
          const flops = nominalFlops(s, BATCH, K, mode);
          rows.push({
            backend: backend.name,
            shape: s.name,
            kind: s.kind,
            batch: BATCH,
            K,
            mode,
            path,
            ms: m.ms,
            times: m.times,
            flops,
            gflops: flops / (m.ms * 1e6),
            ratio: m.ms / plain.ms,
            allocBytes: m.allocBytes,
            scratchBytes: m.scratchBytes,
            rssDeltaBytes: null,
          });
          cells.push(`${fmtMs(m.ms)} (${fmtRatio(m.ms / plain.ms)})`);
        }
        table[mode].push(cells);
        process.stderr.write(`${s.name} ${mode} K=${K}: ${cells.slice(2).join(' | ')}\n`);
        prevK = K;
      }
      const flops = nominalFlops(s, BATCH, null, mode);
      const ms = median(plainTimes);
      rows.push({
        backend: backend.name,
        shape: s.name,
        kind: s.kind,
        batch: BATCH,
        K: null,
        mode,
        path: 'plain',
        ms,
        times: plainTimes,
        flops,
        gflops: flops / (ms * 1e6),
        ratio: 1,
        allocBytes: plainFirst!.allocBytes,
        scratchBytes: plainFirst!.scratchBytes,
        rssDeltaBytes: null,
      });
    }
    const p = planCondConv([BATCH, s.C, s.H, s.W], [8, s.O, s.C / s.groups, s.k, s.k], { padding: Math.floor(s.k / 2), groups: s.groups });
    notes.push(`- ${s.name}, K=8: auto picks '${p.path}' (fused ${fmtMacs(p.costs.fused)} MACs, moe ${fmtMacs(p.costs.moe)})`);
  }
  const method =
    `Batch ${BATCH}, float32, no bias. Each (shape, mode, K) row times plain, fused, moe and loop round-robin, ` +
    `so that outside load hits all alike: one warm-up call per path (skipped for slow calls whose code a smaller K already warmed), ` +
    `then the median of ${timing.minReps}–${timing.maxReps} calls per path (fewer, down to 1, where one call is slow). ` +
    'Ratios are to the plain conv2d timed in the same row. Forward runs under noGrad; forward+backward runs backward from a fixed dy.' +
    (gc ? ' GC is forced before every timed call.' : '');
  const config: SweepConfig = {
    preset: 'custom',
    shapes,
    batches: [BATCH],
    Ks,
    modes: MODES,
    paths: PATHS,
    warmup: timing.warmup,
    minReps: timing.minReps,
    maxReps: timing.maxReps,
    budgetMs: timing.budgetMs,
  };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const report: BenchReport = {
    version: 1,
    startedAt: new Date(started).toISOString(),
    wallSeconds: (Date.now() - started) / 1000,
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryBytes: totalmem(),
      node: process.version,
      os: `${platform()} ${release()}`,
    },
    packages: { condgrad: pkg.version },
    backends: [{ name: backend.name, available: true }],
    config,
    method,
    rows,
  };

  const out: string[] = [
    `## CondConv bench — ${backend.name}, ${report.machine.cpuModel}, ${report.machine.cores} cores, node ${process.version}`,
    '',
    method,
    '',
  ];
  const head = ['shape', 'K', 'plain ms', ...PATHS.slice(1).map((p) => `${p} ms (×plain)`)];
  for (const mode of MODES) out.push(`### ${mode}, B=${BATCH}`, '', markdownTable(head, table[mode], ['l', 'r', 'r', 'r', 'r', 'r']), '');
  const at = (shape: string, mode: Mode, path: Path): BenchRow | undefined =>
    rows.find((r) => r.shape === shape && r.mode === mode && r.path === path && r.K === 8);
  const conv = shapes[0].name;
  /** Median ratio, and the ratio of the fastest calls (less sensitive to load from other processes). */
  const ratios = (mode: Mode, path: Path): [number, number] | null => {
    const r = at(conv, mode, path);
    const p = minTimes.get(`${conv}|${mode}|8`);
    return r && r.ratio !== null && p !== undefined ? [r.ratio, Math.min(...r.times) / p] : null;
  };
  const target = (what: string, mode: Mode, path: Path, limit: number | null): void => {
    const r = ratios(mode, path);
    if (r === null) return;
    const verdict = limit === null ? '≈ K = 8 expected' : `target ≤ ${limit}×: ${r[0] <= limit ? 'met' : 'missed'}`;
    out.push(`- ${what} ${r[0].toFixed(2)}× plain by median, ${r[1].toFixed(2)}× by fastest call (${verdict})`);
  };
  out.push(`### Targets (K=8, ${conv})`, '');
  target('fused forward', 'forward', 'fused', 1.15);
  target('fused forward+backward', 'forward+backward', 'fused', 1.3);
  target('moe forward', 'forward', 'moe', null);
  out.push('', ...notes, '', `Wall time ${report.wallSeconds.toFixed(0)} s.`);
  console.log(out.join('\n'));

  const file =
    args.out ??
    join(root, 'bench-results', `condconv-${backend.name}${args.quick ? '-quick' : ''}-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\nJSON: ${file}`);
}

await main();
