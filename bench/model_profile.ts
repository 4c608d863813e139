// Bench: where one CondConv training step of a zoo model spends its time, by op kind (convs, mixing, routers, BatchNorm, elementwise, ..., allocation/other), on wasm.
// Run: npx tsx bench/model_profile.ts [--model resnet] [--experts 8] [--plain (the convert 'none' twin)] [--batch 64] [--steps 5] [--warmup 2] [--width 1] [--threads N] [--out DIR]

import '../kernels/register.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setOpProfiler } from '../core/op.js';
import { createWasmBackend } from '../kernels/wasm/backend.js';
import { DataLoader } from '../nn/data/loader.js';
import { loadMnist } from '../nn/data/mnist.js';
import { BatchNorm2d } from '../nn/layers/batchnorm2d.js';
import { MODEL_NAMES, type ModelName, type ZooModel } from '../nn/models/index.js';
import { Router } from '../nn/router.js';
import { fileTimestamp, machineInfo } from './report/json.js';
import { markdownTable } from './report/table.js';
import { flagNumber, flagString } from './model/flags.js';
import { kindShares, medianShares, StepProfiler, type KindShare, type ProfileEntry } from './model/profiler.js';
import { median } from './report/timing.js';
import { adamTrainer, buildVariant, variantLabel, type Variant } from './model/trainer.js';

const argv = process.argv.slice(2);
const MODEL = flagString(argv, 'model', 'resnet') as ModelName;
if (!MODEL_NAMES.includes(MODEL)) throw new Error(`--model: unknown model '${MODEL}'; choose from ${MODEL_NAMES.join(', ')}`);
const K = flagNumber(argv, 'experts', 8);
const BATCH = flagNumber(argv, 'batch', 64);
const STEPS = flagNumber(argv, 'steps', 5);
const WARMUP = flagNumber(argv, 'warmup', 2);
const WIDTH = flagNumber(argv, 'width', 1);
const PLAIN = argv.includes('--plain');
const THREADS = flagNumber(argv, 'threads', 0);
const OUT = flagString(argv, 'out', 'bench-results');

/** Labels every router and BatchNorm module's forward as a region, so their ops (and those ops' backward) count under them. */
function labelModules(model: ZooModel, prof: StepProfiler): void {
  for (const m of model.modules()) {
    const region = m instanceof Router ? 'router' : m instanceof BatchNorm2d ? 'batchnorm' : null;
    if (region === null) continue;
    const fwd = m.forward.bind(m) as (...a: unknown[]) => unknown;
    Object.defineProperty(m, 'forward', { value: (...a: unknown[]) => prof.region(region, () => fwd(...a)), configurable: true });
  }
}

async function main(): Promise<void> {
  const loadStart = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const data = loadMnist({ train: Math.max(BATCH * (STEPS + WARMUP), 256), test: 100, normalize: true });
  const batches = [...new DataLoader(data.train, { batchSize: BATCH, seed: 1, dropLast: true }).epoch(0)];
  const be = await createWasmBackend(THREADS > 0 ? { threads: THREADS } : {});
  const v: Variant = { model: MODEL, K: PLAIN ? null : K };
  const model = buildVariant(v, be, 1, WIDTH);
  const prof = new StepProfiler();
  labelModules(model, prof);
  const step = adamTrainer(model, be, 1e-3, prof);
  let next = 0;
  for (let i = 0; i < WARMUP; i++) step(batches[next++ % batches.length]);
  // Unprofiled steps first, then profiled ones, interleaved, so the hook's own cost shows as a ratio.
  const plainMs: number[] = [];
  const profMs: number[] = [];
  const perStep: KindShare[][] = [];
  const perStepEntries: ProfileEntry[][] = [];
  const plainStep = (): void => {
    const t0 = performance.now();
    step(batches[next++ % batches.length]);
    plainMs.push(performance.now() - t0);
  };
  for (let s = 0; s < STEPS; s++) {
    // Alternate which of the pair goes first, so that neither always follows the other.
    if (s % 2 === 0) plainStep();
    prof.reset();
    setOpProfiler(prof);
    const t0 = performance.now();
    try {
      step(batches[next++ % batches.length]);
    } finally {
      setOpProfiler(null);
    }
    const ms = performance.now() - t0;
    profMs.push(ms);
    perStepEntries.push(prof.result());
    perStep.push(kindShares(perStepEntries[s], ms, 1));
    if (s % 2 === 1) plainStep();
  }
  const threads = be.threads;
  await be.destroy();
  // Medians over steps, so that one step hit by a pause of the machine does not move the shares.
  const shares = medianShares(perStep);
  const overhead = median(profMs) / median(plainMs);
  const keys = [...new Set(perStepEntries.flat().map((e) => `${e.op}\u0000${e.phase}\u0000${e.kind}`))];
  const top = keys
    .map((key) => {
      const [op, phase, kind] = key.split('\u0000');
      const of = perStepEntries.map((es) => es.find((e) => e.op === op && e.phase === phase && e.kind === kind));
      return { op, phase, kind, calls: median(of.map((e) => e?.calls ?? 0)), ms: median(of.map((e) => e?.ms ?? 0)) };
    })
    .sort((a, b) => b.ms - a.ms);

  console.log(
    `# Profile of one training step: ${variantLabel(v)} ${PLAIN ? '' : '(every stage converted)'}, wasm ${threads} thread(s), batch ${BATCH}, Adam\n`,
  );
  console.log(
    `${STEPS} profiled steps (median per kind over steps; step ${median(profMs).toFixed(0)} ms) after ${WARMUP} warm-up steps; self time per op (forward kernels, backward closures less the ops they run). Load average at start ${loadStart}.`,
  );
  console.log(`Profiled step time / unprofiled step time (medians, interleaved): ${overhead.toFixed(2)}.\n`);
  console.log(
    markdownTable(
      ['op kind', 'ms/step', 'share'],
      shares.map((s) => [s.kind, s.msPerStep.toFixed(1), `${(100 * s.share).toFixed(1)} %`]),
      ['l', 'r', 'r'],
    ),
  );
  console.log('\nTop ops (self time, median over steps):\n');
  console.log(
    markdownTable(
      ['op', 'phase', 'kind', 'calls/step', 'ms/step'],
      top.slice(0, 12).map((e) => [e.op, e.phase, e.kind, e.calls.toFixed(0), e.ms.toFixed(1)]),
      ['l', 'l', 'l', 'r', 'r'],
    ),
  );

  fs.mkdirSync(OUT, { recursive: true });
  const date = new Date();
  const file = path.join(OUT, `model-profile-${fileTimestamp(date)}.json`);
  const out = {
    bench: 'model_profile',
    date: date.toISOString(),
    config: { model: MODEL, experts: PLAIN ? null : K, batch: BATCH, steps: STEPS, warmup: WARMUP, width: WIDTH, threads },
    machine: { ...machineInfo(), loadavgStart: loadStart },
    profiledOverUnprofiled: overhead,
    stepMs: { profiled: profMs, unprofiled: plainMs },
    kinds: shares,
    ops: top,
    perStep: perStepEntries,
  };
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nJSON: ${file}`);
}

await main();
