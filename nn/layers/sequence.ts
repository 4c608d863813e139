// ImageToSequence: reads an image [B, C, H, W] as a sequence of H steps (rows) of C·W features, the NCL layout of the 1-D layers.

import { CondgradError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { reshape, transpose } from '../../ops/shape.js';
import { Module } from '../module.js';

/**
 * x: [B, C, H, W] → [B, C·W, H]: step t is image row t, and feature c·W + w is pixel (c, t, w) of
 * it (sequential MNIST reads a digit as 28 steps of 28 features this way).
 */
export class ImageToSequence extends Module {
  override forward(x: Tensor): Tensor {
    if (x.rank !== 4) throw new CondgradError('ImageToSequence', `x must be [B, C, H, W], got ${fmtShape(x.shape)}`);
    const [B, C, H, W] = x.shape;
    // [B, C, H, W] → [B, H, C, W] → [B, H, C·W] → [B, C·W, H].
    return transpose(reshape(transpose(x, 1, 2), [B, H, C * W]), 1, 2);
  }
}
