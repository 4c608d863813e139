// Test shorthands: seeded tensors on a given backend, async read-back, error assertions and gradcheck wrappers.

import { expect } from 'chai';
import { CondgradError } from '../../core/errors.js';
import { tensor } from '../../core/creation.js';
import { gradcheck, type GradcheckOptions } from '../../core/gradcheck.js';
import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { mulberry32, randArray } from './rng.js';
import type { TestBackend } from './backends.js';

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A tensor of `data` with `shape` on a backend (cpu by default). */
export function mk(
  data: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType = 'float32',
  on: TestBackend | AnyBackend = cpuBackend,
  requiresGrad = false,
): Tensor {
  const backend = 'backend' in on ? on.backend : on;
  const arr = dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
  return tensor(arr, shape, { dtype, backend, requiresGrad });
}

/** A seeded uniform tensor in [lo, hi). */
export function rnd(
  seed: number,
  shape: readonly number[],
  dtype: DType = 'float64',
  on: TestBackend | AnyBackend = cpuBackend,
  lo = -1,
  hi = 1,
  requiresGrad = false,
): Tensor {
  return mk(randArray(mulberry32(seed), sizeOf(shape), dtype, lo, hi), shape, dtype, on, requiresGrad);
}

/** The tensor's values as float64 (async: works on every backend). */
export async function read(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}

/**
 * Asserts fn throws a CondgradError whose message starts with `op:` and contains every fragment
 * (strings, e.g. shapes like '[2,3]', or regexps).
 */
export function expectError(fn: () => unknown, op: string, ...fragments: (string | RegExp)[]): CondgradError {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${op} to throw`).to.be.instanceOf(CondgradError);
  const e = err as CondgradError;
  expect(e.message.startsWith(`${op}:`), `message should name ${op}: ${e.message}`).to.equal(true);
  for (const f of fragments) {
    if (typeof f === 'string') expect(e.message, 'error message').to.include(f);
    else expect(e.message, 'error message').to.match(f);
  }
  return e;
}

/**
 * Gradchecks fn at seeded float64 inputs of the given shapes (uniform in [lo, hi)), every input
 * requiring grad unless listed in `constant`. Throws on mismatch (gradcheck names the element).
 */
export function checkGrad(
  fn: (...xs: Tensor[]) => Tensor,
  shapes: readonly (readonly number[])[],
  opts: GradcheckOptions & { seed?: number; lo?: number; hi?: number; constant?: readonly number[]; on?: TestBackend } = {},
): void {
  const seed = opts.seed ?? 7;
  const inputs = shapes.map((s, i) =>
    rnd(seed * 101 + i, s, 'float64', opts.on ?? cpuBackend, opts.lo ?? -1, opts.hi ?? 1, !(opts.constant ?? []).includes(i)),
  );
  const report = gradcheck(fn, inputs, opts);
  expect(report.checked).to.be.greaterThan(0);
}
