// f32x4 elementwise kernels: broadcast binary ops over 4-dim rows, SIMD-able unary ops, relu backward, reductions.

import { arg, argf, at, nextItem, ptr } from './args';
import {
  E_A, E_B, E_D1, E_D2, E_D3, E_F0, E_F1, E_ITEM1, E_OP, E_SA0, E_SA1, E_SA2, E_SA3, E_SB0, E_SB1,
  E_SB2, E_SB3, E_Y, OP_ADD, OP_DIV, OP_EQ, OP_GT, OP_MAX, OP_MIN, OP_MUL, OP_SUB,
  U_ABS, U_AFFINE, U_CLAMP, U_NEG, U_RELU, U_RELU6, U_SQRT, U_SQUARE,
} from './layout';

@inline function binv(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case OP_ADD: return f32x4.add(a, b);
    case OP_SUB: return f32x4.sub(a, b);
    case OP_MUL: return f32x4.mul(a, b);
    case OP_DIV: return f32x4.div(a, b);
    // a where a wins a tie or is NaN, else b (NaN in b loses every comparison): NaN propagates either way.
    case OP_MAX: return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
    case OP_MIN: return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
    case OP_EQ: return v128.and(f32x4.eq(a, b), f32x4.splat(1));
    case OP_GT: return v128.and(f32x4.gt(a, b), f32x4.splat(1));
    default: return f32x4.splat(NaN);
  }
}

@inline function bins(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case OP_ADD: return a + b;
    case OP_SUB: return a - b;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_MAX: return a >= b || a != a ? a : b;
    case OP_MIN: return a <= b || a != a ? a : b;
    case OP_EQ: return a == b ? 1 : 0;
    case OP_GT: return a > b ? 1 : 0;
    default: return NaN;
  }
}

/** y[i] = a[i*sa] op b[i*sb] for i < n; strides 1 or 0 take the vector paths. */
function binaryRow(op: i32, a: usize, sa: i32, b: usize, sb: i32, y: usize, n: i32): void {
  let i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 4 <= n; i += 4) v128.store(at(y, i), binv(op, v128.load(at(a, i)), v128.load(at(b, i))));
  } else if (sa == 1 && sb == 0) {
    const bv = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) v128.store(at(y, i), binv(op, v128.load(at(a, i)), bv));
  } else if (sa == 0 && sb == 1) {
    const av = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) v128.store(at(y, i), binv(op, av, v128.load(at(b, i))));
  }
  for (; i < n; i++) store<f32>(at(y, i), bins(op, load<f32>(at(a, i * sa)), load<f32>(at(b, i * sb))));
}

/** y (contiguous) = a op b over the rows (claimed with nextItem) of the [D0, D1, D2] grid, D3 per row. */
export function binary(g: usize): void {
  const op = arg(g, E_OP), d1 = arg(g, E_D1), d2 = arg(g, E_D2), d3 = arg(g, E_D3);
  const a = ptr(g, E_A), b = ptr(g, E_B), y = ptr(g, E_Y);
  for (let r = nextItem(g, -1); r >= 0; r = nextItem(g, r)) {
    const i2 = r % d2, q = r / d2, i1 = q % d1, i0 = q / d1;
    const oa = i0 * arg(g, E_SA0) + i1 * arg(g, E_SA1) + i2 * arg(g, E_SA2);
    const ob = i0 * arg(g, E_SB0) + i1 * arg(g, E_SB1) + i2 * arg(g, E_SB2);
    binaryRow(op, at(a, oa), arg(g, E_SA3), at(b, ob), arg(g, E_SB3), at(y, r * d3), d3);
  }
}

@inline function unv(op: i32, x: v128, f0: v128, f1: v128): v128 {
  switch (op) {
    // Zero where x <= 0: a NaN x fails the compare and passes through.
    case U_RELU: return v128.andnot(x, f32x4.le(x, f32x4.splat(0)));
    case U_NEG: return f32x4.neg(x);
    case U_ABS: return f32x4.abs(x);
    case U_SQUARE: return f32x4.mul(x, x);
    case U_AFFINE: return f32x4.add(f32x4.mul(f0, x), f1);
    case U_CLAMP: return v128.bitselect(f0, v128.bitselect(f1, x, f32x4.gt(x, f1)), f32x4.lt(x, f0));
    case U_SQRT: return f32x4.sqrt(x);
    case U_RELU6: {
      const c = v128.bitselect(f32x4.splat(6), x, f32x4.ge(x, f32x4.splat(6)));
      return v128.andnot(c, f32x4.le(x, f32x4.splat(0)));
    }
    default: return f32x4.splat(NaN);
  }
}

/** Elements per work item of the flat kernels. */
const BLOCK: i32 = 4096;

/** y[i] = f(x[i]) for i < ITEM1, in blocks of BLOCK elements claimed with nextItem; A is x. */
export function unary(g: usize): void {
  const op = arg(g, E_OP), x = ptr(g, E_A), y = ptr(g, E_Y), n = arg(g, E_ITEM1);
  const f0 = f32x4.splat(argf(g, E_F0)), f1 = f32x4.splat(argf(g, E_F1));
  for (let blk = nextItem(g, -1); blk >= 0; blk = nextItem(g, blk)) {
    let i = blk * BLOCK;
    const end = min(n, i + BLOCK);
    for (; i + 4 <= end; i += 4) v128.store(at(y, i), unv(op, v128.load(at(x, i)), f0, f1));
    for (; i < end; i++) store<f32>(at(y, i), f32x4.extract_lane(unv(op, v128.load32_splat(at(x, i)), f0, f1), 0));
  }
}

/** dx[i] = x[i] > 0 ? dy[i] : 0 for i < ITEM1, in blocks claimed with nextItem; A is x, B is dy. */
export function reluBackward(g: usize): void {
  const x = ptr(g, E_A), dy = ptr(g, E_B), y = ptr(g, E_Y), n = arg(g, E_ITEM1);
  const z = f32x4.splat(0);
  for (let blk = nextItem(g, -1); blk >= 0; blk = nextItem(g, blk)) {
    let i = blk * BLOCK;
    const end = min(n, i + BLOCK);
    for (; i + 4 <= end; i += 4) v128.store(at(y, i), v128.and(v128.load(at(dy, i)), f32x4.gt(v128.load(at(x, i)), z)));
    for (; i < end; i++) store<f32>(at(y, i), load<f32>(at(x, i)) > 0 ? load<f32>(at(dy, i)) : 0);
  }
}
