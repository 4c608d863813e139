// Fuzz generators for the reliability classes: in-place writes before backward, extreme finite values, NaN, absurd shapes, thenables in tidy.

import { ones, tensor, zeros } from '../../core/creation.js';
import type { DType } from '../../core/dtype.js';
import { noGrad } from '../../core/engine.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { relu, relu6 } from '../../ops/activations.js';
import { add, div, exp, maximum, minimum, mul, sign } from '../../ops/arithmetic.js';
import { conv2d } from '../../ops/conv.js';
import { matmul } from '../../ops/matmul.js';
import { batchNorm2d } from '../../ops/norm.js';
import { maxPool2d } from '../../ops/pool.js';
import { max, mean, min } from '../../ops/reduce.js';
import { expand, sum } from '../../ops/broadcast.js';
import { pad } from '../../ops/shape.js';
import { crossEntropy } from '../../ops/softmax.js';
import { fmt, type FuzzCase, type FuzzContext } from './fuzz_core.js';
import { arr, naiveBinary, naiveReduce, naiveUnary, ravel, type Arr } from './naive.js';
import { naivePool } from './naive_nn.js';
import { pick, randInt } from './rng.js';

/** Near the top of each dtype's finite range. */
const BIG: Record<DType, number> = { float32: 3e38, float64: 1e308 };

/** Uniform in [lo, hi), written so that hi − lo never overflows (lo = −1e308, hi = 1e308). */
function values(rng: () => number, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => {
    const r = rng();
    return lo * (1 - r) + hi * r;
  });
}

const on = (ctx: FuzzContext, dtype: DType, requiresGrad = false) => ({ backend: ctx.backend, dtype, requiresGrad });

/**
 * y = op(x, w) for leaves x, w; then either an in-place write to w before backward (which must
 * raise when op reads w, and leave the gradient right when it does not), or no write. The case's
 * result is dx, compared with its reference.
 */
function inplaceCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const dt = pick(rng, ctx.dtypes);
  const n = randInt(rng, 1, 6);
  const xv = values(rng, n, 0.5, 2),
    wv = values(rng, n, 0.5, 2);
  const ops: [string, (x: Tensor, w: Tensor) => Tensor, (x: number, w: number) => number, boolean][] = [
    ['mul', mul, (_x, w) => w, true],
    ['div', div, (_x, w) => 1 / w, true],
    ['add', add, () => 1, false],
    ['maximum', maximum, (x, w) => (x >= w ? 1 : 0), true],
  ];
  const [name, f, dxRef, reads] = pick(rng, ops);
  const write = rng() < 0.5;
  const leaves: Tensor[] = [];
  return {
    desc: `inplace ${name} x=[${n}] ${dt}${write ? ' with w.assign before backward' : ''}`,
    tol: dt === 'float64' ? 1e-12 : 1e-6,
    leaves,
    run: () => {
      const x = tensor(xv, undefined, on(ctx, dt, true));
      const w = tensor(wv, undefined, on(ctx, dt, true));
      const y = sum(f(x, w));
      if (write) w.assign(noGrad(() => mul(w, 10)));
      y.backward();
      return x.grad!;
    },
    want: () =>
      write && reads
        ? null
        : arr(
            [n],
            xv.map((x, i) => dxRef(dt === 'float32' ? Math.fround(x) : x, dt === 'float32' ? Math.fround(wv[i]) : wv[i])),
          ),
  };
}

/** Per-row reference of crossEntropy with label = argmax, and of a mean; both finite for finite input. */
function extremeCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const dt = pick(rng, ctx.dtypes);
  const big = BIG[dt];
  const round = (v: number): number => (dt === 'float32' ? Math.fround(v) : v);
  const kind = pick(rng, ['crossEntropy', 'mean', 'batchNorm2d', 'cancel'] as const);
  const leaves: Tensor[] = [];
  const tol = dt === 'float64' ? 1e-9 : 2e-4;
  if (kind === 'crossEntropy') {
    const B = randInt(rng, 1, 3),
      C = randInt(rng, 2, 5);
    const v = values(rng, B * C, -big, big).map(round);
    const labels = Array.from({ length: B }, (_, b) => {
      const row = v.slice(b * C, b * C + C);
      return row.indexOf(Math.max(...row));
    });
    let total = 0;
    for (let b = 0; b < B; b++) {
      const row = v.slice(b * C, b * C + C);
      const m = Math.max(...row);
      total += Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)) + m - row[labels[b]];
    }
    return {
      desc: `extreme crossEntropy [${B},${C}] ±${big} ${dt}`,
      tol,
      leaves,
      run: () => crossEntropy(tensor(v, [B, C], on(ctx, dt)), labels),
      want: () => arr([], [total / B]),
    };
  }
  if (kind === 'cancel') {
    const reps = randInt(rng, 1, 40);
    const v = Array.from({ length: reps }, () => [1e8, 1, -1e8]).flat();
    return { desc: `sum of ${reps}×[1e8, 1, −1e8] ${dt}`, tol: 0, leaves, run: () => sum(tensor(v, undefined, on(ctx, dt))), want: () => arr([], [reps]) };
  }
  if (kind === 'mean') {
    const shape = [randInt(rng, 1, 4), randInt(rng, 1, 5)];
    const v = values(rng, shape[0] * shape[1], 0.5 * big, big).map((x) => round(rng() < 0.3 ? -x : x));
    const axis = pick(rng, [0, 1]);
    const x = arr(
      shape,
      v.map((u) => u / shape[axis]),
    );
    return {
      desc: `extreme mean x=${fmt(shape)} axis ${axis} ±${big} ${dt}`,
      tol: dt === 'float64' ? 1e-9 : 1e-5,
      leaves,
      run: () => mean(tensor(v, shape, on(ctx, dt)), axis),
      want: () => naiveReduce(x, [axis], false, 'sum'),
    };
  }
  const shape = [randInt(rng, 1, 2), randInt(rng, 1, 2), randInt(rng, 1, 3), randInt(rng, 2, 3)];
  const v = values(rng, shape[0] * shape[1] * shape[2] * shape[3], 0.5 * big, big).map((u) => round(rng() < 0.3 ? -u : u));
  return {
    desc: `extreme batchNorm2d x=${fmt(shape)} ±${big} ${dt}`,
    tol: 2e-3,
    leaves,
    run: () => batchNorm2d(tensor(v, shape, on(ctx, dt)), { training: true }),
    want: () => scaledBatchNorm(arr(shape, v)),
  };
}

/** Training-mode batch norm computed on x / max|x| (so the float64 reference itself cannot overflow). */
function scaledBatchNorm(x: Arr): Arr {
  const [B, C, H, W] = x.shape;
  const out = arr(x.shape);
  for (let c = 0; c < C; c++) {
    const idx: number[] = [];
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) idx.push(ravel([b, c, h, w], x.shape));
    const s = Math.max(...idx.map((i) => Math.abs(x.data[i])));
    const xs = idx.map((i) => x.data[i] / s);
    const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mu) ** 2, 0) / xs.length;
    idx.forEach((i, k) => {
      out.data[i] = (xs[k] - mu) / Math.sqrt(variance + 1e-5 / (s * s));
    });
  }
  return out;
}

/** NaN at random places in, NaN at the places the definition says out (the case sets nanOk). */
function nanCase(ctx: FuzzContext): FuzzCase & { nanOk: true } {
  const { rng } = ctx;
  const dt = pick(rng, ctx.dtypes);
  const shape = [1, randInt(rng, 1, 2), randInt(rng, 2, 5), randInt(rng, 2, 9)];
  const n = shape.reduce((a, b) => a * b, 1);
  const v = values(rng, n, -3, 3).map((u) => (rng() < 0.15 ? NaN : dt === 'float32' ? Math.fround(u) : u));
  const x = arr(shape, v);
  const leaves: Tensor[] = [];
  const t = (): Tensor => tensor(v, shape, on(ctx, dt));
  const kind = pick(rng, ['relu', 'relu6', 'sign', 'maximum', 'minimum', 'max', 'min', 'maxPool2d'] as const);
  const base = { tol: dt === 'float64' ? 1e-12 : 1e-6, leaves, nanOk: true as const };
  switch (kind) {
    case 'relu':
      return { ...base, desc: `NaN relu x=${fmt(shape)} ${dt}`, run: () => relu(t()), want: () => naiveUnary(x, (u) => (u !== u ? u : Math.max(u, 0))) };
    case 'relu6':
      return {
        ...base,
        desc: `NaN relu6 x=${fmt(shape)} ${dt}`,
        run: () => relu6(t()),
        want: () => naiveUnary(x, (u) => (u !== u ? u : Math.min(Math.max(u, 0), 6))),
      };
    case 'sign':
      return { ...base, desc: `NaN sign x=${fmt(shape)} ${dt}`, run: () => sign(t()), want: () => naiveUnary(x, (u) => Math.sign(u) + 0) };
    case 'maximum':
    case 'minimum': {
      const flip = rng() < 0.5;
      const f = kind === 'maximum' ? maximum : minimum;
      const ref = kind === 'maximum' ? Math.max : Math.min;
      const zero = arr([1], [0]);
      return {
        ...base,
        desc: `NaN ${kind}(${flip ? '0, x' : 'x, 0'}) x=${fmt(shape)} ${dt}`,
        run: () => (flip ? f(tensor([0], undefined, on(ctx, dt)), t()) : f(t(), tensor([0], undefined, on(ctx, dt)))),
        want: () => (flip ? naiveBinary(zero, x, ref) : naiveBinary(x, zero, ref)),
      };
    }
    case 'max':
    case 'min': {
      const axis = randInt(rng, 0, 3);
      return {
        ...base,
        desc: `NaN ${kind} x=${fmt(shape)} axis ${axis} ${dt}`,
        run: () => (kind === 'max' ? max : min)(t(), axis),
        want: () => naiveReduce(x, [axis], false, kind),
      };
    }
    case 'maxPool2d': {
      const k = pick(rng, [1, 2, 3]);
      const s = pick(rng, [1, 2]);
      return {
        ...base,
        desc: `NaN maxPool2d x=${fmt(shape)} k=${k} s=${s} ${dt}`,
        run: () => maxPool2d(t(), { kernelSize: k, stride: s }),
        want: () => naivePool(x, { k: [k, k], stride: [s, s], pad: [0, 0, 0, 0], mode: 'max', countIncludePad: true }),
      };
    }
  }
}

/** Shapes whose results could never be allocated: each must raise a CondgradError (not a RangeError). */
function absurdCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const dt = pick(rng, ctx.dtypes);
  const huge = pick(rng, [65536, 1e5, 2 ** 31, 1e6]);
  const o = on(ctx, dt);
  const calls: [string, () => Tensor][] = [
    [`zeros([${huge},${huge},${huge}])`, () => zeros([huge, huge, huge], o)],
    [`matmul(ones([${huge},1]), ones([1,${huge}]))`, () => matmul(ones([huge, 1], o), ones([1, huge], o))],
    [`expand(ones([1,1]), [${huge},${huge}])`, () => expand(ones([1, 1], o), [huge, huge])],
    [`pad(ones([2]), ${huge}²)`, () => pad(ones([2], o), [[huge * huge, 0]])],
    [`conv2d padding ${huge * 2 ** 12}`, () => conv2d(ones([1, 1, 3, 3], o), ones([1, 1, 3, 3], o), null, { padding: huge * 2 ** 12 })],
  ];
  const [desc, run] = pick(rng, calls);
  return { desc: `absurd ${desc} ${dt}`, tol: 0, leaves: [], run, want: () => null };
}

/** tidy() or noGrad() given an async function or a thenable result: a CondgradError, nothing freed under the caller. */
function thenableCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const o = on(ctx, pick(rng, ctx.dtypes));
  const calls: [string, () => Tensor][] = [
    ['tidy(async fn)', () => tidy(async () => ones([2], o)) as unknown as Tensor],
    ['tidy(fn returning a thenable)', () => tidy(() => ({ then: () => undefined })) as unknown as Tensor],
    ['noGrad(async fn)', () => noGrad(async () => ones([2], o)) as unknown as Tensor],
    [
      'tidy(async fn awaiting first)',
      () =>
        tidy(async () => {
          await Promise.resolve();
          return exp(ones([2], o));
        }) as unknown as Tensor,
    ],
  ];
  const [desc, run] = pick(rng, calls);
  return { desc, tol: 0, leaves: [], run, want: () => null };
}

/** Weighted generators of the reliability classes (added to the op fuzz). */
export const RELIABILITY_GENERATORS: [number, (ctx: FuzzContext) => FuzzCase][] = [
  [3, inplaceCase],
  [3, extremeCase],
  [3, nanCase],
  [1, absurdCase],
  [1, thenableCase],
];
