// gradcheck: float64 central differences against the analytic gradient, for every input that requires grad.

import { CondgradError, fmtShape, checkFunction, checkOptions, describeValue, isList } from './errors.js';
import { noGrad } from './engine.js';
import { Rng } from './random.js';
import { Tensor } from './tensor.js';

export interface GradcheckOptions {
  /** Finite-difference step (PyTorch: 1e-6). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many elements per input exactly; larger inputs get `projections` random directions instead. */
  maxElements?: number;
  projections?: number;
  seed?: number;
}

export interface GradcheckWorst {
  input: number;
  /** Flat element index, or -1 for a random-projection check. */
  index: number;
  analytic: number;
  numeric: number;
  excess: number;
}

export interface GradcheckReport {
  checked: number;
  worst: GradcheckWorst | null;
}

function leaf(t: Tensor, data: Float64Array): Tensor {
  return new Tensor(t.backend.fromArray(data), t.shape, t.backend, t.requiresGrad);
}

/**
 * Checks d<r, fn(inputs)>/d input against central differences, with r a fixed random weighting of
 * the output (so every output element matters). All inputs must be float64. Throws a
 * CondgradError naming the worst element (input, index, analytic vs numeric) on failure.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  checkFunction('gradcheck', 'fn', fn);
  if (!isList(inputs)) throw new CondgradError('gradcheck', `inputs must be an array of tensors, got ${describeValue(inputs)}`);
  checkOptions('gradcheck', opts);
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new CondgradError('gradcheck', `inputs[${i}] must be a Tensor, got ${describeValue(t)}`);
  });
  const eps = opts.eps ?? 1e-6;
  const atol = opts.atol ?? 1e-5;
  const rtol = opts.rtol ?? 1e-3;
  const maxElements = opts.maxElements ?? 4096;
  const rng = new Rng(opts.seed ?? 1234);
  inputs.forEach((t, i) => {
    if (t.dtype !== 'float64') throw new CondgradError('gradcheck', `input ${i} ${fmtShape(t.shape)} is ${t.dtype}; gradcheck needs float64`);
  });
  const base = inputs.map((t) => Float64Array.from(t.dataSync()));

  // Analytic: one backward pass of <r, y>.
  const xs = inputs.map((t, i) => leaf(t, base[i]));
  const y = fn(...xs);
  if (y.dtype !== 'float64') throw new CondgradError('gradcheck', `fn returned ${y.dtype}; it must stay float64`);
  const r = new Float64Array(y.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.uniform(0.5, 1.5) * (rng.next() < 0.5 ? -1 : 1);
  const rT = new Tensor(y.backend.fromArray(r), y.shape, y.backend);
  if (!y.requiresGrad) throw new CondgradError('gradcheck', 'fn output does not depend on any input that requires grad');
  y.backward(rT);
  const analytic = xs.map((x) => (x.grad ? Float64Array.from(x.grad.dataSync()) : new Float64Array(x.size)));

  const objective = (vals: Float64Array[]): number =>
    noGrad(() => {
      const out = fn(...inputs.map((t, i) => leaf(t, vals[i]))).dataSync();
      let s = 0;
      for (let i = 0; i < out.length; i++) s += r[i] * out[i];
      return s;
    });

  let worst: GradcheckWorst | null = null;
  let checked = 0;
  const consider = (input: number, index: number, a: number, n: number): void => {
    const excess = Math.abs(a - n) - (atol + rtol * Math.abs(n));
    checked++;
    if (worst === null || excess > worst.excess) worst = { input, index, analytic: a, numeric: n, excess };
  };

  inputs.forEach((t, i) => {
    if (!t.requiresGrad) return;
    const vals = base.map((b) => b.slice());
    const x = vals[i];
    if (t.size <= maxElements) {
      for (let j = 0; j < x.length; j++) {
        const orig = x[j];
        x[j] = orig + eps;
        const fp = objective(vals);
        x[j] = orig - eps;
        const fm = objective(vals);
        x[j] = orig;
        consider(i, j, analytic[i][j], (fp - fm) / (2 * eps));
      }
    } else {
      for (let p = 0; p < (opts.projections ?? 8); p++) {
        const v = new Float64Array(x.length);
        let dot = 0;
        for (let j = 0; j < v.length; j++) {
          v[j] = rng.normal();
          dot += v[j] * analytic[i][j];
        }
        for (let j = 0; j < v.length; j++) x[j] = base[i][j] + eps * v[j];
        const fp = objective(vals);
        for (let j = 0; j < v.length; j++) x[j] = base[i][j] - eps * v[j];
        const fm = objective(vals);
        x.set(base[i]);
        consider(i, -1, dot, (fp - fm) / (2 * eps));
      }
    }
  });
  const w = worst as GradcheckWorst | null;
  if (w !== null && w.excess > 0) {
    const where = w.index >= 0 ? `element ${w.index}` : 'a random projection';
    throw new CondgradError(
      'gradcheck',
      `gradient mismatch at input ${w.input} ${fmtShape(inputs[w.input].shape)}, ${where}: analytic ${w.analytic} vs numeric ${w.numeric} (atol ${atol}, rtol ${rtol})`,
    );
  }
  return { checked, worst: w };
}
