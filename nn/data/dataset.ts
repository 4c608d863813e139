// In-memory image classification datasets: images [N, C, H, W] as one float32 array plus int labels, and index subsets.

import { CondgradError, fmtShape, describeValue } from '../../core/errors.js';

/** N images of shape [C, H, W] stored row-major in one Float32Array, with integer labels in [0, numClasses). */
export interface ImageDataset {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  /** [C, H, W] of one image. */
  readonly imageShape: readonly [number, number, number];
  readonly numClasses: number;
  /** The value of an empty pixel (0, or −mean/std once normalised): what shifts pad with. */
  readonly background: number;
  readonly length: number;
}

/** Checks sizes and label range; returns the dataset. */
export function checkDataset(op: string, d: ImageDataset): ImageDataset {
  const o = d as Partial<ImageDataset> | null;
  if (
    o === null ||
    typeof o !== 'object' ||
    !Array.isArray(o.imageShape) ||
    o.imageShape.length !== 3 ||
    !ArrayBuffer.isView(o.images) ||
    !ArrayBuffer.isView(o.labels) ||
    typeof o.length !== 'number'
  ) {
    throw new CondgradError(op, `dataset must be { images, labels, length, imageShape: [C, H, W] }, got ${describeValue(d)}`);
  }
  const [C, H, W] = d.imageShape;
  if (d.images.length !== d.length * C * H * W) {
    throw new CondgradError(op, `images has ${d.images.length} values but ${d.length} images of ${fmtShape(d.imageShape)} need ${d.length * C * H * W}`);
  }
  if (d.labels.length !== d.length) throw new CondgradError(op, `labels has ${d.labels.length} entries for ${d.length} images`);
  for (let i = 0; i < d.length; i++) {
    if (!(d.labels[i] >= 0 && d.labels[i] < d.numClasses)) throw new CondgradError(op, `labels[${i}] = ${d.labels[i]} is outside [0, ${d.numClasses})`);
  }
  return d;
}

/** The images at `indices` (copied), in that order. */
export function subset(d: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  checkDataset('subset', d);
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number')
    throw new CondgradError('subset', `indices must be an array of image indices, got ${describeValue(indices)}`);
  const per = d.imageShape[0] * d.imageShape[1] * d.imageShape[2];
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= d.length) throw new CondgradError('subset', `index ${j} is outside [0, ${d.length})`);
    images.set(d.images.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = d.labels[j];
  }
  return { images, labels, imageShape: d.imageShape, numClasses: d.numClasses, background: d.background, length: indices.length };
}

/** (x − mean) / std on every pixel (a copy); the background moves with it. */
export function normalize(d: ImageDataset, mean: number, std: number): ImageDataset {
  if (!Number.isFinite(mean) || !(std > 0) || !Number.isFinite(std))
    throw new CondgradError('normalize', `needs a finite mean and std > 0, got mean=${mean} std=${std}`);
  const images = new Float32Array(d.images.length);
  for (let i = 0; i < images.length; i++) images[i] = (d.images[i] - mean) / std;
  return { ...d, images, background: (d.background - mean) / std };
}
