// Inference latency at batch 1: eval-mode forward passes of single test digits, timed in rounds interleaved over the models, the median round per image.

import { noGrad } from '../../core/engine.js';
import { CondgradError } from '../../core/errors.js';
import { tidy } from '../../core/scope.js';
import { tensor } from '../../core/creation.js';
import type { ImageDataset } from '../../nn/data/dataset.js';
import type { Module } from '../../nn/module.js';
import { median } from '../../bench/report/timing.js';

export interface LatencyOptions {
  /** Untimed forwards of each model first (JIT and allocator warm-up). */
  warmup: number;
  /** Timed rounds per model; the result is the median round. */
  rounds: number;
  /** Single-image forwards per round (digits 0, 1, ... of `data`, cycling). */
  images: number;
}

export interface Latency {
  /** Median over rounds of (round time / images). */
  msPerImage: number;
  /** Every round's ms per image. */
  rounds: number[];
}

/**
 * Times each model (eval mode, no gradients) on batches of one image [1, C, H, W] from `data`, on
 * the backend of its parameters. All models warm up first; then the rounds go round-robin over
 * the models, so drift in machine load spreads evenly over them. cpu and wasm compute
 * synchronously, so a forward is done when it returns; the logits are read back anyway.
 * Returns one Latency per model, keyed as given.
 */
export function batch1Latency(models: ReadonlyMap<string, Module>, data: ImageDataset, opts: LatencyOptions): Map<string, Latency> {
  const { warmup, rounds, images } = opts;
  for (const [k, v] of Object.entries(opts)) {
    if (!Number.isInteger(v) || v < (k === 'warmup' ? 0 : 1))
      throw new CondgradError('batch1Latency', `${k} must be a ${k === 'warmup' ? 'non-negative' : 'positive'} integer, got ${v}`);
  }
  const [C, H, W] = data.imageShape;
  const per = C * H * W;
  const entries = [...models];
  const modes = entries.map(([, m]) => m.training);
  const forward = (model: Module, i: number): void => {
    const p = model.parameters()[0];
    const j = i % data.length;
    const x = (): ReturnType<typeof tensor> => tensor(data.images.subarray(j * per, (j + 1) * per), [1, C, H, W], { backend: p?.backend, dtype: p?.dtype });
    tidy(() => noGrad(() => model.forward(x()).dataSync()));
  };
  const times = new Map<string, number[]>(entries.map(([k]) => [k, []]));
  try {
    for (const [, m] of entries) {
      m.eval();
      for (let i = 0; i < warmup; i++) forward(m, i);
    }
    for (let r = 0; r < rounds; r++) {
      for (const [k, m] of entries) {
        const t0 = performance.now();
        for (let i = 0; i < images; i++) forward(m, r * images + i);
        times.get(k)!.push((performance.now() - t0) / images);
      }
    }
  } finally {
    entries.forEach(([, m], i) => m.train(modes[i]));
  }
  return new Map([...times].map(([k, ts]) => [k, { msPerImage: median(ts), rounds: ts }]));
}
