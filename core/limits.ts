// The allocation limit: the largest tensor the engine allocates, checked (by element count and bytes) before any storage is made.

import { CondgradError, fmtShape } from './errors.js';
import { bytesPerElement, type DType } from './dtype.js';
import { readEnv } from './platform/env.js';

/** The environment variable that sets the limit in bytes at start-up (e.g. 17179869184 for 16 GiB). */
export const ALLOCATION_LIMIT_ENV = 'CONDGRAD_MAX_TENSOR_BYTES';

/** The default: 4 GiB per tensor (2^30 float32 elements), which is also all a 32-bit wasm heap can hold. */
export const DEFAULT_ALLOCATION_LIMIT = 2 ** 32;

function fromEnv(): number {
  const raw = readEnv(ALLOCATION_LIMIT_ENV);
  if (raw === undefined || raw.trim() === '') return DEFAULT_ALLOCATION_LIMIT;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new CondgradError('allocation limit', `${ALLOCATION_LIMIT_ENV}='${raw}' must be a positive integer number of bytes`);
  }
  return v;
}

let limitBytes = fromEnv();

/**
 * Sets the largest tensor (in bytes) any op or creation function may allocate; returns the
 * previous limit. Larger requests raise a CondgradError naming the op, the shapes and the limit
 * instead of a RangeError from the typed-array constructor or an out-of-memory crash.
 */
export function setAllocationLimit(bytes: number): number {
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new CondgradError('setAllocationLimit', `bytes must be a positive integer, got ${String(bytes)}`);
  }
  const prev = limitBytes;
  limitBytes = bytes;
  return prev;
}

/** The current per-tensor limit in bytes. */
export function getAllocationLimit(): number {
  return limitBytes;
}

function fmtBytes(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  while (b >= 1024 && u < units.length - 1) {
    b /= 1024;
    u++;
  }
  return `${b < 10 && u > 0 ? b.toFixed(1) : Math.round(b)} ${units[u]}`;
}

/**
 * Throws unless a tensor of `shape` and `dtype` fits the allocation limit. `context` (e.g.
 * "x [2,3], w [4,3]", built only when the check fails) names the inputs the shape came from.
 */
export function checkAllocation(op: string, shape: readonly number[], dtype: DType, context?: () => string): void {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  const bytes = n * bytesPerElement(dtype);
  if (bytes <= limitBytes) return;
  const from = context === undefined ? '' : ` (from ${context()})`;
  throw new CondgradError(
    op,
    `the result ${fmtShape(shape)}${from} would hold ${n.toExponential(3)} ${dtype} elements (${fmtBytes(bytes)}), ` +
      `over the ${fmtBytes(limitBytes)} allocation limit (setAllocationLimit() or ${ALLOCATION_LIMIT_ENV} raises it)`,
  );
}
