// Evaluation: loss and accuracy of a model over a DataLoader in eval mode, reading only the logits back to the host.

import { CondgradError, fmtShape, describeValue, isList } from '../core/errors.js';
import { noGrad } from '../core/engine.js';
import { tidy } from '../core/scope.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import type { AnyBackend } from '../core/backend.js';
import { batchImages, type DataLoader } from './data/loader.js';
import type { Module } from './module.js';

export interface EvalResult {
  /** Mean cross-entropy per sample. */
  loss: number;
  /** Fraction of samples whose arg-max logit is the label. */
  accuracy: number;
  samples: number;
  seconds: number;
}

/**
 * Cross-entropy and correct predictions of host logits [B, C] (float64 math). With `labelsB` and
 * λ (mixup), the loss is λ·CE(labels) + (1 − λ)·CE(labelsB) and the correct count is weighted alike.
 */
export function scoreLogits(
  logits: ArrayLike<number>,
  shape: readonly number[],
  labels: Int32Array,
  mix?: { lambda: number; labelsB: Int32Array } | null,
): { lossSum: number; correct: number } {
  if (!isList(shape) || labels === null || typeof labels !== 'object' || logits === null || typeof logits !== 'object') {
    throw new CondgradError(
      'scoreLogits',
      `logits, shape and labels must be arrays, got ${describeValue(logits)}, ${describeValue(shape)}, ${describeValue(labels)}`,
    );
  }
  if (shape.length !== 2 || shape[0] !== labels.length || logits.length !== shape[0] * shape[1]) {
    throw new CondgradError('scoreLogits', `logits ${fmtShape(shape)} (${logits.length} values) do not match ${labels.length} labels`);
  }
  const [B, C] = shape;
  let lossSum = 0;
  let correct = 0;
  for (let b = 0; b < B; b++) {
    let mx = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++) {
      const v = logits[b * C + c];
      if (v > mx) {
        mx = v;
        arg = c;
      }
    }
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[b * C + c] - mx);
    const lse = mx + Math.log(s);
    const ce = (y: number): number => lse - logits[b * C + y];
    if (mix) {
      lossSum += mix.lambda * ce(labels[b]) + (1 - mix.lambda) * ce(mix.labelsB[b]);
      correct += mix.lambda * (arg === labels[b] ? 1 : 0) + (1 - mix.lambda) * (arg === mix.labelsB[b] ? 1 : 0);
    } else {
      lossSum += ce(labels[b]);
      correct += arg === labels[b] ? 1 : 0;
    }
  }
  return { lossSum, correct };
}

export interface EvaluateOptions {
  /** Stop after this many batches (default: all). */
  maxBatches?: number;
  /** Epoch index passed to the loader (only matters for a shuffling or augmenting loader). */
  epoch?: number;
}

/** The model's eval-mode loss and accuracy over the loader (the model is left in the mode it was in). */
export async function evaluate(model: Module, loader: DataLoader, opts: EvaluateOptions = {}): Promise<EvalResult> {
  if (model === null || typeof model !== 'object' || typeof (model as unknown as { parameters?: unknown }).parameters !== 'function') {
    throw new CondgradError('evaluate', `model must be a Module, got ${describeValue(model)}`);
  }
  if (loader === null || typeof loader !== 'object' || typeof (loader as { epoch?: unknown }).epoch !== 'function') {
    throw new CondgradError('evaluate', `loader must be a DataLoader, got ${describeValue(loader)}`);
  }
  const t0 = performance.now();
  const p = model.parameters()[0];
  const where: { backend?: AnyBackend; dtype?: DType } = p ? { backend: p.backend, dtype: p.dtype } : {};
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let correct = 0;
  let samples = 0;
  try {
    for (const batch of loader.epoch(opts.epoch ?? 0)) {
      if (opts.maxBatches !== undefined && batch.index >= opts.maxBatches) break;
      const logits: Tensor = tidy(() => noGrad(() => model.forward(batchImages(batch, where))));
      const data = await logits.data();
      const shape = logits.shape;
      logits.dispose();
      const s = scoreLogits(data, shape, batch.labels);
      lossSum += s.lossSum;
      correct += s.correct;
      samples += batch.labels.length;
    }
  } finally {
    model.train(wasTraining);
  }
  if (samples === 0) throw new CondgradError('evaluate', 'the loader yielded no batches');
  return { loss: lossSum / samples, accuracy: correct / samples, samples, seconds: (performance.now() - t0) / 1000 };
}
