// Reductions over a ReduceGeometry's outer/inner views (up to 3 dims each): f64-accumulated sums and means, f32x4 max and min.

import { arg, at, nextItem, ptr } from './args';
import {
  R_DIV, R_I0, R_I1, R_I2, R_MODE, R_O1, R_O2, R_OP, R_SCRATCH, R_SI0, R_SI1, R_SI2, R_SO0, R_SO1,
  R_SO2, R_MAX, R_MEAN, R_SUM, R_X, R_Y,
} from './layout';

/** f32x4.max/min and scalar max/min propagate NaN (unlike pmax/pmin). */
@inline function foldv(op: i32, acc: v128, v: v128): v128 {
  return op == R_MAX ? f32x4.max(acc, v) : f32x4.min(acc, v);
}

@inline function folds(op: i32, acc: f32, v: f32): f32 {
  return op == R_MAX ? max(acc, v) : min(acc, v);
}

@inline function isSum(op: i32): bool {
  return op == R_SUM || op == R_MEAN;
}

/** Adds the four lanes of f32x4 v, widened to f64, into the two f64x2 accumulators. */
@inline function widen(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline function widenHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/** Mode 0: out[o] = fold of the inner view at outer(o); the innermost reduced dim is contiguous. */
function reduceInner(g: usize): void {
  const op = arg(g, R_OP), o1 = arg(g, R_O1), o2 = arg(g, R_O2);
  const i0 = arg(g, R_I0), i1 = arg(g, R_I1), n = arg(g, R_I2);
  const x = ptr(g, R_X), y = ptr(g, R_Y);
  const sum = isSum(op), div = <f64>arg(g, R_DIV);
  const id: f32 = op == R_MAX ? -Infinity : Infinity;
  for (let o = nextItem(g, -1); o >= 0; o = nextItem(g, o)) {
    const c = o % o2, q = o / o2, b = q % o1, a = q / o1;
    const base = a * arg(g, R_SO0) + b * arg(g, R_SO1) + c * arg(g, R_SO2);
    if (sum) {
      // Four independent f64x2 chains (eight floats a step) hide the add latency.
      let d0 = f64x2.splat(0), d1 = f64x2.splat(0), d2 = f64x2.splat(0), d3 = f64x2.splat(0);
      let s: f64 = 0;
      for (let j0 = 0; j0 < i0; j0++) {
        for (let j1 = 0; j1 < i1; j1++) {
          const row = at(x, base + j0 * arg(g, R_SI0) + j1 * arg(g, R_SI1));
          let k = 0;
          for (; k + 8 <= n; k += 8) {
            const v = v128.load(at(row, k)), u = v128.load(at(row, k), 16);
            d0 = f64x2.add(d0, widen(v));
            d1 = f64x2.add(d1, widenHigh(v));
            d2 = f64x2.add(d2, widen(u));
            d3 = f64x2.add(d3, widenHigh(u));
          }
          for (; k + 4 <= n; k += 4) {
            const v = v128.load(at(row, k));
            d0 = f64x2.add(d0, widen(v));
            d1 = f64x2.add(d1, widenHigh(v));
          }
          for (; k < n; k++) s += <f64>load<f32>(at(row, k));
        }
      }
      const d = f64x2.add(f64x2.add(d0, d1), f64x2.add(d2, d3));
      s += f64x2.extract_lane(d, 0) + f64x2.extract_lane(d, 1);
      store<f32>(at(y, o), <f32>(s / div));
      continue;
    }
    let v0 = f32x4.splat(id), v1 = f32x4.splat(id);
    let s = id;
    for (let j0 = 0; j0 < i0; j0++) {
      for (let j1 = 0; j1 < i1; j1++) {
        const row = at(x, base + j0 * arg(g, R_SI0) + j1 * arg(g, R_SI1));
        let k = 0;
        for (; k + 8 <= n; k += 8) {
          v0 = foldv(op, v0, v128.load(at(row, k)));
          v1 = foldv(op, v1, v128.load(at(row, k), 16));
        }
        for (; k < n; k++) s = folds(op, s, load<f32>(at(row, k)));
      }
    }
    const v = foldv(op, v0, v1);
    s = folds(op, s, folds(op, folds(op, f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
      folds(op, f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3))));
    store<f32>(at(y, o), s);
  }
}

/** Mode 1 sums: the O2 contiguous outputs of each outer row accumulate in f64 scratch, then round once. */
function sumOuter(g: usize): void {
  const o1 = arg(g, R_O1), n = arg(g, R_O2);
  const i0 = arg(g, R_I0), i1 = arg(g, R_I1), i2 = arg(g, R_I2);
  const x = ptr(g, R_X), y = ptr(g, R_Y), acc = ptr(g, R_SCRATCH);
  const div = <f64>arg(g, R_DIV);
  for (let r = nextItem(g, -1); r >= 0; r = nextItem(g, r)) {
    const b = r % o1, a = r / o1;
    const base = a * arg(g, R_SO0) + b * arg(g, R_SO1);
    for (let k = 0; k < n; k++) store<f64>(acc + (<usize>k << 3), 0);
    for (let j0 = 0; j0 < i0; j0++) {
      for (let j1 = 0; j1 < i1; j1++) {
        for (let j2 = 0; j2 < i2; j2++) {
          const row = at(x, base + j0 * arg(g, R_SI0) + j1 * arg(g, R_SI1) + j2 * arg(g, R_SI2));
          let k = 0;
          for (; k + 4 <= n; k += 4) {
            const v = v128.load(at(row, k));
            const p = acc + (<usize>k << 3);
            v128.store(p, f64x2.add(v128.load(p), widen(v)));
            v128.store(p, f64x2.add(v128.load(p, 16), widenHigh(v)), 16);
          }
          for (; k < n; k++) {
            const p = acc + (<usize>k << 3);
            store<f64>(p, load<f64>(p) + <f64>load<f32>(at(row, k)));
          }
        }
      }
    }
    const out = at(y, r * n);
    for (let k = 0; k < n; k++) store<f32>(at(out, k), <f32>(load<f64>(acc + (<usize>k << 3)) / div));
  }
}

/** Mode 1 max/min: for each outer row (o0, o1), the O2 contiguous outputs fold every inner offset. */
function foldOuter(g: usize): void {
  const op = arg(g, R_OP), o1 = arg(g, R_O1), n = arg(g, R_O2);
  const i0 = arg(g, R_I0), i1 = arg(g, R_I1), i2 = arg(g, R_I2);
  const x = ptr(g, R_X), y = ptr(g, R_Y);
  const id: f32 = op == R_MAX ? -Infinity : Infinity;
  for (let r = nextItem(g, -1); r >= 0; r = nextItem(g, r)) {
    const b = r % o1, a = r / o1;
    const base = a * arg(g, R_SO0) + b * arg(g, R_SO1);
    const out = at(y, r * n);
    for (let k = 0; k < n; k++) store<f32>(at(out, k), id);
    for (let j0 = 0; j0 < i0; j0++) {
      for (let j1 = 0; j1 < i1; j1++) {
        for (let j2 = 0; j2 < i2; j2++) {
          const row = at(x, base + j0 * arg(g, R_SI0) + j1 * arg(g, R_SI1) + j2 * arg(g, R_SI2));
          let k = 0;
          for (; k + 4 <= n; k += 4) v128.store(at(out, k), foldv(op, v128.load(at(out, k)), v128.load(at(row, k))));
          for (; k < n; k++) store<f32>(at(out, k), folds(op, load<f32>(at(out, k)), load<f32>(at(row, k))));
        }
      }
    }
  }
}

/** Reduction over the items of the block's mode (see layout R_*). */
export function reduce(g: usize): void {
  if (arg(g, R_MODE) == 0) reduceInner(g);
  else if (isSum(arg(g, R_OP))) sumOuter(g);
  else foldOuter(g);
}
