// The real-GPU check's training phase: a zoo model (CondConv K experts on every stage, or its plain twin) trained with Adam on one backend, images/s.

import type { AnyBackend } from '../../core/backend.js';
import { tensor } from '../../core/creation.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { createModel, type ModelName } from '../../nn/models/index.js';
import { Adam } from '../../nn/optim/adam.js';
import { crossEntropy } from '../../ops/softmax.js';
import { mulberry32 } from '../../test/helpers/rng.js';
import { errText, withTimeout, type Deadline } from './budget.js';

/** One model variant trained on one backend. */
export interface TrainingCase {
  readonly model: ModelName;
  /** Experts per converted stage; null: the plain twin (convert 'none'). */
  readonly K: number | null;
  readonly batch: number;
}

export interface TrainingRow {
  backend: string;
  model: ModelName;
  K: number | null;
  batch: number;
  /** Timed steps (after the warm-up). */
  steps: number;
  /** Median ms of one step (forward, loss, backward, Adam update, the loss read back), or null. */
  msPerStep: number | null;
  imgPerS: number | null;
  /** The loss of every step, warm-up included (finite and falling is a sanity check, not a target). */
  losses: number[];
  error?: string;
}

/** The cases of the check: CondConv MobileNetV1 at K = 8, batch 64, then its plain twin; --quick: the small cnn at batch 8. */
export function trainingCases(quick: boolean): TrainingCase[] {
  if (quick)
    return [
      { model: 'cnn', K: 4, batch: 8 },
      { model: 'cnn', K: null, batch: 8 },
    ];
  return [
    { model: 'mobilenet-v1', K: 8, batch: 64 },
    { model: 'mobilenet-v1', K: null, batch: 64 },
  ];
}

const WARMUP = 2;
const MIN_STEPS = 3;
const MAX_STEPS = 15;

/**
 * Trains `c` on `be` on fixed random images (seeded; the same on every backend) until `deadline`
 * or MAX_STEPS: WARMUP steps (kernel compilation), then at least MIN_STEPS timed ones. Each step
 * ends with `await loss.data()`, so its time is the device's work plus one small read-back.
 * Never throws: an error is recorded in the row.
 */
export async function trainingSpeed(be: AnyBackend, c: TrainingCase, deadline: Deadline): Promise<TrainingRow> {
  const row: TrainingRow = { backend: be.name, model: c.model, K: c.K, batch: c.batch, steps: 0, msPerStep: null, imgPerS: null, losses: [] };
  try {
    const model = createModel(c.model, c.K === null ? { convert: 'none', seed: 1, backend: be } : { convert: 'all', experts: c.K, seed: 1, backend: be });
    model.train();
    const [C, H, W] = model.inputShape;
    const rng = mulberry32(7);
    const images = Float32Array.from({ length: c.batch * C * H * W }, () => rng() * 2 - 1);
    const labels = Int32Array.from({ length: c.batch }, (_v, i) => i % model.config.numClasses);
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const step = async (): Promise<number> => {
      const loss = tidy((): Tensor => {
        // Uploaded every step, as a data loader's batch would be.
        const input = tensor(images, [c.batch, C, H, W], { backend: be });
        const l = crossEntropy(model.forward(input), labels);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l;
      });
      const [v] = await loss.data();
      loss.dispose();
      return v;
    };
    const times: number[] = [];
    for (let i = 0; i < WARMUP + MAX_STEPS; i++) {
      if (i >= WARMUP + MIN_STEPS && deadline.leftMs() <= 0) break;
      const t0 = performance.now();
      row.losses.push(await withTimeout(step(), Math.max(30_000, deadline.leftMs() + 10_000), `${be.name} ${c.model} training step`));
      if (i >= WARMUP) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    row.steps = times.length;
    row.msPerStep = times[Math.floor(times.length / 2)];
    row.imgPerS = (1000 * c.batch) / row.msPerStep;
  } catch (e) {
    row.error = errText(e);
  }
  return row;
}
