// The model-level bench's engines: a zoo model (plain or CondConv with every stage converted) and one Adam training step on real batches.

import type { AnyBackend } from '../../core/backend.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { batchImages, type Batch } from '../../nn/data/loader.js';
import { createModel, type ModelName, type ZooModel } from '../../nn/models/index.js';
import { Adam } from '../../nn/optim/adam.js';
import { crossEntropy } from '../../ops/softmax.js';

/** One configuration of the bench: a zoo model with K experts per converted stage (K = null: convert 'none'). */
export interface Variant {
  model: ModelName;
  K: number | null;
}

export const variantLabel = (v: Variant): string => `${v.model} ${v.K === null ? 'plain' : `CondConv K=${v.K}`}`;

/** The zoo model of a variant: plain (convert 'none') or every stage CondConv (convert 'all'), seeded alike. */
export function buildVariant(v: Variant, backend: AnyBackend, seed: number, width: number): ZooModel {
  return createModel(v.model, v.K === null ? { convert: 'none', width, seed, backend } : { convert: 'all', experts: v.K, width, seed, backend });
}

/** Hooks a profiler may wrap around the parts of a step that are not the model's own modules. */
export interface StepRegions {
  region<T>(name: string, fn: () => T): T;
}

const noRegions: StepRegions = { region: (_n, fn) => fn() };

/** A training loop of `model`: step(batch) runs forward, cross-entropy, backward and one Adam update, and returns the loss. */
export function adamTrainer(model: ZooModel, backend: AnyBackend, lr: number, regions: StepRegions = noRegions): (batch: Batch) => number {
  model.train();
  const opt = new Adam(model.parameters(), { lr });
  return (batch) => {
    const loss = tidy((): Tensor => {
      const logits = model.forward(batchImages(batch, { backend }));
      const l = regions.region('loss', () => crossEntropy(logits, batch.labels));
      l.backward();
      regions.region('optimizer', () => {
        opt.step();
        opt.zeroGrad();
      });
      return l;
    });
    const v = loss.item();
    loss.dispose();
    return v;
  };
}
