// Fuzz generators for elementwise, reduction, movement and matmul ops, each with its naive reference and validity rule.

import type { Tensor } from '../../core/tensor.js';
import { relu, relu6, sigmoid, silu, tanh } from '../../ops/activations.js';
import { abs, add, affine, clamp, div, eq, exp, gt, log, maximum, minimum, mul, neg, pow, sign, sqrt, square, sub } from '../../ops/arithmetic.js';
import { matmul } from '../../ops/matmul.js';
import { max, mean, min } from '../../ops/reduce.js';
import { sum } from '../../ops/broadcast.js';
import { concat, pad, permute, reshape, slice, transpose } from '../../ops/shape.js';
import { expand } from '../../ops/broadcast.js';
import { dtypes, fmt, hostInput, randDim, randInt2, randShape, tolFor, toTensor, type FuzzCase, type FuzzContext, type HostInput } from './fuzz_core.js';
import {
  broadcastShape,
  naiveBinary,
  naiveConcat,
  naiveMatmul,
  naivePad,
  naivePermute,
  naiveReduce,
  naiveSlice,
  naiveUnary,
  sizeOf,
  type Arr,
} from './naive.js';
import { pick, randInt } from './rng.js';

type Un = [string, (x: Tensor) => Tensor, (v: number) => number, number, number];
const sig = (v: number): number => 1 / (1 + Math.exp(-v));
const UNARY: Un[] = [
  ['neg', neg, (v) => -v, -3, 3],
  ['exp', exp, Math.exp, -3, 3],
  ['log', log, Math.log, 0.1, 3],
  ['sqrt', sqrt, Math.sqrt, 0.1, 3],
  ['abs', abs, Math.abs, -3, 3],
  ['relu', relu, (v) => Math.max(v, 0), -3, 3],
  ['relu6', relu6, (v) => Math.min(Math.max(v, 0), 6), -2, 8],
  ['sigmoid', sigmoid, sig, -6, 6],
  ['tanh', tanh, Math.tanh, -3, 3],
  ['silu', silu, (v) => v * sig(v), -6, 6],
  ['square', square, (v) => v * v, -3, 3],
  ['sign', sign, Math.sign, -3, 3],
];

function unaryCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt] = dtypes(ctx);
  const leaves: Tensor[] = [];
  const kind = rng();
  if (kind < 0.7) {
    const [name, f, ref, lo, hi] = pick(rng, UNARY);
    const h = hostInput(rng, randShape(rng), dt, lo, hi);
    return {
      desc: `${name} x=${fmt(h.shape)} ${dt}`,
      tol: tolFor(dt),
      leaves,
      run: () => f(toTensor(ctx, h, leaves)),
      want: () => h.arr && naiveUnary(h.arr, ref),
    };
  }
  const h = hostInput(rng, randShape(rng), dt, 0.2, 3);
  if (kind < 0.8) {
    const lo = pick(rng, [-1, 0.5, NaN, 2, -Infinity]);
    const hi = pick(rng, [1, 2.5, NaN, Infinity, 0]);
    const ok = !Number.isNaN(lo) && !Number.isNaN(hi) && lo <= hi;
    return {
      desc: `clamp x=${fmt(h.shape)} [${lo}, ${hi}] ${dt}`,
      tol: tolFor(dt),
      leaves,
      run: () => clamp(toTensor(ctx, h, leaves), lo, hi),
      want: () => (ok && h.arr ? naiveUnary(h.arr, (v) => Math.min(Math.max(v, lo), hi)) : null),
    };
  }
  if (kind < 0.9) {
    const s = pick(rng, [2, -0.5, NaN, Infinity]);
    const b = pick(rng, [0, 1.5, NaN]);
    const ok = Number.isFinite(s) && Number.isFinite(b);
    return {
      desc: `affine x=${fmt(h.shape)} ${s}·x+${b} ${dt}`,
      tol: tolFor(dt),
      leaves,
      run: () => affine(toTensor(ctx, h, leaves), s, b),
      want: () => (ok && h.arr ? naiveUnary(h.arr, (v) => s * v + b) : null),
    };
  }
  const p = pick(rng, [-2, -1, 0, 0.5, 1, 2, 3]);
  return {
    desc: `pow x=${fmt(h.shape)} ** ${p} ${dt}`,
    tol: tolFor(dt),
    leaves,
    run: () => pow(toTensor(ctx, h, leaves), p),
    want: () => h.arr && naiveUnary(h.arr, (v) => v ** p),
  };
}

type Bin = [string, (a: Tensor, b: Tensor | number) => Tensor, (x: number, y: number) => number];
const BINARY: Bin[] = [
  ['add', add, (x, y) => x + y],
  ['sub', sub, (x, y) => x - y],
  ['mul', mul, (x, y) => x * y],
  ['div', div, (x, y) => x / y],
  ['pow', pow, Math.pow],
  ['maximum', maximum, Math.max],
  ['minimum', minimum, Math.min],
  ['gt', gt, (x, y) => (x > y ? 1 : 0)],
  ['eq', eq, (x, y) => (x === y ? 1 : 0)],
];

/** Two shapes that broadcast (b drops leading dims and sets some to 1), or two unrelated shapes. */
function shapePair(rng: () => number): [number[], number[]] {
  const a = randShape(rng);
  if (rng() < 0.25) return [a, randShape(rng)];
  const b = a.slice(randInt(rng, 0, a.length)).map((d) => (rng() < 0.3 ? 1 : d));
  return rng() < 0.5 ? [a, b] : [b, a];
}

function binaryCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [name, f, ref] = pick(rng, BINARY);
  const [da, db] = dtypes(ctx);
  const [sa, sb] = shapePair(rng);
  const ha = hostInput(rng, sa, da, name === 'pow' ? 0.2 : -2, name === 'pow' ? 3 : 2);
  const hb = hostInput(rng, sb, db, name === 'pow' ? -2 : 0.5, 2);
  const leaves: Tensor[] = [];
  if (rng() < 0.1) {
    const s = pick(rng, [0.5, 2, -1.5, NaN]);
    return {
      desc: `${name} a=${fmt(sa)} b=${s} ${da}`,
      tol: tolFor(da),
      leaves,
      run: () => f(toTensor(ctx, ha, leaves), s),
      want: () => (Number.isNaN(s) || !ha.arr ? null : naiveBinary(ha.arr, { shape: [], data: Float64Array.of(da === 'float32' ? Math.fround(s) : s) }, ref)),
    };
  }
  return {
    desc: `${name} a=${fmt(sa)} ${da} b=${fmt(sb)} ${db}`,
    tol: tolFor(da),
    leaves,
    run: () => f(toTensor(ctx, ha, leaves), toTensor(ctx, hb, leaves)),
    want: () => (ha.arr && hb.arr && da === db ? naiveBinary(ha.arr, hb.arr, ref) : null),
  };
}

function randAxes(rng: () => number, rank: number): number | number[] | undefined {
  const r = rng();
  if (r < 0.2) return undefined;
  const one = (): number => (rng() < 0.05 ? pick(rng, [0.5, NaN]) : randInt(rng, -rank - 1, rank));
  if (r < 0.5) return one();
  return Array.from({ length: randInt(rng, 0, 3) }, one);
}

function reduceCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt] = dtypes(ctx);
  const op = pick(rng, ['sum', 'mean', 'max', 'min'] as const);
  const f = { sum, mean, max, min }[op];
  const h = hostInput(rng, randShape(rng), dt);
  const axes = randAxes(rng, h.shape.length);
  const keepDims = rng() < 0.5;
  const leaves: Tensor[] = [];
  return {
    desc: `${op} x=${fmt(h.shape)} axes=${fmt(axes)} keepDims=${keepDims} ${dt}`,
    tol: tolFor(dt),
    leaves,
    run: () => f(toTensor(ctx, h, leaves), axes, keepDims),
    want: () => h.arr && naiveReduce(h.arr, typeof axes === 'number' ? [axes] : axes, keepDims, op),
  };
}

function reshapeTarget(rng: () => number, shape: number[]): number[] {
  const n = sizeOf(shape);
  const r = rng();
  if (r < 0.2) return [n];
  if (r < 0.35) return [-1];
  if (r < 0.5) return [1, -1, 1];
  if (r < 0.6) return [n, 1].map((d) => (rng() < 0.3 ? -1 : d));
  return randShape(rng, 0, 3).map((d) => (rng() < 0.2 ? -1 : d));
}

function naiveReshape(x: Arr, target: number[]): Arr | null {
  const holes = target.filter((d) => d === -1).length;
  const known = target.filter((d) => d !== -1);
  if (holes > 1 || !known.every((d) => Number.isInteger(d) && d >= 0)) return null;
  const k = sizeOf(known);
  const n = x.data.length;
  if (holes === 1 && (k === 0 || n % k !== 0)) return null;
  const shape = target.map((d) => (d === -1 ? n / k : d));
  return sizeOf(shape) === n ? { shape, data: x.data } : null;
}

function naiveExpand(x: Arr, target: number[]): Arr | null {
  if (!target.every((d) => Number.isInteger(d) && d >= 0) || x.shape.length > target.length) return null;
  const b = broadcastShape(x.shape, target);
  if (b === null || fmt(b) !== fmt(target)) return null;
  return naiveBinary(x, { shape: target, data: new Float64Array(sizeOf(target)) }, (v) => v);
}

function movementCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt, dt2] = dtypes(ctx);
  const h = hostInput(rng, randShape(rng), dt);
  const r = h.shape.length;
  const leaves: Tensor[] = [];
  const x = (): Tensor => toTensor(ctx, h, leaves);
  const base = { tol: tolFor(dt), leaves };
  const which = randInt(rng, 0, 5);
  if (which === 0) {
    const target = h.arr ? reshapeTarget(rng, h.shape) : [1];
    return { ...base, desc: `reshape x=${fmt(h.shape)} → ${fmt(target)}`, run: () => reshape(x(), target), want: () => h.arr && naiveReshape(h.arr, target) };
  }
  if (which === 1) {
    const perm = Array.from({ length: r }, (_, i) => i).sort(() => rng() - 0.5);
    if (rng() < 0.15) perm[randInt(rng, 0, Math.max(0, r - 1))] = pick(rng, [r, 0.5, -1]);
    if (rng() < 0.5) {
      return { ...base, desc: `permute x=${fmt(h.shape)} perm=${fmt(perm)}`, run: () => permute(x(), perm), want: () => h.arr && naivePermute(h.arr, perm) };
    }
    const d0 = randInt2(rng, -r, r - 1, 0.1);
    const d1 = randInt2(rng, -r, r - 1, 0.1);
    const ok = [d0, d1].every((d) => Number.isInteger(d) && d >= -r && d < r);
    const p = Array.from({ length: r }, (_, i) => i);
    if (ok) [p[(d0 + r) % r], p[(d1 + r) % r]] = [p[(d1 + r) % r], p[(d0 + r) % r]];
    return {
      ...base,
      desc: `transpose x=${fmt(h.shape)} dims=${d0},${d1}`,
      run: () => transpose(x(), d0, d1),
      want: () => (ok && h.arr ? naivePermute(h.arr, p) : null),
    };
  }
  if (which === 2) {
    const len = rng() < 0.05 ? r + 1 : r;
    const begin = Array.from({ length: len }, (_, d) => randInt(rng, -1, (h.shape[d] || 0) + 1) * (rng() < 0.02 ? 0.5 : 1));
    const size = Array.from({ length: len }, (_, d) => (rng() < 0.2 ? -1 : randInt(rng, -1, (h.shape[d] || 0) + 1)));
    return {
      ...base,
      desc: `slice x=${fmt(h.shape)} begin=${fmt(begin)} size=${fmt(size)}`,
      run: () => slice(x(), begin, size),
      want: () => h.arr && naiveSlice(h.arr, begin, size),
    };
  }
  if (which === 3) {
    const pads = Array.from({ length: rng() < 0.05 ? r + 1 : r }, () => [randInt2(rng, 0, 2, 0.05), randInt2(rng, 0, 2, 0.05)] as [number, number]);
    const value = rng() < 0.05 ? NaN : pick(rng, [0, 1.5]);
    return {
      ...base,
      desc: `pad x=${fmt(h.shape)} pads=${fmt(pads)} value=${value}`,
      run: () => pad(x(), pads, value),
      want: () => (Number.isNaN(value) || !h.arr ? null : naivePad(h.arr, pads, value)),
    };
  }
  if (which === 4) {
    const axis = randInt2(rng, -r, r - 1, 0.1);
    const a = Number.isInteger(axis) ? (axis + r) % Math.max(r, 1) : 0;
    const others: HostInput[] = Array.from({ length: randInt(rng, 0, 2) }, () => {
      const s = h.shape.map((d, j) => (j === a ? randDim(rng, 3, 0) : rng() < 0.05 ? d + 1 : d));
      return hostInput(rng, s, dt2);
    });
    const all = [h, ...others];
    return {
      ...base,
      desc: `concat ${all.map((t) => `${fmt(t.shape)} ${t.dtype}`).join(' ')} axis=${axis}`,
      run: () =>
        concat(
          all.map((t) => toTensor(ctx, t, leaves)),
          axis,
        ),
      want: () =>
        all.every((t) => t.arr !== null) && all.every((t) => t.dtype === dt)
          ? naiveConcat(
              all.map((t) => t.arr!),
              axis,
            )
          : null,
    };
  }
  const src = hostInput(
    rng,
    h.shape.map((d) => (rng() < 0.5 ? 1 : d)),
    dt,
  );
  const target = [...randShape(rng, 0, 1, 3, 0), ...src.shape.map((d) => (d === 1 && rng() < 0.6 ? randDim(rng, 3, 0.1) : d))];
  return {
    ...base,
    desc: `expand x=${fmt(src.shape)} → ${fmt(target)}`,
    run: () => expand(toTensor(ctx, src, leaves), target),
    want: () => src.arr && naiveExpand(src.arr, target),
  };
}

function matmulCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [da, db] = dtypes(ctx);
  const [M, K, N] = [randDim(rng, 4, 0), randDim(rng, 4, 0), randDim(rng, 4, 0)];
  const K2 = rng() < 0.1 ? K + 1 : K;
  const [ba, bb] = rng() < 0.7 ? shapePair(rng).map((s) => s.slice(0, 2)) : [[], []];
  const transA = rng() < 0.3;
  const transB = rng() < 0.3;
  const sa = rng() < 0.05 ? [K] : [...ba, ...(transA ? [K, M] : [M, K])];
  const sb = [...bb, ...(transB ? [N, K2] : [K2, N])];
  const ha = hostInput(rng, sa, da);
  const hb = hostInput(rng, sb, db);
  const leaves: Tensor[] = [];
  return {
    desc: `matmul a=${fmt(sa)}${transA ? 'ᵀ' : ''} ${da} b=${fmt(sb)}${transB ? 'ᵀ' : ''} ${db}`,
    tol: tolFor(da),
    leaves,
    run: () => matmul(toTensor(ctx, ha, leaves), toTensor(ctx, hb, leaves), { transA, transB }),
    want: () => (ha.arr && hb.arr && da === db ? naiveMatmul(ha.arr, hb.arr, transA, transB) : null),
  };
}

/** Generators with their relative frequency. */
export const TENSOR_GENERATORS: [number, (ctx: FuzzContext) => FuzzCase][] = [
  [3, unaryCase],
  [4, binaryCase],
  [3, reduceCase],
  [5, movementCase],
  [2, matmulCase],
];
