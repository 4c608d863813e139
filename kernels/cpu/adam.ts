// Reference fused Adam/AdamW step: the new parameter and both moments in one pass over the elements.

import type { AdamStepHyper } from '../../core/backend.js';
import type { FloatArray } from '../../core/dtype.js';

/**
 * PyTorch's Adam/AdamW update, element by element, in the order nn/optim/adam.ts composes it
 * from ops (so float64 results agree with the op-composed update to rounding):
 *   Adam: g ← g + wd·p;  AdamW: p ← p·(1 − lr·wd);
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p + (−lr / (1−β1^t)) · m / (√v · (1/√(1−β2^t)) + eps).
 * @param p, g, m, v [n] read (n = p.length)
 * @param outP, outM, outV [n] written (may not alias the inputs)
 */
export function adamStepInto(
  p: FloatArray,
  g: FloatArray,
  m: FloatArray,
  v: FloatArray,
  outP: FloatArray,
  outM: FloatArray,
  outV: FloatArray,
  h: AdamStepHyper,
): void {
  const { beta1: b1, beta2: b2, eps, weightDecay: wd } = h;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const invSqrtBc2 = 1 / Math.sqrt(1 - Math.pow(b2, h.step));
  const stepSize = -h.lr / (1 - Math.pow(b1, h.step));
  const l2 = h.decoupled ? 0 : wd;
  const keepP = h.decoupled && wd !== 0 ? 1 - h.lr * wd : 1;
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const pi = p[i];
    const gi = l2 !== 0 ? g[i] + l2 * pi : g[i];
    const mi = b1 * m[i] + c1 * gi;
    const vi = b2 * v[i] + c2 * (gi * gi);
    outM[i] = mi;
    outV[i] = vi;
    // The stored (dtype-rounded) moments, as the op-composed update reads them back.
    outP[i] = (keepP !== 1 ? pi * keepP : pi) + stepSize * (outM[i] / (Math.sqrt(outV[i]) * invSqrtBc2 + eps));
  }
}
