// Pooling geometry: window, stride and padding for max and average pooling, shared by every backend.

import { CondgradError, fmtShape } from '../../core/errors.js';
import { pair, resolvePadding, windowOut, type Pair, type Padding } from './conv.js';

export interface Pool2dOptions {
  kernelSize: Pair;
  /** Defaults to kernelSize, as in PyTorch. */
  stride?: Pair;
  padding?: Padding;
  /** avgPool only: divide by the full window (PyTorch's default, true) or by the in-bounds count. */
  countIncludePad?: boolean;
}

/** x: [batch, channels, inH, inW] → y: [batch, channels, outH, outW]. Padded cells never win a max. */
export interface Pool2dGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly countIncludePad: boolean;
}

export function pool2dGeometry(op: string, xShape: readonly number[], opts: Pool2dOptions): Pool2dGeometry {
  if (xShape.length !== 4) throw new CondgradError(op, `x must be [B, C, H, W], got ${fmtShape(xShape)}`);
  if (opts === undefined || opts.kernelSize === undefined) throw new CondgradError(op, `kernelSize is required (x ${fmtShape(xShape)})`);
  const [batch, channels, inH, inW] = xShape;
  const k = pair(op, 'kernelSize', opts.kernelSize, 1, 1);
  const s = pair(op, 'stride', opts.stride ?? opts.kernelSize, 1, 1);
  const [padTop, padBottom, padLeft, padRight] = resolvePadding(op, opts.padding, inH, inW, k, s, [1, 1]);
  if (padTop >= k[0] || padBottom >= k[0] || padLeft >= k[1] || padRight >= k[1]) {
    throw new CondgradError(
      op,
      `padding [${padTop},${padBottom},${padLeft},${padRight}] must be smaller than the kernel ${fmtShape(k)} (x ${fmtShape(xShape)})`,
    );
  }
  const outH = windowOut(op, 'height', inH, padTop, padBottom, k[0], s[0], 1);
  const outW = windowOut(op, 'width', inW, padLeft, padRight, k[1], s[1], 1);
  return Object.freeze({
    batch,
    channels,
    inH,
    inW,
    outH,
    outW,
    kH: k[0],
    kW: k[1],
    strideH: s[0],
    strideW: s[1],
    padTop,
    padLeft,
    countIncludePad: opts.countIncludePad ?? true,
  });
}
