// f32x4 fused Adam/AdamW step: the new parameter and both moments in one pass (the reference is kernels/cpu/adam.ts).

import { arg, argf, at, nextItem, ptr } from './args';
import { AD_B1, AD_B2, AD_C1, AD_C2, AD_EPS, AD_G, AD_INVBC2, AD_KEEP, AD_L2, AD_M, AD_N, AD_OUTM, AD_OUTP, AD_OUTV, AD_P, AD_STEP, AD_V } from './layout';

/** Elements per work item (ADAM_BLOCK in ../adam.ts). */
const BLOCK = 4096;

/**
 * For i < N: g' = g + L2·p (when L2 ≠ 0); m' = B1·m + C1·g'; v' = B2·v + C2·g'²;
 * p' = KEEP·p + STEP · m' / (√v' · INVBC2 + EPS); in blocks claimed with nextItem.
 */
export function adamStep(a: usize): void {
  const p = ptr(a, AD_P), g = ptr(a, AD_G), m = ptr(a, AD_M), v = ptr(a, AD_V);
  const op = ptr(a, AD_OUTP), om = ptr(a, AD_OUTM), ov = ptr(a, AD_OUTV), n = arg(a, AD_N);
  const sb1 = argf(a, AD_B1), sc1 = argf(a, AD_C1), sb2 = argf(a, AD_B2), sc2 = argf(a, AD_C2);
  const sib = argf(a, AD_INVBC2), seps = argf(a, AD_EPS), sstep = argf(a, AD_STEP), sl2 = argf(a, AD_L2), skeep = argf(a, AD_KEEP);
  const b1 = f32x4.splat(sb1), c1 = f32x4.splat(sc1), b2 = f32x4.splat(sb2), c2 = f32x4.splat(sc2);
  const ib = f32x4.splat(sib), eps = f32x4.splat(seps), step = f32x4.splat(sstep), l2 = f32x4.splat(sl2), keep = f32x4.splat(skeep);
  const useL2 = sl2 != 0, useKeep = skeep != 1;
  for (let blk = nextItem(a, -1); blk >= 0; blk = nextItem(a, blk)) {
    let i = blk * BLOCK;
    const end = min(n, i + BLOCK);
    for (; i + 4 <= end; i += 4) {
      const pi = v128.load(at(p, i));
      let gi = v128.load(at(g, i));
      if (useL2) gi = f32x4.add(gi, f32x4.mul(l2, pi));
      const mi = f32x4.add(f32x4.mul(b1, v128.load(at(m, i))), f32x4.mul(c1, gi));
      const vi = f32x4.add(f32x4.mul(b2, v128.load(at(v, i))), f32x4.mul(c2, f32x4.mul(gi, gi)));
      v128.store(at(om, i), mi);
      v128.store(at(ov, i), vi);
      const base = useKeep ? f32x4.mul(pi, keep) : pi;
      v128.store(at(op, i), f32x4.add(base, f32x4.mul(step, f32x4.div(mi, f32x4.add(f32x4.mul(f32x4.sqrt(vi), ib), eps)))));
    }
    for (; i < end; i++) {
      const pi = load<f32>(at(p, i));
      let gi = load<f32>(at(g, i));
      if (useL2) gi = gi + sl2 * pi;
      const mi = sb1 * load<f32>(at(m, i)) + sc1 * gi;
      const vi = sb2 * load<f32>(at(v, i)) + sc2 * (gi * gi);
      store<f32>(at(om, i), mi);
      store<f32>(at(ov, i), vi);
      store<f32>(at(op, i), (useKeep ? pi * skeep : pi) + sstep * (mi / (sqrt<f32>(vi) * sib + seps)));
    }
  }
}
