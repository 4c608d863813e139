// DataLoader: seeded per-epoch shuffling, batching, random-shift augmentation and optional mixup, all on the host.

import { CondgradError, fmtShape, checkOptions, describeValue } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { tensor, type CreateOptions } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import { checkDataset, type ImageDataset } from './dataset.js';
import { mixBatch } from './mixup.js';

export interface DataLoaderOptions {
  /** Images per batch (default 64). */
  batchSize?: number;
  /** Reorder each epoch (default true). */
  shuffle?: boolean;
  /** Seed of every random draw; epoch e uses streams derived from (seed, e). Default 0. */
  seed?: number;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Random translation of each image by up to ±shift pixels on both axes, padded with background (default 0 = off). */
  shift?: number;
  /** Mixup with λ ~ Beta(α, α) per batch (default 0 = off). */
  mixup?: number;
}

/** One batch on the host. images: [B, C, H, W] row-major. `mix` is set when mixup is on. */
export interface Batch {
  readonly index: number;
  readonly images: Float32Array;
  readonly shape: readonly [number, number, number, number];
  readonly labels: Int32Array;
  readonly mix: { readonly lambda: number; readonly labelsB: Int32Array } | null;
}

/** A 32-bit seed derived from a seed and stream indices (splitmix-style mixing; stable across machines). */
export function deriveSeed(seed: number, ...streams: number[]): number {
  let h = (Math.floor(seed) ^ 0x85ebca6b) >>> 0;
  for (const s of [...streams, streams.length]) {
    h = Math.imul(h ^ (Math.floor(s) + 0x9e3779b9), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/**
 * Copies one [C, H, W] image translated by (dx, dy) pixels: dst[c, y, x] = src[c, y − dy, x − dx],
 * with `background` where that falls outside the image.
 */
export function shiftImage(src: Float32Array, dst: Float32Array, C: number, H: number, W: number, dx: number, dy: number, background: number): void {
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      const sy = y - dy;
      const row = (c * H + y) * W;
      if (sy < 0 || sy >= H) {
        dst.fill(background, row, row + W);
        continue;
      }
      const srow = (c * H + sy) * W;
      for (let x = 0; x < W; x++) {
        const sx = x - dx;
        dst[row + x] = sx >= 0 && sx < W ? src[srow + sx] : background;
      }
    }
  }
}

/** Batches an ImageDataset; epoch(e) is a pure function of (dataset, options, e). */
export class DataLoader {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly shift: number;
  readonly mixup: number;

  constructor(dataset: ImageDataset, opts: DataLoaderOptions = {}) {
    const op = 'DataLoader';
    opts = checkOptions(op, opts);
    this.dataset = checkDataset(op, dataset);
    this.batchSize = opts.batchSize ?? 64;
    this.shuffle = opts.shuffle ?? true;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
    this.shift = opts.shift ?? 0;
    this.mixup = opts.mixup ?? 0;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new CondgradError(op, `batchSize must be a positive integer, got ${this.batchSize}`);
    if (!Number.isFinite(this.seed)) throw new CondgradError(op, `seed must be a finite number, got ${this.seed}`);
    const [, H, W] = dataset.imageShape;
    if (!Number.isInteger(this.shift) || this.shift < 0 || this.shift >= Math.min(H, W)) {
      throw new CondgradError(op, `shift must be an integer in [0, ${Math.min(H, W) - 1}] for images ${fmtShape(dataset.imageShape)}, got ${this.shift}`);
    }
    if (!(this.mixup >= 0) || !Number.isFinite(this.mixup)) throw new CondgradError(op, `mixup alpha must be a finite number >= 0, got ${this.mixup}`);
    if (this.dropLast && dataset.length < this.batchSize) {
      throw new CondgradError(op, `dropLast with batchSize ${this.batchSize} leaves no batch from ${dataset.length} images`);
    }
  }

  get numBatches(): number {
    const n = this.dataset.length / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The sample order of epoch e (identity when shuffle is off). */
  order(epoch: number): Int32Array {
    const idx = Int32Array.from({ length: this.dataset.length }, (_, i) => i);
    return this.shuffle ? (new Rng(deriveSeed(this.seed, epoch, 1)).shuffle(idx) as Int32Array) : idx;
  }

  /** The batches of epoch e (0-based), the same for the same seed and e. */
  *epoch(epoch: number): Generator<Batch> {
    if (!Number.isInteger(epoch) || epoch < 0) throw new CondgradError('DataLoader.epoch', `epoch must be a non-negative integer, got ${epoch}`);
    const d = this.dataset;
    const [C, H, W] = d.imageShape;
    const per = C * H * W;
    const order = this.order(epoch);
    const aug = new Rng(deriveSeed(this.seed, epoch, 2));
    for (let b = 0; b < this.numBatches; b++) {
      const idx = order.subarray(b * this.batchSize, Math.min(d.length, (b + 1) * this.batchSize));
      const B = idx.length;
      const images = new Float32Array(B * per);
      const labels = new Int32Array(B);
      for (let i = 0; i < B; i++) {
        const src = d.images.subarray(idx[i] * per, (idx[i] + 1) * per);
        labels[i] = d.labels[idx[i]];
        if (this.shift > 0) {
          const dx = aug.int(2 * this.shift + 1) - this.shift;
          const dy = aug.int(2 * this.shift + 1) - this.shift;
          shiftImage(src, images.subarray(i * per, (i + 1) * per), C, H, W, dx, dy, d.background);
        } else {
          images.set(src, i * per);
        }
      }
      const mix = this.mixup > 0 ? mixBatch(aug, this.mixup, images, labels) : null;
      yield { index: b, images, shape: [B, C, H, W], labels, mix };
    }
  }
}

/** The batch's images as a [B, C, H, W] tensor (float32 unless opts.dtype says otherwise). */
export function batchImages(batch: Batch, opts: CreateOptions = {}): Tensor {
  if (batch === null || typeof batch !== 'object' || !ArrayBuffer.isView(batch.images) || !Array.isArray(batch.shape)) {
    throw new CondgradError('batchImages', `batch must be a Batch from a DataLoader, got ${describeValue(batch)}`);
  }
  return tensor(batch.images, batch.shape, opts);
}
