// Bench: model-level A/B of two source trees in one process: each tree's zoo model, plain and every stage CondConv, trained with steps interleaved across trees and variants, so a busy machine slows both alike.
// Run: npx tsx bench/model_ab.ts --against <dir of another checkout, built> [--models resnet,cnn] [--experts 8] [--batch 64] [--windows 15] [--steps 1] [--threads 1]

import { resolve } from 'node:path';
import { loadavg } from 'node:os';
import { flagList, flagNumber, flagString } from './model/flags.js';
import { loadTree } from './model/tree.js';
import { median } from './report/timing.js';

const argv = process.argv.slice(2);
const AGAINST = flagString(argv, 'against', '');
if (AGAINST === '') throw new Error('--against <dir> is required (another checkout of this repository, with its wasm kernels built)');
const MODELS = flagList(argv, 'models', 'resnet,cnn');
const K = flagNumber(argv, 'experts', 8);
const BATCH = flagNumber(argv, 'batch', 64);
const WINDOWS = flagNumber(argv, 'windows', 15);
const STEPS = flagNumber(argv, 'steps', 1);
const WARMUP = flagNumber(argv, 'warmup', 2);
const THREADS = flagNumber(argv, 'threads', 1);

type Trainer = typeof import('./model/trainer.js');
interface Engine {
  tree: string;
  model: string;
  cond: boolean;
  step: () => void;
  ms: number[];
}

/** The engines of one tree, built from that tree's own modules (its tensors, backend and kernels). */
async function enginesOf(root: string, tree: string): Promise<{ engines: Engine[]; destroy: () => Promise<void> }> {
  const { createWasmBackend, loadMnist, DataLoader, buildVariant, adamTrainer } = await loadTree(root);
  const be = await createWasmBackend({ threads: THREADS });
  const data = loadMnist({ train: BATCH * 16, test: 100, normalize: true });
  const batches = [...new DataLoader(data.train, { batchSize: BATCH, seed: 1, dropLast: true }).epoch(0)];
  const engines: Engine[] = [];
  for (const model of MODELS) {
    for (const cond of [false, true]) {
      const step = adamTrainer(buildVariant({ model: model as Parameters<Trainer['buildVariant']>[0]['model'], K: cond ? K : null }, be, 1, 1), be, 1e-3);
      let next = 0;
      engines.push({ tree, model, cond, step: () => void step(batches[next++ % batches.length]), ms: [] });
    }
  }
  return { engines, destroy: () => be.destroy() };
}

async function main(): Promise<void> {
  const start = loadavg().map((x) => x.toFixed(2));
  const a = await enginesOf(resolve(AGAINST), 'against');
  const b = await enginesOf(resolve(import.meta.dirname, '..'), 'this tree');
  const all = [...a.engines, ...b.engines];
  for (const e of all) for (let i = 0; i < WARMUP; i++) e.step();
  for (let w = 0; w < WINDOWS; w++) {
    for (const e of all) {
      const t0 = performance.now();
      for (let s = 0; s < STEPS; s++) e.step();
      e.ms.push(performance.now() - t0);
    }
  }
  await a.destroy();
  await b.destroy();
  console.log(
    `# Model-level A/B: CondConv K=${K} / plain training throughput, wasm ${THREADS} thread(s), batch ${BATCH}, ${WINDOWS} windows of ${STEPS} step(s), all interleaved`,
  );
  console.log(
    `against: ${resolve(AGAINST)}; load average ${start.join(' ')} at start, ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} at end\n`,
  );
  console.log('| model | tree | plain img/s | K img/s | K / plain |');
  console.log('|:--|:--|--:|--:|--:|');
  for (const model of MODELS) {
    for (const tree of ['against', 'this tree']) {
      const [p, c] = [false, true].map((cond) => median(all.find((e) => e.tree === tree && e.model === model && e.cond === cond)!.ms));
      const ips = (ms: number): string => ((STEPS * BATCH) / (ms / 1000)).toFixed(0);
      console.log(`| ${model} | ${tree} | ${ips(p)} | ${ips(c)} | ${(p / c).toFixed(3)}× |`);
    }
  }
}

void main();
