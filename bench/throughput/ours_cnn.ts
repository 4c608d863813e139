// The throughput bench's small CNN in condgrad: the model, its weights as plain arrays, and one SGD training step.

import type { Tensor } from '../../core/tensor.js';
import { tidy } from '../../core/scope.js';
import type { AnyBackend } from '../../core/backend.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { MaxPool2d } from '../../nn/layers/pool.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { SGD } from '../../nn/optim/sgd.js';
import { batchImages, type Batch } from '../../nn/data/loader.js';
import { crossEntropy } from '../../ops/softmax.js';

/** Padding of both 3×3 convs: 1 ('same'), so 28→28→pool 14→14→pool 7 and the dense layer sees 32·7·7. */
export const CONV_PADDING = 1;
export const FLAT = 32 * 7 * 7;

/** The weights every engine starts from (ours' layouts: conv [O, C, 3, 3], dense [10, 1568] over NCHW-flattened features). */
export interface CnnWeights {
  conv1: { w: Float32Array; b: Float32Array };
  conv2: { w: Float32Array; b: Float32Array };
  dense: { w: Float32Array; b: Float32Array };
}

/** conv3×3(1→16)+relu, maxpool2, conv3×3(16→32)+relu, maxpool2, dense(1568→10), on `backend`, seeded. */
export function buildOursCnn(backend: AnyBackend, seed = 1): Sequential {
  const o = { padding: CONV_PADDING, backend };
  return new Sequential(
    new Conv2d(1, 16, 3, { ...o, seed }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, { ...o, seed: seed + 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(FLAT, 10, { backend, seed: seed + 2 }),
  );
}

/** The model's parameters as host arrays (its initial weights, for the other engines). */
export function cnnWeights(model: Sequential): CnnWeights {
  const p = model.parameters().map((t) => Float32Array.from(t.dataSync()));
  return { conv1: { w: p[0], b: p[1] }, conv2: { w: p[2], b: p[3] }, dense: { w: p[4], b: p[5] } };
}

/** A training loop of the model on its backend: step(batch) runs forward, backward and one SGD update, and returns the loss. */
export function oursTrainer(model: Sequential, lr: number): (batch: Batch) => number {
  const backend = model.parameters()[0].backend;
  const opt = new SGD(model.parameters(), { lr });
  return (batch) => {
    const loss = tidy((): Tensor => {
      const logits = model.forward(batchImages(batch, { backend }));
      const l = crossEntropy(logits, batch.labels);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l;
    });
    const v = loss.item();
    loss.dispose();
    return v;
  };
}
