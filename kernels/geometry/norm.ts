// Batch-norm geometry: the per-channel extents of an NCHW tensor normalised over (B, H, W), shared by every backend.

import { CondgradError, fmtShape } from '../../core/errors.js';

/** x: [batch, channels, H, W]; each channel's statistics run over count = batch·plane values. */
export interface BatchNormGeometry {
  readonly batch: number;
  readonly channels: number;
  /** H·W: contiguous values of one (sample, channel). */
  readonly plane: number;
  /** batch·plane: the values one channel's statistics run over. */
  readonly count: number;
  /** batch·channels·plane. */
  readonly size: number;
}

/** Validates x's shape [B, C, H, W] (B·H·W > 1) and returns the frozen geometry. */
export function batchNormGeometry(op: string, shape: readonly number[]): BatchNormGeometry {
  if (shape.length !== 4) throw new CondgradError(op, `x must be [B, C, H, W], got ${fmtShape(shape)}`);
  const [batch, channels, h, w] = shape;
  const plane = h * w;
  const count = batch * plane;
  if (count <= 1) {
    throw new CondgradError(op, `training needs more than one value per channel, got x ${fmtShape(shape)} (B·H·W = ${count})`);
  }
  return Object.freeze({ batch, channels, plane, count, size: count * channels });
}
