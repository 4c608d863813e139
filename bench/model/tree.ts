// Bench helper: one source tree's own training modules (backend, MNIST, loader, zoo trainer), for benches that compare two checkouts in one process.

import { pathToFileURL } from 'node:url';

type Trainer = typeof import('./trainer.js');

/** What a model bench needs from a tree, each from that tree's own files (its tensors, backend and kernels). */
export interface TreeModules {
  createWasmBackend: (typeof import('../../kernels/wasm/backend.js'))['createWasmBackend'];
  loadMnist: (typeof import('../../nn/data/mnist.js'))['loadMnist'];
  DataLoader: (typeof import('../../nn/data/loader.js'))['DataLoader'];
  buildVariant: Trainer['buildVariant'];
  adamTrainer: Trainer['adamTrainer'];
}

/** Imports the modules of the checkout at `root` (built: its wasm kernels compiled), registering its backends first. */
export async function loadTree(root: string): Promise<TreeModules> {
  const load = (p: string): Promise<unknown> => import(pathToFileURL(`${root}/${p}`).href);
  await load('kernels/register.ts');
  const { createWasmBackend } = (await load('kernels/wasm/backend.ts')) as typeof import('../../kernels/wasm/backend.js');
  const { loadMnist } = (await load('nn/data/mnist.ts')) as typeof import('../../nn/data/mnist.js');
  const { DataLoader } = (await load('nn/data/loader.ts')) as typeof import('../../nn/data/loader.js');
  const { buildVariant, adamTrainer } = (await load('bench/model/trainer.ts')) as Trainer;
  return { createWasmBackend, loadMnist, DataLoader, buildVariant, adamTrainer };
}
