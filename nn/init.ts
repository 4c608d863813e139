// Parameter initialisation: PyTorch's default formulas (kaiming_uniform with a=√5, uniform bias), fans, and per-expert init for CondConv.

import { CondgradError, checkFinite, checkInt, checkOptions, checkShape, describeValue, fmtShape } from '../core/errors.js';
import { checkAllocation } from '../core/limits.js';
import { allocArray, type DType, type FloatArray } from '../core/dtype.js';
import { defaultRng, Rng } from '../core/random.js';
import { tensor } from '../core/creation.js';
import type { Tensor } from '../core/tensor.js';
import type { AnyBackend, BackendName } from '../core/backend.js';
import { sizeOf } from '../core/shape.js';

/** Options every layer with parameters accepts: where its random init comes from, and its dtype/backend. */
export interface InitOptions {
  /** Generator for the initial weights; default: a generator seeded with `seed`, else the global one (manualSeed). */
  rng?: Rng;
  seed?: number;
  dtype?: DType;
  backend?: BackendName | AnyBackend;
}

/** The generator an InitOptions names. */
export function initRng(opts: InitOptions): Rng {
  return opts.rng ?? (opts.seed !== undefined ? new Rng(opts.seed) : defaultRng());
}

/**
 * PyTorch's fan-in of a weight: shape[1] · prod(shape[2:]) (Linear [out, in] → in; Conv
 * [O, C/g, kH, kW] → C/g · kH · kW).
 */
/** Shape, generator and options of a parameter initialiser (rng null where none is used); the size is checked against the allocation limit. */
function checkParamArgs(op: string, shape: readonly number[], rng: Rng | null, opts: InitOptions): void {
  checkShape(op, 'shape', shape, false);
  if (rng !== null && !(rng instanceof Rng)) throw new CondgradError(op, `rng must be an Rng, got ${describeValue(rng)} (shape ${fmtShape(shape)})`);
  checkOptions(op, opts);
  checkAllocation(op, shape, opts.dtype ?? 'float32');
}

export function fanIn(shape: readonly number[]): number {
  checkShape('fanIn', 'shape', shape);
  if (shape.length < 2) throw new CondgradError('fanIn', `weight must have rank >= 2, got ${fmtShape(shape)}`);
  return sizeOf(shape.slice(1));
}

/** kaiming_uniform bound: gain · √(3 / fanIn) with gain = √(2 / (1 + a²)); a = √5 gives 1/√fanIn. */
export function kaimingUniformBound(fan: number, a = Math.sqrt(5)): number {
  return Math.sqrt(2 / (1 + a * a)) * Math.sqrt(3 / fan);
}

/** Fills `out` with draws uniform in [-bound, bound). */
function fillUniform(out: FloatArray, bound: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-bound, bound);
}

function leafOf(data: FloatArray, shape: readonly number[], opts: InitOptions): Tensor {
  return tensor(data, shape, { dtype: opts.dtype ?? 'float32', backend: opts.backend, requiresGrad: true });
}

/** A parameter uniform in [-bound, bound). */
export function uniformParam(shape: readonly number[], bound: number, rng: Rng, opts: InitOptions = {}): Tensor {
  checkParamArgs('uniformParam', shape, rng, opts);
  checkFinite('uniformParam', 'bound', bound);
  const a = allocArray(opts.dtype ?? 'float32', sizeOf(shape));
  fillUniform(a, bound, rng);
  return leafOf(a, shape, opts);
}

/** PyTorch's default weight init: kaiming_uniform(a=√5) at the weight's own fan-in, i.e. U(±1/√fanIn). */
export function kaimingUniformParam(shape: readonly number[], rng: Rng, opts: InitOptions = {}): Tensor {
  return uniformParam(shape, kaimingUniformBound(fanIn(shape)), rng, opts);
}

/** PyTorch's default bias init: U(±1/√fanIn) with the fan-in of the weight it belongs to. */
export function biasParam(shape: readonly number[], weightFanIn: number, rng: Rng, opts: InitOptions = {}): Tensor {
  return uniformParam(shape, 1 / Math.sqrt(weightFanIn), rng, opts);
}

/**
 * Expert weights [K, ...expertShape], each expert initialised on its own by kaiming_uniform(a=√5)
 * at the fan of `expertShape` (e.g. [O, C/g, kH, kW] → C/g · kH · kW). Initialising the whole
 * [K, ...] tensor at once would take fan-in from its shape[1] and make the weights far too small.
 */
export function expertsParam(numExperts: number, expertShape: readonly number[], rng: Rng, opts: InitOptions = {}): Tensor {
  checkInt('expertsParam', 'numExperts', numExperts, 1);
  checkParamArgs('expertsParam', expertShape, rng, opts);
  const per = sizeOf(expertShape);
  const bound = kaimingUniformBound(fanIn(expertShape));
  const a = allocArray(opts.dtype ?? 'float32', numExperts * per);
  for (let k = 0; k < numExperts; k++) fillUniform(a.subarray(k * per, (k + 1) * per), bound, rng);
  return leafOf(a, [numExperts, ...expertShape], opts);
}

/** A constant parameter (BatchNorm's weight 1 and bias 0). */
export function constantParam(shape: readonly number[], value: number, opts: InitOptions = {}, requiresGrad = true): Tensor {
  checkParamArgs('constantParam', shape, null, opts);
  checkFinite('constantParam', 'value', value);
  const a = allocArray(opts.dtype ?? 'float32', sizeOf(shape));
  a.fill(value);
  return tensor(a, shape, { dtype: opts.dtype ?? 'float32', backend: opts.backend, requiresGrad });
}
