// Model cost from the summary (parameters, MACs per image with routing and mixing) and the width of a plain model with given MACs.

import { CondgradError } from '../../core/errors.js';
import { createModel } from '../../nn/models/index.js';
import { modelOptions, type Variant } from './plan.js';

/** Parameters and MACs per 28×28 image of a variant, as `condgrad summary` reports them. */
export interface ModelCost {
  params: number;
  /** All MACs per image: conv, linear, CondConv kernel mixing, routing (GAP + FC), pooling. */
  macs: number;
  macsByKind: Record<string, number>;
}

/** The cost of `v` (built on the cpu backend with seed 0; the numbers do not depend on the weights). */
export function modelCost(v: Pick<Variant, 'width' | 'experts' | 'routing'>): ModelCost {
  const model = createModel('mobilenet-v1', modelOptions({ ...v, expertDropout: 0 }, 0));
  const s = model.summary(model.inputShape);
  return { params: s.totalParams, macs: s.totalMacs, macsByKind: s.macsByKind };
}

/**
 * The width of a plain MobileNetV1 (convert 'none') whose MACs per image are closest to
 * `targetMacs`, searched in [minWidth, maxWidth] to 3 decimals. Channel counts are rounded, so
 * MACs grow in steps: the result is the closer of the widths just below and just above the target.
 */
export function matchWidth(targetMacs: number, minWidth: number, maxWidth: number): { width: number; macs: number } {
  if (!(targetMacs > 0) || !(minWidth > 0) || !(maxWidth > minWidth)) {
    throw new CondgradError('matchWidth', `need targetMacs > 0 and 0 < minWidth < maxWidth, got ${targetMacs}, [${minWidth}, ${maxWidth}]`);
  }
  const macsAt = (w: number): number => modelCost({ width: w, experts: null, routing: 'sigmoid' }).macs;
  const grid = (w: number): number => Math.round(w * 1000) / 1000;
  if (macsAt(maxWidth) < targetMacs) throw new CondgradError('matchWidth', `even width ${maxWidth} has fewer than ${targetMacs} MACs`);
  // Bisection on the monotone MACs(width) for the smallest width reaching the target.
  let lo = grid(minWidth);
  let hi = grid(maxWidth);
  if (macsAt(lo) >= targetMacs) return { width: lo, macs: macsAt(lo) };
  while (hi - lo > 0.0015) {
    const mid = grid((lo + hi) / 2);
    if (macsAt(mid) >= targetMacs) hi = mid;
    else lo = mid;
  }
  const above = { width: hi, macs: macsAt(hi) };
  const below = { width: lo, macs: macsAt(lo) };
  return targetMacs - below.macs <= above.macs - targetMacs ? below : above;
}
