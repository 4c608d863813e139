// The CLI's guard against models too large to allocate: the parameter count of a zoo model from small probe builds, checked against a cap.

import { CondgradError } from '../core/errors.js';
import { createModel, type ModelName, type ModelOptions, type ZooModel } from '../nn/models/index.js';

/** The default cap on a CLI model's parameters: 25 M (100 MB of float32 weights, about 400 MB with gradients and Adam moments). */
export const DEFAULT_MAX_PARAMS = 25_000_000;

/** Widths and expert counts up to these are built directly (at most a few million parameters); larger ones are estimated first. */
const DIRECT_WIDTH = 3;
const DIRECT_EXPERTS = 16;

function params(name: ModelName, opts: ModelOptions, width: number, experts: number): number {
  return createModel(name, { ...opts, width, experts, seed: 0 }).numParameters();
}

/**
 * The parameter count of `createModel(name, opts)` without building it. Every zoo model's count
 * is A(w) + K·B(w) with A and B quadratic in the width w (channels scale with w, convolution
 * weights with the product of two channel counts; experts, routers and expert biases are linear in
 * K), so six probe builds at w = 1, 2, 3 and K = 1, 2 determine it: exact for integer widths, and
 * within the channel rounding (⌊c·w⌉) otherwise.
 */
export function estimateParameters(name: ModelName, opts: ModelOptions): number {
  const w = opts.width ?? 1;
  const K = opts.experts ?? 4;
  const at = (wi: number): number => {
    const p1 = params(name, opts, wi, 1);
    const p2 = params(name, opts, wi, 2);
    return p1 + (K - 1) * (p2 - p1);
  };
  const [y1, y2, y3] = [at(1), at(2), at(3)];
  // Lagrange interpolation through w = 1, 2, 3.
  return (y1 * ((w - 2) * (w - 3))) / 2 - y2 * ((w - 1) * (w - 3)) + (y3 * ((w - 1) * (w - 2))) / 2;
}

/** "cnn (width 1000, K = 4)" */
function describe(name: ModelName, opts: ModelOptions): string {
  return `${name} (width ${opts.width ?? 1}, K = ${opts.experts ?? 4}, convert ${opts.convert ?? 'last'})`;
}

function refuse(op: string, name: ModelName, opts: ModelOptions, count: number, exact: boolean, maxParams: number): CondgradError {
  // Past 2^53 the estimate's last digits are rounding noise: give 4 significant digits.
  const n = count > Number.MAX_SAFE_INTEGER ? count.toPrecision(4) : Math.round(count).toLocaleString('en-US');
  return new CondgradError(
    op,
    `${describe(name, opts)} has ${exact ? '' : 'about '}${n} parameters, more than the limit of ${maxParams.toLocaleString('en-US')}; use a smaller --width or --experts, or raise the limit with --max-params`,
  );
}

/**
 * Builds a zoo model after checking that it has at most `maxParams` parameters: configurations
 * beyond the directly built range are estimated first (see estimateParameters), so an absurd
 * width is refused with its parameter count instead of failing in an allocation.
 */
export function createCheckedModel(op: string, name: ModelName, opts: ModelOptions, maxParams: number): ZooModel {
  const w = opts.width ?? 1;
  const K = opts.experts ?? 4;
  if (w > DIRECT_WIDTH || K > DIRECT_EXPERTS) {
    const estimate = estimateParameters(name, opts);
    // 1 % slack for the channel rounding of non-integer widths; the exact count is checked below.
    if (estimate > maxParams * 1.01) throw refuse(op, name, opts, estimate, false, maxParams);
  }
  const model = createModel(name, opts);
  const n = model.numParameters();
  if (n > maxParams) throw refuse(op, name, opts, n, true, maxParams);
  return model;
}
