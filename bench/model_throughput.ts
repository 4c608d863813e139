// Bench: training throughput of every zoo model, plain (convert 'none') against CondConv K ∈ {4, 8} on every stage, wasm, interleaved windows, ratios in one run; JSON and an SVG plot.
// Run: npx tsx bench/model_throughput.ts [--models cnn,resnet,...] [--experts 4,8] [--batch 64] [--windows 5] [--steps 3] [--warmup 2] [--width 1] [--threads N] [--out DIR]

import '../kernels/register.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createWasmBackend } from '../kernels/wasm/backend.js';
import { DataLoader } from '../nn/data/loader.js';
import { loadMnist } from '../nn/data/mnist.js';
import { MODEL_NAMES, type ModelName } from '../nn/models/index.js';
import { fileTimestamp, machineInfo } from './report/json.js';
import { renderSvg } from './report/plots.js';
import { modelTable, ratioBarSpec, summarise, type VariantWindows } from './model/report.js';
import { adamTrainer, buildVariant, variantLabel } from './model/trainer.js';
import { flagList, flagNumber, flagString } from './model/flags.js';

const argv = process.argv.slice(2);
const MODELS = flagList(argv, 'models', MODEL_NAMES.join(',')) as ModelName[];
for (const m of MODELS) if (!MODEL_NAMES.includes(m)) throw new Error(`--models: unknown model '${m}'; choose from ${MODEL_NAMES.join(', ')}`);
const EXPERTS = flagList(argv, 'experts', '4,8').map(Number);
const BATCH = flagNumber(argv, 'batch', 64);
const WINDOWS = flagNumber(argv, 'windows', 5);
const STEPS = flagNumber(argv, 'steps', 3);
const WARMUP = flagNumber(argv, 'warmup', 2);
const WIDTH = flagNumber(argv, 'width', 1);
const THREADS = flagNumber(argv, 'threads', 0);
const OUT = flagString(argv, 'out', 'bench-results');
const LR = 1e-3;
const SEED = 1;

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const loadStart = loadavg();
  const data = loadMnist({ train: Math.max(BATCH * 16, 1024), test: 100, normalize: true });
  const batches = [...new DataLoader(data.train, { batchSize: BATCH, seed: SEED, dropLast: true }).epoch(0)];
  const be = await createWasmBackend(THREADS > 0 ? { threads: THREADS } : {});
  const variants = MODELS.flatMap((model) => [{ model, K: null }, ...EXPERTS.map((K) => ({ model, K }))]);
  // Every variant sees the same batches in the same order from the same seed.
  const engines = variants.map((v) => {
    const model = buildVariant(v, be, SEED, WIDTH);
    return { v, step: adamTrainer(model, be, LR), next: 0, losses: [] as number[], windows: [] as number[] };
  });
  for (const e of engines) for (let i = 0; i < WARMUP; i++) e.losses.push(e.step(batches[e.next++ % batches.length]));
  for (let w = 0; w < WINDOWS; w++) {
    for (const e of engines) {
      const t0 = performance.now();
      for (let s = 0; s < STEPS; s++) e.step(batches[e.next++ % batches.length]);
      e.windows.push((STEPS * BATCH) / ((performance.now() - t0) / 1000));
    }
    process.stderr.write(`window ${w + 1}/${WINDOWS}: ${engines.map((e) => `${variantLabel(e.v)} ${e.windows[w].toFixed(0)}`).join(', ')}\n`);
  }
  const threads = be.threads;
  await be.destroy();

  const results: VariantWindows[] = engines.map((e) => ({ ...e.v, windows: e.windows }));
  const rows = summarise(results);
  const loadEnd = loadavg();
  const date = new Date();
  console.log(`# Model-level training throughput: zoo models, plain vs CondConv (every stage converted), wasm ${threads} thread(s)\n`);
  console.log(
    `MNIST batches of ${BATCH} (the same batches and seed for every variant), width ${WIDTH}, Adam lr ${LR}, float32. Each step: batch → tensor, forward, cross-entropy, backward, Adam update, loss read back.`,
  );
  console.log(
    `${WARMUP} warm-up steps, then ${WINDOWS} windows of ${STEPS} steps per variant, interleaved across variants; img/s is the median window, the ratio is of medians, the range is of the per-window ratios.`,
  );
  console.log(`Load average (1/5/15 min) ${loadStart} at start, ${loadEnd} at end.\n`);
  console.log(modelTable(rows));

  fs.mkdirSync(OUT, { recursive: true });
  const stamp = fileTimestamp(date);
  const json = path.join(OUT, `model-throughput-${stamp}.json`);
  const out = {
    bench: 'model_throughput',
    date: date.toISOString(),
    config: {
      models: MODELS,
      experts: EXPERTS,
      batch: BATCH,
      windows: WINDOWS,
      steps: STEPS,
      warmup: WARMUP,
      width: WIDTH,
      threads,
      lr: LR,
      seed: SEED,
      optimizer: 'Adam',
    },
    machine: { ...machineInfo(), loadavgStart: loadStart, loadavgEnd: loadEnd },
    variants: engines.map((e) => ({ ...e.v, label: variantLabel(e.v), windows: e.windows, warmupLosses: e.losses })),
    rows,
  };
  fs.writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
  const svg = path.join(OUT, `model-throughput-${stamp}.svg`);
  fs.writeFileSync(svg, await renderSvg(ratioBarSpec(rows, `training img/s, CondConv / plain (wasm ${threads} thr, batch ${BATCH})`)));
  console.log(`\nJSON: ${json}\nplot: ${svg}`);
}

await main();
