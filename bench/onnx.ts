// Bench: exported CondConv models in onnxruntime-node (scan, loop, unfold, moe formulations) next to condgrad's wasm inference, one run.
// Run: npm run build && CONDGRAD_THREADS=2 npx tsx bench/onnx.ts [--quick] [--threads N]   (--threads: onnxruntime's intra-op threads, default 2; --only <text>: rows whose name has it;
//      CONDGRAD_THREADS: condgrad's wasm threads; --quick: the three layer rows only, fewer rounds)

import * as ort from 'onnxruntime-node';
import * as cg from '../index.js';
import { exportOnnx, type CondConvFormulation } from '../nn/onnx/index.js';
import { markdownTable } from './report/table.js';
import { median, timeRounds } from './report/timing.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const ti = args.indexOf('--threads');
const THREADS = ti >= 0 ? Number(args[ti + 1]) : 2;
const oi = args.indexOf('--only');
const ONLY = oi >= 0 ? args[oi + 1] : '';
const FORMS: readonly CondConvFormulation[] = ['scan', 'loop', 'unfold', 'moe'];
const POLICY = { warmup: 2, minReps: quick ? 5 : 9, maxReps: quick ? 9 : 25, budgetMs: quick ? 1500 : 4000 };

interface Case {
  name: string;
  model: cg.Module;
  inputShape: number[];
  batch: number;
  plain?: cg.Module;
}

/** One CondConv layer (K experts, its own sigmoid router) and the plain conv of the same shape. */
function layer(name: string, C: number, O: number, k: number, hw: number, K: number, depthwise: boolean): Case {
  const pad = (k - 1) / 2;
  const model = depthwise
    ? new cg.DepthwiseCondConv2d(C, k, { numExperts: K, padding: pad, seed: 1 })
    : new cg.CondConv2d(C, O, k, { numExperts: K, padding: pad, seed: 1 });
  const plain = depthwise ? new cg.DepthwiseConv2d(C, k, { padding: pad, seed: 2 }) : new cg.Conv2d(C, O, k, { padding: pad, seed: 2 });
  return { name, model, plain, inputShape: [C, hw, hw], batch: 8 };
}

function cases(): Case[] {
  const out = [
    layer('conv3x3 C64 32×32 O64, K=8', 64, 64, 3, 32, 8, false),
    layer('dw3x3 C128 32×32, K=8', 128, 128, 3, 32, 8, true),
    layer('conv1x1 C128 16×16 O128, K=8', 128, 128, 1, 16, 8, false),
  ];
  if (quick) return out;
  for (const name of ['mobilenet-v1', 'mobilenet-v2', 'resnet'] as const) {
    const m = cg.createModel(name, { convert: 'all', experts: 4, seed: 1 });
    out.push({ name: `${name} convert=all K=4, 28×28`, model: m, inputShape: m.inputShape, batch: 8 });
  }
  return out;
}

/**
 * onnxruntime's intra-op threads spin-wait after each run by default, which on a shared 2-core
 * machine starves whatever runs next (condgrad's workers, or the next session); spinning is off.
 */
async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

type Sample = { ms: number; cpu: number };

/** Wall ms and process CPU ms (all threads) of one call: CPU time is what a busy machine disturbs least. */
async function measure(fn: () => unknown): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpu: (c.user + c.system) / 1000 };
}

const COLUMNS = ['ORT plain conv', ...FORMS.map((f) => `ORT ${f}`), 'condgrad wasm'];

/** Per column, the median wall ms and CPU ms (NaN where the call failed; absent columns undefined). */
async function bench(c: Case): Promise<Map<string, Sample>> {
  c.model.eval();
  const x = cg.randn([c.batch, ...c.inputShape], { seed: 3 });
  const feeds = { input: new ort.Tensor('float32', Float32Array.from(x.dataSync()), [...x.shape]) };
  const labels: string[] = [];
  const calls: ((r: number) => Promise<Sample>)[] = [];
  const sessions: ort.InferenceSession[] = [];
  const timeOrt = async (label: string, bytes: Uint8Array): Promise<void> => {
    const s = await session(bytes);
    sessions.push(s);
    labels.push(label);
    calls.push(() => measure(() => s.run(feeds)));
  };
  if (c.plain) await timeOrt('ORT plain conv', exportOnnx(c.plain, { inputShape: c.inputShape }));
  for (const f of FORMS) await timeOrt(`ORT ${f}`, exportOnnx(c.model, { inputShape: c.inputShape, condConv: f }));
  labels.push('condgrad wasm');
  // The read-back stays inside tidy but is not returned from it (tidy would walk a returned array).
  calls.push(() =>
    measure(() => {
      cg.tidy(() => {
        cg.noGrad(() => c.model.forward(x)).dataSync();
      });
    }),
  );
  const res = await timeRounds(calls, POLICY);
  for (const s of sessions) await s.release();
  return new Map(
    labels.map((l, i) => {
      const r = res[i];
      return [l, r instanceof Error ? { ms: NaN, cpu: NaN } : { ms: median(r.map((s) => s.ms)), cpu: median(r.map((s) => s.cpu)) }];
    }),
  );
}

function row(c: Case, m: Map<string, Sample>, key: keyof Sample): string[] {
  const scan = m.get('ORT scan')![key];
  return [
    c.name,
    String(c.batch),
    ...COLUMNS.map((l) => {
      const v = m.get(l)?.[key];
      return v === undefined ? '—' : Number.isNaN(v) ? 'error' : `${v.toFixed(2)} (${(v / scan).toFixed(2)}×)`;
    }),
  ];
}

async function main(): Promise<void> {
  const cpu: string[][] = [];
  const wall: string[][] = [];
  for (const c of cases().filter((k) => k.name.includes(ONLY))) {
    const m = await bench(c);
    cpu.push(row(c, m, 'cpu'));
    wall.push(row(c, m, 'ms'));
    process.stderr.write(`${cpu[cpu.length - 1].join(' | ')}\n`);
  }
  const be = cg.getBackend() as { name: string; threads?: number };
  const head = ['model', 'B', ...COLUMNS];
  const align: ('l' | 'r')[] = ['l', ...head.slice(1).map(() => 'r' as const)];
  console.log(
    `onnxruntime-node (${THREADS} intra-op threads, no spinning) vs condgrad ${be.name} (${be.threads ?? 1} threads), one forward pass, median of interleaved rounds (× the Scan formulation)\n`,
  );
  console.log(`CPU ms (process user + system time, all threads):\n\n${markdownTable(head, cpu, align)}\n`);
  console.log(`wall ms:\n\n${markdownTable(head, wall, align)}`);
}

await main();
