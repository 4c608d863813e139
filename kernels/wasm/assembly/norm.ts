// Batch-norm kernels on float32 data: per-channel float64 sums (statistics, gradient sums) and the per-channel affine pass; one channel per work item.

import { arg, nextItem, ptr } from './args';
import { N_BATCH, N_CH, N_DY, N_PARAMS, N_PLANE, N_STATS, N_SUMS, N_W, N_X, N_Y } from './layout';

/** Lanes 0, 1 of four floats, as two f64. */
@inline function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

/** Lanes 2, 3 of four floats, as two f64. */
@inline function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

@inline function total(a: v128, b: v128, t: f64): f64 {
  return t + (f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1)) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1));
}

/** Byte address of (sample n, channel c)'s plane. */
@inline function planeAt(base: usize, n: i32, c: i32, C: i32, P: i32): usize {
  return base + ((<usize>n * <usize>C + <usize>c) * <usize>P << 2);
}

/** Σ v over channel c. */
function channelSum(v: usize, B: i32, C: i32, P: i32, c: i32): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0);
  let t: f64 = 0;
  for (let n = 0; n < B; n++) {
    const p = planeAt(v, n, c, C, P);
    let i = 0;
    for (; i + 4 <= P; i += 4) {
      const x = v128.load(p + (<usize>i << 2));
      a = f64x2.add(a, lo(x));
      b = f64x2.add(b, hi(x));
    }
    for (; i < P; i++) t += <f64>load<f32>(p + (<usize>i << 2));
  }
  return total(a, b, t);
}

/** Σ (x − m)² over channel c, in f64. */
function channelSquares(x: usize, B: i32, C: i32, P: i32, c: i32, m: f64): f64 {
  const mv = f64x2.splat(m);
  let a = f64x2.splat(0), b = f64x2.splat(0);
  let t: f64 = 0;
  for (let n = 0; n < B; n++) {
    const p = planeAt(x, n, c, C, P);
    let i = 0;
    for (; i + 4 <= P; i += 4) {
      const v = v128.load(p + (<usize>i << 2));
      const d0 = f64x2.sub(lo(v), mv), d1 = f64x2.sub(hi(v), mv);
      a = f64x2.add(a, f64x2.mul(d0, d0));
      b = f64x2.add(b, f64x2.mul(d1, d1));
    }
    for (; i < P; i++) {
      const d = <f64>load<f32>(p + (<usize>i << 2)) - m;
      t += d * d;
    }
  }
  return total(a, b, t);
}

/** Σ dy and Σ dy·(x − m) over channel c, in f64: the first is returned, the second stored at s1. */
function channelGradSums(x: usize, dy: usize, B: i32, C: i32, P: i32, c: i32, m: f64, s1: usize): f64 {
  const mv = f64x2.splat(m);
  let a = f64x2.splat(0), b = f64x2.splat(0), e = f64x2.splat(0), f = f64x2.splat(0);
  let t: f64 = 0, u: f64 = 0;
  for (let n = 0; n < B; n++) {
    const px = planeAt(x, n, c, C, P), pd = planeAt(dy, n, c, C, P);
    let i = 0;
    for (; i + 4 <= P; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(px + o), d = v128.load(pd + o);
      const d0 = lo(d), d1 = hi(d);
      a = f64x2.add(a, d0);
      b = f64x2.add(b, d1);
      e = f64x2.add(e, f64x2.mul(d0, f64x2.sub(lo(v), mv)));
      f = f64x2.add(f, f64x2.mul(d1, f64x2.sub(hi(v), mv)));
    }
    for (; i < P; i++) {
      const d = <f64>load<f32>(pd + (<usize>i << 2));
      t += d;
      u += d * (<f64>load<f32>(px + (<usize>i << 2)) - m);
    }
  }
  store<f64>(s1, total(e, f, u));
  return total(a, b, t);
}

/**
 * SUMS[2c] = the mean of x's channel c, SUMS[2c+1] = Σ (x − mean)² (two passes), for the channels
 * claimed with nextItem.
 */
export function bnSums(g: usize): void {
  const B = arg(g, N_BATCH), C = arg(g, N_CH), P = arg(g, N_PLANE);
  const x = ptr(g, N_X), sums = ptr(g, N_SUMS);
  const count = <f64>B * <f64>P;
  for (let c = nextItem(g, -1); c >= 0; c = nextItem(g, c)) {
    const s = sums + (<usize>c << 4);
    const m = channelSum(x, B, C, P, c) / count;
    store<f64>(s, m);
    store<f64>(s + 8, channelSquares(x, B, C, P, c, m));
  }
}

/** Channel c of y = a·dy + b·(x − m) + k (dy = 0: y = b·(x − m) + k), in f32. */
function applyChannel(x: usize, dy: usize, y: usize, B: i32, C: i32, P: i32, c: i32, m: f32, a: f32, s: f32, k: f32): void {
  const mv = f32x4.splat(m), av = f32x4.splat(a), sv = f32x4.splat(s), kv = f32x4.splat(k);
  for (let n = 0; n < B; n++) {
    const px = planeAt(x, n, c, C, P), py = planeAt(y, n, c, C, P);
    let i = 0;
    if (dy == 0) {
      for (; i + 4 <= P; i += 4) {
        const o = <usize>i << 2;
        v128.store(py + o, f32x4.add(f32x4.mul(sv, f32x4.sub(v128.load(px + o), mv)), kv));
      }
      for (; i < P; i++) store<f32>(py + (<usize>i << 2), s * (load<f32>(px + (<usize>i << 2)) - m) + k);
    } else {
      const pd = planeAt(dy, n, c, C, P);
      for (; i + 4 <= P; i += 4) {
        const o = <usize>i << 2;
        const r = f32x4.add(f32x4.mul(av, v128.load(pd + o)), f32x4.mul(sv, f32x4.sub(v128.load(px + o), mv)));
        v128.store(py + o, f32x4.add(r, kv));
      }
      for (; i < P; i++) {
        const o = <usize>i << 2;
        store<f32>(py + o, a * load<f32>(pd + o) + s * (load<f32>(px + o) - m) + k);
      }
    }
  }
}

/**
 * Y = a·dy + b·(x − m) + k with channel c's (m, a, b, k) = PARAMS[4c..4c+3]; without DY (0),
 * Y = b·(x − m) + k. For the channels claimed with nextItem.
 */
export function bnApply(g: usize): void {
  const B = arg(g, N_BATCH), C = arg(g, N_CH), P = arg(g, N_PLANE);
  const x = ptr(g, N_X), dy = ptr(g, N_DY), y = ptr(g, N_Y), params = ptr(g, N_PARAMS);
  for (let c = nextItem(g, -1); c >= 0; c = nextItem(g, c)) {
    const q = params + (<usize>c << 4);
    applyChannel(x, dy, y, B, C, P, c, load<f32>(q), load<f32>(q, 4), load<f32>(q, 8), load<f32>(q, 12));
  }
}

/**
 * The backward in one visit per channel (its x and dy still in cache for the second pass): the
 * gradient sums SUMS[2c] = Σ dy, SUMS[2c+1] = Σ dy·(x − mean), then, unless Y is 0, dx = a·dy +
 * b·(x − mean) + k with the coefficients of the reference's backwardParams (kernels/cpu/norm.ts),
 * computed in f64 in the same order and rounded to f32. For the channels claimed with nextItem.
 */
export function bnBackward(g: usize): void {
  const B = arg(g, N_BATCH), C = arg(g, N_CH), P = arg(g, N_PLANE);
  const x = ptr(g, N_X), dy = ptr(g, N_DY), y = ptr(g, N_Y), sums = ptr(g, N_SUMS), stats = ptr(g, N_STATS), w = ptr(g, N_W);
  const count = <f64>B * <f64>P;
  for (let c = nextItem(g, -1); c >= 0; c = nextItem(g, c)) {
    const m = load<f32>(stats + (<usize>c << 2));
    const invstd = <f64>load<f32>(stats + (<usize>(2 * C + c) << 2));
    const s = sums + (<usize>c << 4);
    const dB = channelGradSums(x, dy, B, C, P, c, <f64>m, s + 8);
    store<f64>(s, dB);
    if (y == 0) continue;
    const dW = invstd * load<f64>(s + 8);
    const a = (w == 0 ? 1.0 : <f64>load<f32>(w + (<usize>c << 2))) * invstd;
    applyChannel(x, dy, y, B, C, P, c, m, <f32>a, <f32>((-a * invstd * dW) / count), <f32>((-a * dB) / count));
  }
}
