// Tensor creation: from arrays and typed arrays, constants, seeded random draws, and ndarray views.

import ndarray from 'ndarray';
import { CondgradError, checkFinite, checkShape, fmtShape } from './errors.js';
import { allocArray, dtypeOfArray, isDType, type DType, type FloatArray } from './dtype.js';
import { defaultRng, Rng } from './random.js';
import { getBackend } from './engine.js';
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
  const backend = resolveBackend(op, opts.backend, dtypeOfArray(data));
  return new Tensor(backend.fromArray(data), shape, backend, opts.requiresGrad ?? false);
}

function flatten(op: string, v: unknown, shape: number[], out: number[], depth: number): void {
  if (Array.isArray(v)) {
    if (shape.length === depth) {
      // The shape is fixed once the first number is seen; a new dim after that is a ragged array.
      if (out.length > 0) throw new CondgradError(op, `ragged nested array: an array appears at depth ${depth} where numbers were seen`);
      shape.push(v.length);
    } else if (shape[depth] !== v.length) throw new CondgradError(op, `ragged nested array: expected ${shape[depth]} entries at depth ${depth}, got ${v.length}`);
    for (const e of v) flatten(op, e, shape, out, depth + 1);
  } else {
    if (shape.length !== depth) throw new CondgradError(op, `ragged nested array: a number appears at depth ${depth} where arrays of rank ${shape.length} were seen`);
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
  let values: FloatArray;
  let inferred: number[];
  const dtype = checkDType(op, opts.dtype ?? (data instanceof Float64Array ? 'float64' : 'float32'));
  if (data instanceof Float32Array || data instanceof Float64Array) {
    values = dtypeOfArray(data) === dtype ? data.slice() : (dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data));
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
  checkShape('full', 'shape', shape, false);
  checkFinite('full', 'value', value);
  const a = allocArray(checkDType('full', opts.dtype ?? 'float32'), sizeOf(shape));
  if (value !== 0) a.fill(value);
  return fromArray('full', a, shape, opts);
}

export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

function rngOf(opts: RandomOptions): Rng {
  return opts.rng ?? (opts.seed !== undefined ? new Rng(opts.seed) : defaultRng());
}

/** Uniform draws in [low, high). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  checkShape('rand', 'shape', shape, false);
  const rng = rngOf(opts);
  const lo = opts.low ?? 0;
  const hi = opts.high ?? 1;
  const a = allocArray(checkDType('rand', opts.dtype ?? 'float32'), sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = rng.uniform(lo, hi);
  return fromArray('rand', a, shape, opts);
}

/** Normal draws with the given mean and standard deviation. */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  checkShape('randn', 'shape', shape, false);
  const rng = rngOf(opts);
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  const a = allocArray(checkDType('randn', opts.dtype ?? 'float32'), sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = mean + std * rng.normal();
  return fromArray('randn', a, shape, opts);
}

/** Copies an ndarray view (any strides/offset) into a new tensor. */
export function fromNdarray(nd: ndarray.NdArray<FloatArray | number[]>, opts: CreateOptions = {}): Tensor {
  const shape = [...nd.shape];
  const dtype = opts.dtype ?? (nd.data instanceof Float64Array ? 'float64' : 'float32');
  const out = allocArray(checkDType('fromNdarray', dtype), sizeOf(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    out[i] = nd.get(...idx);
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
