// Conv2d geometry: output size, padding, strides, dilation and groups, computed and validated once for every backend.

import { CondgradError, checkInt, fmtShape } from '../../core/errors.js';

/** Padding as PyTorch or TF spell it: one number, [padH, padW], [top, bottom, left, right], 'same' or 'valid'. */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';
export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Padding;
  dilation?: Pair;
  groups?: number;
}

/**
 * Everything a conv kernel needs. x: [batch, inC, inH, inW] NCHW; y: [batch, outC, outH, outW].
 * Weights are [outC, inC/groups, kH, kW], or with `perSampleWeights` one such kernel per sample:
 * [batch, outC, inC/groups, kH, kW]. 'same' padding follows TF: out = ceil(in / stride), the
 * odd pixel of padding going to the bottom/right.
 */
export interface Conv2dGeometry {
  readonly batch: number;
  readonly inC: number;
  readonly inH: number;
  readonly inW: number;
  readonly outC: number;
  readonly outH: number;
  readonly outW: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padBottom: number;
  readonly padLeft: number;
  readonly padRight: number;
  readonly groups: number;
  readonly inCPerGroup: number;
  readonly outCPerGroup: number;
  readonly perSampleWeights: boolean;
  // ---- derived (computed once here; kernels read them instead of re-deriving) ----
  /** Elements of one sample's kernel: outC * inCPerGroup * kH * kW. */
  readonly weightSize: number;
  /** Elements of the weight storage: weightSize, times batch with perSampleWeights. */
  readonly weightStorageSize: number;
  /** Elements of x: batch * inC * inH * inW. */
  readonly inputSize: number;
  /** Elements of y: batch * outC * outH * outW. */
  readonly outputSize: number;
  /**
   * Rows / columns of the padded input that the windows cover: (outH − 1)·strideH + (kH − 1)·dilationH + 1
   * (at most padTop + inH + padBottom). Padded row r is input row r − padTop.
   */
  readonly paddedH: number;
  readonly paddedW: number;
  /** A 1×1, stride-1, unpadded conv: x itself is the column matrix. */
  readonly pointwise: boolean;
  /** One input channel per group (groups = inC, any channel multiplier). */
  readonly depthwise: boolean;
  /** Multiply-accumulates of the forward pass over the whole batch. */
  readonly macs: number;
}

/** The fields a conv geometry is made of; everything else is derived from them. */
export type Conv2dFields = Omit<
  Conv2dGeometry,
  'weightSize' | 'weightStorageSize' | 'inputSize' | 'outputSize' | 'paddedH' | 'paddedW' | 'pointwise' | 'depthwise' | 'macs'
>;

/**
 * Completes and freezes a geometry: the one place its derived fields are computed. Every field is
 * written out (no object spread) so that every geometry has one hidden class with fast properties:
 * the cpu kernels read these fields in their inner loops.
 */
export function withDerived(f: Conv2dFields): Conv2dGeometry {
  const weightSize = f.outC * f.inCPerGroup * f.kH * f.kW;
  return Object.freeze({
    batch: f.batch,
    inC: f.inC,
    inH: f.inH,
    inW: f.inW,
    outC: f.outC,
    outH: f.outH,
    outW: f.outW,
    kH: f.kH,
    kW: f.kW,
    strideH: f.strideH,
    strideW: f.strideW,
    dilationH: f.dilationH,
    dilationW: f.dilationW,
    padTop: f.padTop,
    padBottom: f.padBottom,
    padLeft: f.padLeft,
    padRight: f.padRight,
    groups: f.groups,
    inCPerGroup: f.inCPerGroup,
    outCPerGroup: f.outCPerGroup,
    perSampleWeights: f.perSampleWeights,
    weightSize,
    weightStorageSize: weightSize * (f.perSampleWeights ? f.batch : 1),
    inputSize: f.batch * f.inC * f.inH * f.inW,
    outputSize: f.batch * f.outC * f.outH * f.outW,
    paddedH: (f.outH - 1) * f.strideH + (f.kH - 1) * f.dilationH + 1,
    paddedW: (f.outW - 1) * f.strideW + (f.kW - 1) * f.dilationW + 1,
    pointwise: f.kH === 1 && f.kW === 1 && f.strideH === 1 && f.strideW === 1 && f.padTop === 0 && f.padBottom === 0 && f.padLeft === 0 && f.padRight === 0,
    depthwise: f.inCPerGroup === 1 && f.groups === f.inC,
    macs: f.batch * f.outH * f.outW * weightSize,
  });
}

export function pair(op: string, arg: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') {
    checkInt(op, arg, v, min);
    return [v, v];
  }
  if (!Array.isArray(v) || v.length !== 2) throw new CondgradError(op, `${arg} must be a number or a pair, got ${JSON.stringify(v)}`);
  checkInt(op, `${arg}[0]`, v[0], min);
  checkInt(op, `${arg}[1]`, v[1], min);
  return [v[0], v[1]];
}

/** Resolves 'same' or 'valid' padding for one spatial dim to [before, after]. */
export function resolvePad(size: number, k: number, stride: number, dilation: number, mode: 'same' | 'valid'): [number, number] {
  if (mode === 'valid') return [0, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Pads [top, bottom, left, right] for a window op over an input of size [inH, inW]. */
export function resolvePadding(
  op: string,
  padding: Padding | undefined,
  inH: number,
  inW: number,
  k: [number, number],
  s: [number, number],
  d: [number, number],
): [number, number, number, number] {
  const p = padding ?? 0;
  if (p === 'same' || p === 'valid') {
    const [t, b] = resolvePad(inH, k[0], s[0], d[0], p);
    const [l, r] = resolvePad(inW, k[1], s[1], d[1], p);
    return [t, b, l, r];
  }
  if (typeof p === 'number') {
    checkInt(op, 'padding', p, 0);
    return [p, p, p, p];
  }
  if (Array.isArray(p) && p.length === 2) {
    checkInt(op, 'padding[0]', p[0], 0);
    checkInt(op, 'padding[1]', p[1], 0);
    return [p[0], p[0], p[1], p[1]];
  }
  if (Array.isArray(p) && p.length === 4) {
    p.forEach((v, i) => checkInt(op, `padding[${i}]`, v, 0));
    return [p[0], p[1], p[2], p[3]];
  }
  throw new CondgradError(op, `padding must be a number, [h, w], [top, bottom, left, right], 'same' or 'valid', got ${JSON.stringify(p)}`);
}

/** Output size of a window op along one dim, or an Error when the window does not fit. */
export function windowOut(op: string, dim: string, size: number, padBefore: number, padAfter: number, k: number, stride: number, dilation: number): number {
  const span = (k - 1) * dilation + 1;
  const padded = size + padBefore + padAfter;
  if (span > padded) {
    throw new CondgradError(op, `kernel ${dim} extent ${span} (size ${k}, dilation ${dilation}) is larger than the padded input ${dim} ${padded}`);
  }
  return Math.floor((padded - span) / stride) + 1;
}

/**
 * Validates x and w and computes the conv geometry.
 * @param xShape [B, C, H, W]
 * @param wShape [O, C/groups, kH, kW], or [B, O, C/groups, kH, kW] when `perSampleWeights`
 */
export function conv2dGeometry(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  opts: Conv2dOptions = {},
  perSampleWeights = false,
): Conv2dGeometry {
  if (xShape.length !== 4) throw new CondgradError(op, `x must be [B, C, H, W], got ${fmtShape(xShape)}`);
  const wRank = perSampleWeights ? 5 : 4;
  if (wShape.length !== wRank) {
    const want = perSampleWeights ? '[B, O, C/groups, kH, kW]' : '[O, C/groups, kH, kW]';
    throw new CondgradError(op, `weight must be ${want}, got ${fmtShape(wShape)} (x ${fmtShape(xShape)})`);
  }
  const [batch, inC, inH, inW] = xShape;
  const w = perSampleWeights ? wShape.slice(1) : wShape;
  if (perSampleWeights && wShape[0] !== batch) {
    throw new CondgradError(op, `per-sample weight batch ${wShape[0]} does not match x batch ${batch} (x ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`);
  }
  const [outC, wInC, kH, kW] = w;
  xShape.forEach((d, i) => checkInt(op, `x.shape[${i}]`, d, 1));
  w.forEach((d, i) => checkInt(op, `weight.shape[${i + (perSampleWeights ? 1 : 0)}]`, d, 1));
  const groups = opts.groups ?? 1;
  checkInt(op, 'groups', groups, 1);
  if (inC % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the input channels ${inC} (x ${fmtShape(xShape)})`);
  if (outC % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the output channels ${outC} (weight ${fmtShape(wShape)})`);
  if (wInC !== inC / groups) {
    throw new CondgradError(
      op,
      `weight has ${wInC} input channels per group but x has ${inC} channels in ${groups} group(s), i.e. ${inC / groups} per group (x ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`,
    );
  }
  const s = pair(op, 'stride', opts.stride, 1, 1);
  const d = pair(op, 'dilation', opts.dilation, 1, 1);
  const [padTop, padBottom, padLeft, padRight] = resolvePadding(op, opts.padding, inH, inW, [kH, kW], s, d);
  const outH = windowOut(op, 'height', inH, padTop, padBottom, kH, s[0], d[0]);
  const outW = windowOut(op, 'width', inW, padLeft, padRight, kW, s[1], d[1]);
  return withDerived({
    batch,
    inC,
    inH,
    inW,
    outC,
    outH,
    outW,
    kH,
    kW,
    strideH: s[0],
    strideW: s[1],
    dilationH: d[0],
    dilationW: d[1],
    padTop,
    padBottom,
    padLeft,
    padRight,
    groups,
    inCPerGroup: wInC,
    outCPerGroup: outC / groups,
    perSampleWeights,
  });
}

/** The same conv with one kernel per sample (weights [batch, outC, inC/groups, kH, kW]). */
export function perSampleGeometry(g: Conv2dGeometry): Conv2dGeometry {
  return g.perSampleWeights ? g : withDerived({ ...g, perSampleWeights: true });
}

/**
 * The transposed conv of a stride-1 conv: dx = conv2d(dy, w') where w' holds the kernels
 * transposed per group ([inC, outC/groups, kH, kW]) and flipped in space, with the complementary
 * padding (kH − 1)·dilationH − pad, which is negative (a crop) where the forward padding exceeds
 * the kernel extent. Strided convs have no such form (their input gradient is not a stride-1 conv).
 */
export function transposedConvGeometry(g: Conv2dGeometry): Conv2dGeometry {
  if (g.strideH !== 1 || g.strideW !== 1) {
    throw new CondgradError('transposedConvGeometry', `needs stride 1, got stride [${g.strideH}, ${g.strideW}]`);
  }
  const eh = (g.kH - 1) * g.dilationH,
    ew = (g.kW - 1) * g.dilationW;
  return withDerived({
    ...g,
    inC: g.outC,
    inH: g.outH,
    inW: g.outW,
    outC: g.inC,
    outH: g.inH,
    outW: g.inW,
    padTop: eh - g.padTop,
    padBottom: eh - g.padBottom,
    padLeft: ew - g.padLeft,
    padRight: ew - g.padRight,
    inCPerGroup: g.outCPerGroup,
    outCPerGroup: g.inCPerGroup,
  });
}
