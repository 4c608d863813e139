// Tensor creation: from arrays and typed arrays, constants, seeded random draws, and ndarray views.

import ndarray from 'ndarray';
import { CondgradError, checkBool, checkFinite, checkShape, describeValue, fmtShape, checkOptions } from './errors.js';
import { allocArray, dtypeOfArray, isDType, type DType, type FloatArray } from './dtype.js';
import { defaultRng, Rng } from './random.js';
import { getBackend } from './engine.js';
import { checkAllocation } from './limits.js';
import { Tensor } from './tensor.js';
import type { AnyBackend, BackendName } from './backend.js';
import { sizeOf } from './shape.js';

export interface CreateOptions {
  dtype?: DType;
  backend?: BackendName | AnyBackend;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  /** Seed for a private generator; otherwise `rng`, otherwise the global generator (manualSeed). */
  seed?: number;
  rng?: Rng;
}

function resolveBackend(op: string, b: BackendName | AnyBackend | undefined, dtype: DType): AnyBackend {
  if (b !== undefined && typeof b !== 'string' && (b === null || typeof b !== 'object' || !Array.isArray((b as { dtypes?: unknown }).dtypes))) {
    throw new CondgradError(op, `backend must be 'cpu', 'wasm', 'gpu' or a backend object, got ${describeValue(b)}`);
  }
  const backend = b === undefined ? getBackend() : typeof b === 'string' ? getBackend(b) : b;
  if (!backend.dtypes.includes(dtype)) throw new CondgradError(op, `backend '${backend.name}' does not store ${dtype}`);
  return backend;
}

function checkDType(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) throw new CondgradError(op, `dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  return dtype;
}

/** Wraps host data (copied) as a tensor. */
export function fromArray(op: string, data: FloatArray, shape: readonly number[], opts: CreateOptions): Tensor {
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `options must be an object, got ${describeValue(opts)}`);
  const requiresGrad = checkBool(op, 'requiresGrad', opts.requiresGrad ?? false);
  const backend = resolveBackend(op, opts.backend, dtypeOfArray(data));
  return new Tensor(backend.fromArray(data), shape, backend, requiresGrad);
}

function flatten(op: string, v: unknown, shape: number[], out: number[], depth: number): void {
  if (Array.isArray(v)) {
    if (shape.length === depth) {
      // The shape is fixed once the first number is seen; a new dim after that is a ragged array.
      if (out.length > 0) throw new CondgradError(op, `ragged nested array: an array appears at depth ${depth} where numbers were seen`);
      shape.push(v.length);
    } else if (shape[depth] !== v.length)
      throw new CondgradError(op, `ragged nested array: expected ${shape[depth]} entries at depth ${depth}, got ${v.length}`);
    for (const e of v) flatten(op, e, shape, out, depth + 1);
  } else {
    if (shape.length !== depth)
      throw new CondgradError(op, `ragged nested array: a number appears at depth ${depth} where arrays of rank ${shape.length} were seen`);
    if (typeof v !== 'number') throw new CondgradError(op, `entries must be numbers, got ${typeof v}`);
    out.push(v);
  }
}

/**
 * A tensor from a (nested) number array or a typed array. `shape` is required for flat typed
 * arrays of rank > 1 and must match the data's length.
 */
export function tensor(data: number | number[] | unknown[] | FloatArray, shape?: readonly number[], opts: CreateOptions = {}): Tensor {
  const op = 'tensor';
  checkOptions(op, opts);
  let values: FloatArray;
  let inferred: number[];
  const dtype = checkDType(op, opts.dtype ?? (data instanceof Float64Array ? 'float64' : 'float32'));
  if (data instanceof Float32Array || data instanceof Float64Array) {
    values = dtypeOfArray(data) === dtype ? data.slice() : dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
    inferred = [data.length];
  } else if (typeof data === 'number') {
    values = allocArray(dtype, 1);
    values[0] = data;
    inferred = [];
  } else {
    const flat: number[] = [];
    inferred = [];
    flatten(op, data, inferred, flat, 0);
    values = dtype === 'float32' ? Float32Array.from(flat) : Float64Array.from(flat);
  }
  const s = shape === undefined ? inferred : [...checkShape(op, 'shape', shape, false)];
  if (sizeOf(s) !== values.length) throw new CondgradError(op, `shape ${fmtShape(s)} needs ${sizeOf(s)} values, data has ${values.length}`);
  return fromArray(op, values, s, opts);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  checkOptions('full', opts);
  checkShape('full', 'shape', shape, false);
  checkFinite('full', 'value', value);
  const dtype = checkDType('full', opts.dtype ?? 'float32');
  checkAllocation('full', shape, dtype);
  const a = allocArray(dtype, sizeOf(shape));
  if (value !== 0) a.fill(value);
  return fromArray('full', a, shape, opts);
}

/** A tensor of zeros. */
export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

function rngOf(op: string, opts: RandomOptions): Rng {
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `options must be an object, got ${describeValue(opts)}`);
  if (opts.rng !== undefined && !(opts.rng instanceof Rng)) throw new CondgradError(op, `rng must be an Rng, got ${describeValue(opts.rng)}`);
  if (opts.seed !== undefined && opts.rng !== undefined) throw new CondgradError(op, 'give seed or rng, not both');
  if (opts.seed !== undefined) checkFinite(op, 'seed', opts.seed);
  return opts.rng ?? (opts.seed !== undefined ? new Rng(opts.seed) : defaultRng());
}

/** Uniform draws in [low, high). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  checkOptions('rand', opts);
  checkShape('rand', 'shape', shape, false);
  const rng = rngOf('rand', opts);
  const lo = checkFinite('rand', 'low', opts.low ?? 0);
  const hi = checkFinite('rand', 'high', opts.high ?? 1);
  if (!(lo < hi)) throw new CondgradError('rand', `low must be < high, got low=${lo} high=${hi} (shape ${fmtShape(shape)})`);
  if (!Number.isFinite(hi - lo)) throw new CondgradError('rand', `high − low overflows: low=${lo} high=${hi}`);
  const dtype = checkDType('rand', opts.dtype ?? 'float32');
  checkAllocation('rand', shape, dtype);
  const a = allocArray(dtype, sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(lo, hi);
  return fromArray('rand', a, shape, opts);
}

/** Normal draws with the given mean and standard deviation. */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  checkOptions('randn', opts);
  checkShape('randn', 'shape', shape, false);
  const rng = rngOf('randn', opts);
  const mean = checkFinite('randn', 'mean', opts.mean ?? 0);
  const std = checkFinite('randn', 'std', opts.std ?? 1);
  if (std < 0) throw new CondgradError('randn', `std must be >= 0, got ${std} (shape ${fmtShape(shape)})`);
  const dtype = checkDType('randn', opts.dtype ?? 'float32');
  checkAllocation('randn', shape, dtype);
  const a = allocArray(dtype, sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = mean + std * rng.normal();
  return fromArray('randn', a, shape, opts);
}

/** Copies an ndarray view (any strides/offset) into a new tensor. */
export function fromNdarray(nd: ndarray.NdArray<FloatArray | number[]>, opts: CreateOptions = {}): Tensor {
  const o = nd as unknown as { shape?: unknown; get?: unknown; data?: unknown } | null;
  if (o === null || typeof o !== 'object' || !Array.isArray(o.shape) || typeof o.get !== 'function') {
    throw new CondgradError('fromNdarray', `nd must be an ndarray (with shape and get), got ${describeValue(nd)}`);
  }
  checkOptions('fromNdarray', opts);
  const shape = [...checkShape('fromNdarray', 'nd.shape', o.shape, false)];
  const dtype = opts.dtype ?? (nd.data instanceof Float64Array ? 'float64' : 'float32');
  checkAllocation('fromNdarray', shape, checkDType('fromNdarray', dtype));
  const out = allocArray(dtype, sizeOf(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    const v = nd.get(...idx);
    if (typeof v !== 'number')
      throw new CondgradError('fromNdarray', `entry at [${idx.join(',')}] is ${describeValue(v)}, not a number (shape ${fmtShape(shape)})`);
    out[i] = v;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return fromArray('fromNdarray', out, shape, opts);
}

/** An ndarray over a copy of the tensor's data (synchronous backends). */
export function toNdarray(t: Tensor): ndarray.NdArray<FloatArray> {
  return ndarray(t.dataSync(), [...t.shape]);
}
