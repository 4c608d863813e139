// Bench: the wasm heap a zoo model's training grows to (its high-water mark) and the live bytes between steps, plain and CondConv, optionally against another source tree.
// Run: npx tsx bench/model_heap.ts [--models resnet,mobilenet-v2] [--experts 8] [--batch 64] [--steps 4] [--against <dir of another checkout, built>]

import '../kernels/register.js';
import { resolve } from 'node:path';
import { cpus } from 'node:os';
import { flagList, flagNumber, flagString } from './model/flags.js';
import { loadTree } from './model/tree.js';
import { MODEL_NAMES } from '../nn/models/index.js';

const argv = process.argv.slice(2);
const MODELS = flagList(argv, 'models', MODEL_NAMES.join(','));
const K = flagNumber(argv, 'experts', 8);
const BATCH = flagNumber(argv, 'batch', 64);
const STEPS = flagNumber(argv, 'steps', 4);
const AGAINST = flagString(argv, 'against', '');

type Trainer = typeof import('./model/trainer.js');

/** One fresh 1-thread wasm backend per (tree, model, variant): its heap starts empty, so its high-water mark is this training's. */
async function measure(root: string, model: string, cond: boolean): Promise<{ heapMiB: number; liveMiB: number }> {
  const { createWasmBackend, loadMnist, DataLoader, buildVariant, adamTrainer } = await loadTree(root);
  const be = await createWasmBackend({ threads: 1 });
  const data = loadMnist({ train: BATCH * STEPS, test: 100, normalize: true });
  const batches = [...new DataLoader(data.train, { batchSize: BATCH, seed: 1, dropLast: true }).epoch(0)];
  const step = adamTrainer(buildVariant({ model: model as Parameters<Trainer['buildVariant']>[0]['model'], K: cond ? K : null }, be, 1, 1), be, 1e-3);
  for (let i = 0; i < STEPS; i++) step(batches[i % batches.length]);
  const live = be.memory().liveBytes ?? 0;
  // The other tree's backend may predate heapBytes: read the memory size the same way it does.
  const heap = (be as unknown as { heapBytes?: number }).heapBytes ?? (be as unknown as { rt: { heap: { byteLength: number } } }).rt.heap.byteLength;
  await be.destroy();
  return { heapMiB: heap / 2 ** 20, liveMiB: live / 2 ** 20 };
}

async function main(): Promise<void> {
  const trees = [...(AGAINST !== '' ? [['against', resolve(AGAINST)]] : []), ['this tree', resolve(import.meta.dirname, '..')]];
  console.log(`# wasm heap after ${STEPS} Adam training steps, batch ${BATCH}, 1 thread (high-water mark; live bytes between steps)`);
  console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}${AGAINST !== '' ? `; against ${resolve(AGAINST)}` : ''}\n`);
  console.log('| model | tree | plain heap MiB | plain live MiB | K=' + K + ' heap MiB | K=' + K + ' live MiB |');
  console.log('|:--|:--|--:|--:|--:|--:|');
  for (const model of MODELS) {
    for (const [tree, root] of trees) {
      const p = await measure(root, model, false);
      const c = await measure(root, model, true);
      console.log(`| ${model} | ${tree} | ${p.heapMiB.toFixed(0)} | ${p.liveMiB.toFixed(1)} | ${c.heapMiB.toFixed(0)} | ${c.liveMiB.toFixed(1)} |`);
    }
  }
}

await main();
