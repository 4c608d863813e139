// Per-class routing weights: every router's α on the test set averaged per class, and how much of α's variance the class explains.

import { noGrad } from '../../core/engine.js';
import { CondgradError } from '../../core/errors.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { batchImages, type DataLoader } from '../../nn/data/loader.js';
import type { Module } from '../../nn/module.js';
import { Router } from '../../nn/router.js';

/** What one router did on the test set. */
export interface RoutingStats {
  /** Dotted module name, e.g. `blocks.0.router`. */
  layer: string;
  K: number;
  /** classMeans[c][k]: mean α_k over the test digits of class c. */
  classMeans: number[][];
  classCounts: number[];
  /** Mean α_k over all test digits. */
  mean: number[];
  /**
   * η² = between-class sum of squares / total sum of squares of α (over samples and experts):
   * 0 when the routes ignore the class, 1 when the class alone decides them.
   */
  classSpecificity: number;
}

class Accumulator {
  readonly sums: Float64Array;
  readonly counts: Float64Array;
  sumSq = 0;

  constructor(
    readonly K: number,
    readonly classes: number,
  ) {
    this.sums = new Float64Array(classes * K);
    this.counts = new Float64Array(classes);
  }

  add(alpha: ArrayLike<number>, labels: Int32Array): void {
    const K = this.K;
    if (alpha.length !== labels.length * K)
      throw new CondgradError('routingStats', `router gave ${alpha.length} weights for ${labels.length} samples × K=${K}`);
    for (let b = 0; b < labels.length; b++) {
      const c = labels[b];
      this.counts[c]++;
      for (let k = 0; k < K; k++) {
        const a = alpha[b * K + k];
        this.sums[c * K + k] += a;
        this.sumSq += a * a;
      }
    }
  }

  stats(layer: string): RoutingStats {
    const { K, classes } = this;
    const N = this.counts.reduce((a, b) => a + b, 0);
    const classMeans: number[][] = [];
    const mean = new Array<number>(K).fill(0);
    let between = 0;
    for (let c = 0; c < classes; c++) {
      const row: number[] = [];
      for (let k = 0; k < K; k++) {
        const s = this.sums[c * K + k];
        mean[k] += s / N;
        row.push(this.counts[c] > 0 ? s / this.counts[c] : 0);
        between += this.counts[c] > 0 ? (s * s) / this.counts[c] : 0;
      }
      classMeans.push(row);
    }
    const grand = mean.reduce((a, m) => a + m * m, 0) * N;
    const total = this.sumSq - grand;
    return {
      layer,
      K,
      classMeans,
      classCounts: [...this.counts],
      mean,
      classSpecificity: total > 1e-12 * N ? Math.min(1, Math.max(0, (between - grand) / total)) : 0,
    };
  }
}

/**
 * Runs `model` in eval mode over `loader` and records the α [B, K] of every Router it holds, per
 * class of the batch labels (numClasses classes). Returns one entry per router, in module order;
 * empty for a model without routers. The model is left in the mode it was in.
 */
export function routingStats(model: Module, loader: DataLoader, numClasses: number): RoutingStats[] {
  const routers = model.namedModules().filter(([, m]) => m instanceof Router) as [string, Router][];
  if (routers.length === 0) return [];
  const acc = routers.map(([, r]) => new Accumulator(r.numExperts, numClasses));
  let labels: Int32Array = new Int32Array(0);
  const p = model.parameters()[0];
  const wasTraining = model.training;
  routers.forEach(([, r], i) => {
    const orig = r.forward.bind(r);
    Object.defineProperty(r, 'forward', {
      value: (x: Tensor): Tensor => {
        const alpha = orig(x);
        acc[i].add(alpha.dataSync(), labels);
        return alpha;
      },
      configurable: true,
      writable: true,
      enumerable: false,
    });
  });
  model.eval();
  try {
    for (const batch of loader.epoch(0)) {
      labels = batch.labels;
      tidy(() => noGrad(() => model.forward(batchImages(batch, { backend: p?.backend, dtype: p?.dtype }))));
    }
  } finally {
    for (const [, r] of routers) delete (r as { forward?: unknown }).forward;
    model.train(wasTraining);
  }
  return routers.map(([name], i) => acc[i].stats(name));
}
