// Conv1d geometry: a length-L signal validated in 1-D terms and laid out as a 1×L image, so every backend's conv2d kernel runs it unchanged.

import { CondgradError, checkInt, fmtShape } from '../../core/errors.js';
import { resolvePad, windowOut, withDerived, type Conv2dGeometry } from './conv.js';

/** 1-D padding: one number (both ends), [left, right], 'same' (TF: out = ceil(L / stride), the odd cell on the right) or 'valid'. */
export type Padding1d = number | readonly [number, number] | 'same' | 'valid';

export interface Conv1dOptions {
  stride?: number;
  padding?: Padding1d;
  dilation?: number;
  groups?: number;
}

/** Resolves 1-D padding to [left, right] for a window of size k over length L. */
export function resolvePadding1d(op: string, padding: Padding1d | undefined, L: number, k: number, stride: number, dilation: number): [number, number] {
  const p = padding ?? 0;
  if (p === 'same' || p === 'valid') return resolvePad(L, k, stride, dilation, p);
  if (typeof p === 'number') {
    checkInt(op, 'padding', p, 0);
    return [p, p];
  }
  if (Array.isArray(p) && p.length === 2) {
    checkInt(op, 'padding[0]', p[0], 0);
    checkInt(op, 'padding[1]', p[1], 0);
    return [p[0], p[1]];
  }
  throw new CondgradError(op, `padding must be a number, [left, right], 'same' or 'valid', got ${JSON.stringify(p)}`);
}

/** Stride or dilation: one integer >= 1 (a 1-D op takes no pair). */
function scalar(op: string, arg: string, v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== 'number') throw new CondgradError(op, `${arg} must be one integer for a 1-D op, got ${JSON.stringify(v)}`);
  return checkInt(op, arg, v, 1);
}

/**
 * Validates x and w of a 1-D convolution and returns the geometry of the same convolution on a
 * 1×L image (inH = outH = kH = 1, no vertical stride, dilation or padding). The storage of
 * x [B, C, L] is that of [B, C, 1, L] and of w [O, C/g, k] that of [O, C/g, 1, k], so the
 * backends' conv2d kernels (forward, backward input, backward filter) run on it without a copy.
 * @param xShape [B, C, L]
 * @param wShape [O, C/groups, k], or [B, O, C/groups, k] when `perSampleWeights`
 */
export function conv1dGeometry(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  opts: Conv1dOptions = {},
  perSampleWeights = false,
): Conv2dGeometry {
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `opts must be an object, got ${String(opts)}`);
  if (xShape.length !== 3) throw new CondgradError(op, `x must be [B, C, L], got ${fmtShape(xShape)}`);
  const wRank = perSampleWeights ? 4 : 3;
  if (wShape.length !== wRank) {
    const want = perSampleWeights ? '[B, O, C/groups, k]' : '[O, C/groups, k]';
    throw new CondgradError(op, `weight must be ${want}, got ${fmtShape(wShape)} (x ${fmtShape(xShape)})`);
  }
  const [batch, inC, inL] = xShape;
  const w = perSampleWeights ? wShape.slice(1) : wShape;
  if (perSampleWeights && wShape[0] !== batch) {
    throw new CondgradError(op, `per-sample weight batch ${wShape[0]} does not match x batch ${batch} (x ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`);
  }
  const [outC, wInC, k] = w;
  xShape.forEach((d, i) => checkInt(op, `x.shape[${i}]`, d, 1));
  w.forEach((d, i) => checkInt(op, `weight.shape[${i + (perSampleWeights ? 1 : 0)}]`, d, 1));
  const groups = checkInt(op, 'groups', opts.groups ?? 1, 1);
  if (inC % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the input channels ${inC} (x ${fmtShape(xShape)})`);
  if (outC % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the output channels ${outC} (weight ${fmtShape(wShape)})`);
  if (wInC !== inC / groups) {
    throw new CondgradError(
      op,
      `weight has ${wInC} input channels per group but x has ${inC} channels in ${groups} group(s), i.e. ${inC / groups} per group (x ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`,
    );
  }
  const stride = scalar(op, 'stride', opts.stride);
  const dilation = scalar(op, 'dilation', opts.dilation);
  const [padLeft, padRight] = resolvePadding1d(op, opts.padding, inL, k, stride, dilation);
  const span = (k - 1) * dilation + 1;
  if (span > inL + padLeft + padRight) {
    throw new CondgradError(
      op,
      `kernel extent ${span} (size ${k}, dilation ${dilation}) is larger than the padded input length ${inL + padLeft + padRight} (padding [${padLeft}, ${padRight}]; x ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`,
    );
  }
  const outW = windowOut(op, 'length', inL, padLeft, padRight, k, stride, dilation);
  return withDerived({
    batch,
    inC,
    inH: 1,
    inW: inL,
    outC,
    outH: 1,
    outW,
    kH: 1,
    kW: k,
    strideH: 1,
    strideW: stride,
    dilationH: 1,
    dilationW: dilation,
    padTop: 0,
    padBottom: 0,
    padLeft,
    padRight,
    groups,
    inCPerGroup: wInC,
    outCPerGroup: outC / groups,
    perSampleWeights,
  });
}
