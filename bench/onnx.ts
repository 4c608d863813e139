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

interface Case { name: string; model: cg.Module; inputShape: number[]; batch: number; plain?: cg.Module }

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
    intraOpNumThreads: THREADS, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

async function bench(c: Case): Promise<string[]> {
  c.model.eval();
  const x = cg.randn([c.batch, ...c.inputShape], { seed: 3 });
  const feeds = { input: new ort.Tensor('float32', Float32Array.from(x.dataSync()), x.shape as number[]) };
  const labels: string[] = [];
  const calls: ((r: number) => Promise<{ ms: number }>)[] = [];
  const sessions: ort.InferenceSession[] = [];
  const timeOrt = async (label: string, bytes: Uint8Array): Promise<void> => {
    const s = await session(bytes);
    sessions.push(s);
    labels.push(label);
    calls.push(async () => {
      const t0 = performance.now();
      await s.run(feeds);
      return { ms: performance.now() - t0 };
    });
  };
  if (c.plain) await timeOrt('ORT plain conv', exportOnnx(c.plain, { inputShape: c.inputShape }));
  for (const f of FORMS) await timeOrt(`ORT ${f}`, exportOnnx(c.model, { inputShape: c.inputShape, condConv: f }));
  labels.push('condgrad wasm');
  calls.push(async () => {
    const t0 = performance.now();
    cg.tidy(() => cg.noGrad(() => c.model.forward(x)).dataSync());
    return { ms: performance.now() - t0 };
  });
  const res = await timeRounds(calls, POLICY);
  for (const s of sessions) await s.release();
  const ms = res.map((r) => (r instanceof Error ? NaN : median(r.map((s) => s.ms))));
  const byLabel = new Map(labels.map((l, i) => [l, ms[i]]));
  const scan = byLabel.get('ORT scan')!;
  const cells = ['ORT plain conv', ...FORMS.map((f) => `ORT ${f}`), 'condgrad wasm'].map((l) => {
    const v = byLabel.get(l);
    return v === undefined ? '—' : Number.isNaN(v) ? 'error' : `${v.toFixed(2)} (${(v / scan).toFixed(2)}×)`;
  });
  return [c.name, String(c.batch), ...cells];
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  for (const c of cases().filter((k) => k.name.includes(ONLY))) {
    rows.push(await bench(c));
    process.stderr.write(`${rows[rows.length - 1].join(' | ')}\n`);
  }
  const be = cg.getBackend() as { name: string; threads?: number };
  console.log(`onnxruntime-node ${ort.env.versions?.node ?? ''} (${THREADS} intra-op threads) vs condgrad ${be.name} (${be.threads ?? 1} threads); forward ms, median of interleaved rounds (× the Scan formulation)\n`);
  console.log(markdownTable(['model', 'B', 'ORT plain conv', 'ORT scan', 'ORT loop', 'ORT unfold', 'ORT moe', 'condgrad wasm'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']));
}

await main();
