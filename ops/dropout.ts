// Inverted dropout with a host-drawn, seeded mask: reproducible and identical on every backend.

import { CondgradError, fmtShape } from '../core/errors.js';
import { allocArray } from '../core/dtype.js';
import { defaultRng, Rng } from '../core/random.js';
import { Tensor } from '../core/tensor.js';
import { mul } from './arithmetic.js';

export interface DropoutOptions {
  /** Identity when false. Default true (as torch.nn.functional.dropout). */
  training?: boolean;
  /** Generator for the mask; otherwise a private one from `seed`, otherwise the global one (manualSeed). */
  rng?: Rng;
  seed?: number;
}

/**
 * Zeroes each element of x with probability p and scales the rest by 1 / (1 − p), so the
 * expectation is unchanged. x: any shape → same shape. p in [0, 1); identity in eval or when p = 0.
 * The mask is drawn on the host from the seeded Rng (one draw per element, row-major) then uploaded.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  if (!(x instanceof Tensor)) throw new CondgradError(op, `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new CondgradError(op, `p must be a number in [0, 1), got ${String(p)} (x ${fmtShape(x.shape)})`);
  }
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `options must be an object, got ${String(opts)}`);
  const training = opts.training ?? true;
  if (typeof training !== 'boolean') throw new CondgradError(op, `training must be a boolean, got ${String(training)}`);
  if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isFinite(opts.seed))) {
    throw new CondgradError(op, `seed must be a finite number, got ${String(opts.seed)}`);
  }
  if (opts.rng !== undefined && !(opts.rng instanceof Rng)) throw new CondgradError(op, 'rng must be an Rng');
  if (x.isDisposed) throw new CondgradError(op, `x ${fmtShape(x.shape)} was disposed`);
  if (!training || p === 0) return x;
  const rng = opts.rng ?? (opts.seed !== undefined ? new Rng(opts.seed) : defaultRng());
  const keep = 1 / (1 - p);
  const m = allocArray(x.dtype, x.size);
  for (let i = 0; i < m.length; i++) m[i] = rng.next() < p ? 0 : keep;
  const mask = new Tensor(x.backend.fromArray(m), x.shape, x.backend);
  return mul(x, mask);
}
