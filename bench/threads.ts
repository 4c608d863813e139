// Bench: wasm thread scaling — kernels, a fused CondConv forward+backward and a CondConv net's training step at 1, 2 and all threads, interleaved in one run.
// Run: npx tsx bench/threads.ts [--threads 1,2,4] [--budget-s 4] [--json out.json]

import * as fs from 'node:fs';
import * as os from 'node:os';
import '../kernels/register.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { randn } from '../core/creation.js';
import type { AnyBackend } from '../core/backend.js';
import { createWasmBackend, type WasmBackend } from '../kernels/wasm/backend.js';
import { availableParallelism, chooseThreadCount } from '../core/threads.js';
import { CondConv2d } from '../nn/cond_conv.js';
import { Conv2d } from '../nn/layers/conv2d.js';
import { Flatten } from '../nn/layers/flatten.js';
import { Linear } from '../nn/layers/linear.js';
import { MaxPool2d } from '../nn/layers/pool.js';
import { Module } from '../nn/module.js';
import { SGD } from '../nn/optim/sgd.js';
import { relu } from '../ops/activations.js';
import { conv2d } from '../ops/conv.js';
import { condConv2d } from '../ops/cond_conv.js';
import { matmul } from '../ops/matmul.js';
import { sum } from '../ops/broadcast.js';
import { crossEntropy } from '../ops/softmax.js';
import { median, timeRounds } from './report/timing.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const available = availableParallelism();
/** 1, 2 and all (available parallelism), or the --threads list. */
const COUNTS = [...new Set((arg('threads') ?? `1,2,${available}`).split(',').map(Number))].sort((a, b) => a - b);
if (COUNTS.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new Error('--threads must be a comma list of integers in [1, 64]');
const BUDGET_MS = 1000 * Number(arg('budget-s') ?? 4);

/** conv(1→16)+relu+pool, CondConv(16→32, K=4, own sigmoid router)+relu+pool, dense(1568→10): an MNIST-sized CondConv net. */
class Net extends Module {
  c1: Conv2d;
  c2: CondConv2d;
  pool = new MaxPool2d(2);
  flat = new Flatten();
  fc: Linear;
  constructor(backend: AnyBackend) {
    super();
    this.c1 = new Conv2d(1, 16, 3, { padding: 1, backend, seed: 1 });
    this.c2 = new CondConv2d(16, 32, 3, { numExperts: 4, padding: 1, backend, seed: 2 });
    this.fc = new Linear(32 * 7 * 7, 10, { backend, seed: 3 });
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.flat.forward(this.pool.forward(relu(this.c2.forward(this.pool.forward(relu(this.c1.forward(x))))))));
  }
}

interface Workload {
  name: string;
  /** One call on `be`, returning something to dispose (its time is the sample). */
  make(be: WasmBackend): () => void;
}

const BATCH_LABELS = Array.from({ length: 32 }, (_, i) => i % 10);

const WORKLOADS: Workload[] = [
  {
    name: 'matmul 512×512×512',
    make(be) {
      const a = randn([512, 512], { seed: 1, backend: be }),
        b = randn([512, 512], { seed: 2, backend: be });
      return () =>
        tidy(() => {
          matmul(a, b);
        });
    },
  },
  {
    name: 'conv2d 3×3 C64 32×32 O64, B=8, forward',
    make(be) {
      const x = randn([8, 64, 32, 32], { seed: 1, backend: be }),
        w = randn([64, 64, 3, 3], { seed: 2, backend: be });
      return () =>
        tidy(() => {
          conv2d(x, w, null, { padding: 1 });
        });
    },
  },
  {
    name: 'condConv2d fused K=8, same shape, forward+backward',
    make(be) {
      const x = randn([8, 64, 32, 32], { seed: 1, backend: be, requiresGrad: true });
      const e = randn([8, 64, 64, 3, 3], { seed: 2, backend: be, requiresGrad: true });
      const r = randn([8, 8], { seed: 3, backend: be, requiresGrad: true });
      return () =>
        tidy(() => {
          sum(condConv2d(x, e, r, null, { padding: 1, path: 'fused' })).backward();
          for (const t of [x, e, r]) {
            t.grad?.dispose();
            t.grad = null;
          }
        });
    },
  },
  {
    name: 'CondConv net training step, MNIST-sized batch of 32 (SGD)',
    make(be) {
      const net = new Net(be);
      const opt = new SGD(net.parameters(), { lr: 0.01 });
      const x = randn([32, 1, 28, 28], { seed: 4, backend: be });
      return () =>
        tidy(() => {
          crossEntropy(net.forward(x), BATCH_LABELS).backward();
          opt.step();
          opt.zeroGrad();
        });
    },
  },
];

async function main(): Promise<void> {
  const load0 = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  const backends: WasmBackend[] = [];
  for (const n of COUNTS) backends.push(await createWasmBackend({ threads: n }));
  const dflt = chooseThreadCount(undefined, { env: '' }).threads;
  console.log(
    `# wasm thread scaling, float32: median of interleaved rounds (each thread count once per round), speed-up = median over rounds of t(1 thread) / t(n)\n`,
  );
  console.log(
    `${os.cpus()[0]?.model ?? 'cpu'}, available parallelism ${available} (default thread count ${dflt}), Node ${process.version}, load average at start ${load0}\n`,
  );
  console.log(
    `| workload | ${COUNTS.map((n) => `${n} thr ms`).join(' | ')} | ${COUNTS.filter((n) => n > 1)
      .map((n) => `${n} thr speed-up`)
      .join(' | ')} | CPU/wall ${COUNTS.join(' / ')} thr |`,
  );
  console.log(
    `|---|${COUNTS.map(() => '---').join('|')}|${COUNTS.filter((n) => n > 1)
      .map(() => '---')
      .join('|')}|---|`,
  );
  const rows: unknown[] = [];
  for (const w of WORKLOADS) {
    const fns = backends.map((be) => w.make(be));
    const calls = fns.map((f) => () => {
      const c = process.cpuUsage();
      const t = performance.now();
      f();
      const ms = performance.now() - t;
      const used = process.cpuUsage(c);
      return Promise.resolve({ ms, cpuMs: (used.user + used.system) / 1000 });
    });
    const res = await timeRounds(calls, { warmup: 3, minReps: 7, maxReps: 41, budgetMs: BUDGET_MS });
    const ok = res.map((r, i) => {
      if (r instanceof Error) throw new Error(`${w.name} on ${COUNTS[i]} threads: ${r.message}`);
      return r;
    });
    const samples = ok.map((r) => r.map((s) => s.ms));
    // Process CPU time over wall time: about n when n threads really ran at once, about 1 when they took turns.
    const busy = ok.map((r) => median(r.map((s) => s.cpuMs / s.ms)));
    const ms = samples.map(median);
    const base = COUNTS.indexOf(1);
    const speedups = COUNTS.map((n, i) => (n === 1 || base < 0 ? null : median(samples[i].map((t, r) => samples[base][r] / t))));
    console.log(
      `| ${w.name} | ${ms.map((v) => v.toFixed(2)).join(' | ')} | ${speedups
        .filter((s): s is number => s !== null)
        .map((s) => `${s.toFixed(2)}×`)
        .join(' | ')} | ${busy.map((b) => b.toFixed(2)).join(' / ')} |`,
    );
    rows.push({ workload: w.name, threads: COUNTS, medianMs: ms, speedupOver1: speedups, cpuPerWall: busy, rounds: samples[0].length });
  }
  for (const be of backends) await be.destroy();
  const load1 = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  console.log(`\nload average at end ${load1}`);
  const out = arg('json');
  if (out !== undefined) {
    fs.writeFileSync(
      out,
      `${JSON.stringify({ machine: { cpu: os.cpus()[0]?.model, available, node: process.version, loadStart: load0, loadEnd: load1 }, defaultThreads: dflt, rows }, null, 2)}\n`,
    );
  }
}

await main();
