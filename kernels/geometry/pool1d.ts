// Pool1d geometry: window, stride and padding of max/average pooling over length, validated in 1-D terms and laid out as a 1×L image for the 2-D pool kernels.

import { CondgradError, checkInt, fmtShape } from '../../core/errors.js';
import { resolvePadding1d, type Padding1d } from './conv1d.js';
import type { Pool2dGeometry } from './pool.js';

export interface Pool1dOptions {
  kernelSize: number;
  /** Defaults to kernelSize, as in PyTorch. */
  stride?: number;
  /** A number (both ends, PyTorch's form), [left, right], 'same' or 'valid'; default 0. Each side must be smaller than the kernel. */
  padding?: Padding1d;
  /** avgPool1d only: divide by the full window (PyTorch's default, true) or by the in-bounds count. */
  countIncludePad?: boolean;
}

/**
 * x [B, C, L] → y [B, C, outL], as the geometry of the same pool on [B, C, 1, L] (kH = 1, no
 * vertical stride or padding), so every backend's maxPool2d / avgPool2d kernels run it unchanged.
 */
export function pool1dGeometry(op: string, xShape: readonly number[], opts: Pool1dOptions): Pool2dGeometry {
  if (xShape.length !== 3) throw new CondgradError(op, `x must be [B, C, L], got ${fmtShape(xShape)}`);
  if (opts === null || typeof opts !== 'object')
    throw new CondgradError(op, `options must be an object with kernelSize, got ${String(opts)} (x ${fmtShape(xShape)})`);
  if (opts.kernelSize === undefined) throw new CondgradError(op, `kernelSize is required (x ${fmtShape(xShape)})`);
  const one = (arg: string, v: unknown): number => {
    if (typeof v !== 'number') throw new CondgradError(op, `${arg} must be one integer for a 1-D op, got ${JSON.stringify(v)} (x ${fmtShape(xShape)})`);
    return checkInt(op, arg, v, 1);
  };
  const [batch, channels, L] = xShape;
  if (L === 0) throw new CondgradError(op, `x has an empty length ${fmtShape(xShape)}`);
  const k = one('kernelSize', opts.kernelSize);
  const s = one('stride', opts.stride ?? opts.kernelSize);
  if (opts.countIncludePad !== undefined && typeof opts.countIncludePad !== 'boolean') {
    throw new CondgradError(op, `countIncludePad must be a boolean, got ${String(opts.countIncludePad)} (x ${fmtShape(xShape)})`);
  }
  const [left, right] = resolvePadding1d(op, opts.padding, L, k, s, 1);
  if (left >= k || right >= k) {
    throw new CondgradError(op, `padding [${left}, ${right}] must be smaller than the kernel ${k} on each side (x ${fmtShape(xShape)})`);
  }
  if (k > L + left + right) {
    throw new CondgradError(op, `kernel ${k} is larger than the padded input length ${L + left + right} (x ${fmtShape(xShape)})`);
  }
  const outL = Math.floor((L + left + right - k) / s) + 1;
  return Object.freeze({
    batch,
    channels,
    inH: 1,
    inW: L,
    outH: 1,
    outW: outL,
    kH: 1,
    kW: k,
    strideH: 1,
    strideW: s,
    padTop: 0,
    padLeft: left,
    countIncludePad: opts.countIncludePad ?? true,
  });
}
