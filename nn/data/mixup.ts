// Mixup: Beta(α, α) mixing weights, batch mixing on the host, and the two-label cross-entropy it trains with.

import { CondgradError, fmtShape, checkTensor } from '../../core/errors.js';
import type { Rng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { add, affine } from '../../ops/arithmetic.js';
import { crossEntropy, type CrossEntropyOptions } from '../../ops/softmax.js';

/** A Gamma(shape, 1) draw (Marsaglia–Tsang; shape < 1 via the U^(1/shape) boost). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new CondgradError('sampleGamma', `shape must be a finite number > 0, got ${shape}`);
  if (shape < 1) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    return sampleGamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A Beta(a, b) draw in [0, 1]. */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x + y === 0 ? 0.5 : x / (x + y);
}

/**
 * Mixes a batch in place: images[i] ← λ·images[i] + (1 − λ)·images[perm[i]] with one λ ~ Beta(α, α)
 * and a random permutation. images: B·per values. Returns λ and the partner labels labels[perm[i]].
 */
export function mixBatch(rng: Rng, alpha: number, images: Float32Array, labels: Int32Array): { lambda: number; labelsB: Int32Array } {
  if (!(alpha > 0)) throw new CondgradError('mixup', `alpha must be > 0, got ${alpha}`);
  const B = labels.length;
  const per = images.length / B;
  const lambda = sampleBeta(rng, alpha, alpha);
  const perm = rng.shuffle(Int32Array.from({ length: B }, (_, i) => i)) as Int32Array;
  const src = images.slice();
  const labelsB = new Int32Array(B);
  for (let i = 0; i < B; i++) {
    const j = perm[i];
    labelsB[i] = labels[j];
    for (let k = 0; k < per; k++) images[i * per + k] = lambda * src[i * per + k] + (1 - lambda) * src[j * per + k];
  }
  return { lambda, labelsB };
}

/**
 * Soft-target cross-entropy for mixup: λ·CE(logits, labelsA) + (1 − λ)·CE(logits, labelsB).
 * logits: [B, C]; labelsA, labelsB: B class indices; λ in [0, 1] → scalar.
 */
export function mixupCrossEntropy(
  logits: Tensor,
  labelsA: Int32Array | readonly number[],
  labelsB: Int32Array | readonly number[],
  lambda: number,
  opts: CrossEntropyOptions = {},
): Tensor {
  checkTensor('mixupCrossEntropy', 'logits', logits);
  if (typeof lambda !== 'number' || !(lambda >= 0 && lambda <= 1)) {
    throw new CondgradError('mixupCrossEntropy', `lambda must be in [0, 1], got ${String(lambda)} (logits ${fmtShape(logits.shape)})`);
  }
  if (lambda === 1) return crossEntropy(logits, labelsA, opts);
  if (lambda === 0) return crossEntropy(logits, labelsB, opts);
  return add(affine(crossEntropy(logits, labelsA, opts), lambda), affine(crossEntropy(logits, labelsB, opts), 1 - lambda));
}
