// Fuzz-test plumbing: a case type, host inputs that become tensors (or fail to), and random shapes and configs.

import { tensor } from '../../core/creation.js';
import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import { arr, sizeOf, type Arr } from './naive.js';
import { pick, randInt } from './rng.js';

/** One random op call: `run` builds the tensors and calls the op; `want` is the reference, or null when the call is invalid. */
export interface FuzzCase {
  readonly desc: string;
  run(): Tensor;
  want(): Arr | null;
  /** Relative tolerance (absolute near zero) for the comparison. */
  readonly tol: number;
  /** Leaves created by run() that require grad, for the gradient sanity check. */
  readonly leaves: Tensor[];
  /** NaN inputs on purpose: a NaN in the reference must be a NaN in the result (and only there). */
  readonly nanOk?: boolean;
}

export interface FuzzContext {
  readonly rng: () => number;
  readonly backend: AnyBackend;
  readonly dtypes: readonly DType[];
  /** Whether inputs should require grad (float64 synchronous backends). */
  readonly grad: boolean;
}

/** A host-side input: its data (rounded to its dtype) when the shape is valid, else null. */
export interface HostInput {
  readonly shape: number[];
  readonly dtype: DType;
  readonly arr: Arr | null;
}

export const isValidShape = (s: readonly number[]): boolean => s.every((d) => Number.isInteger(d) && d >= 0);

export function hostInput(rng: () => number, shape: number[], dtype: DType, lo = -2, hi = 2): HostInput {
  if (!isValidShape(shape)) return { shape, dtype, arr: null };
  const n = sizeOf(shape);
  const data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * rng();
  return { shape, dtype, arr: arr(shape, data) };
}

/** The tensor for a host input (throws a CondgradError from tensor() when the shape is invalid). */
export function toTensor(ctx: FuzzContext, h: HostInput, leaves: Tensor[]): Tensor {
  const data = h.arr ? h.arr.data : new Float64Array(0);
  const typed = h.dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
  const t = tensor(typed, h.shape, { dtype: h.dtype, backend: ctx.backend, requiresGrad: ctx.grad && h.dtype === 'float64' && h.arr !== null });
  if (t.requiresGrad) leaves.push(t);
  return t;
}

/** The tolerance for results computed in `dtype`. */
export const tolFor = (dtype: DType, f32 = 2e-4): number => (dtype === 'float64' ? 1e-9 : f32);

/** A dim size: mostly 1..max, sometimes 0, rarely invalid (negative, NaN, fractional). */
export function randDim(rng: () => number, max = 4, bad = 0.03): number {
  const r = rng();
  if (r < bad) return pick(rng, [-1, NaN, 1.5, -3]);
  if (r < bad + 0.07) return 0;
  return randInt(rng, 1, max);
}

export function randShape(rng: () => number, minRank = 0, maxRank = 4, max = 4, bad = 0.03): number[] {
  return Array.from({ length: randInt(rng, minRank, maxRank) }, () => randDim(rng, max, bad));
}

/** A dtype, and occasionally (when the backend has two) the other one for a second operand. */
export function dtypes(ctx: FuzzContext): [DType, DType] {
  const d = pick(ctx.rng, ctx.dtypes);
  const other = ctx.dtypes.find((x) => x !== d);
  return [d, other !== undefined && ctx.rng() < 0.05 ? other : d];
}

/** An integer config value in [lo, hi], or rarely a bad one (NaN, fractional, out of range). */
export function randInt2(rng: () => number, lo: number, hi: number, bad = 0.05): number {
  if (rng() < bad) return pick(rng, [NaN, 0.5, lo - 1, Infinity]);
  return randInt(rng, lo, hi);
}

export const fmt = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
