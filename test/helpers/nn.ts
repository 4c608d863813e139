// nn test helpers: gradcheck of a module over its input and every parameter, and small value helpers.

import { gradcheck, type GradcheckOptions, type GradcheckReport } from '../../core/gradcheck.js';
import type { Tensor } from '../../core/tensor.js';
import type { Module } from '../../nn/module.js';

/**
 * Gradchecks `forward(module, x)` (default module.forward(x)) over x and every parameter of the
 * module: each gradcheck evaluation swaps its own copies of the parameters in by name and puts
 * the originals back afterwards. All tensors must be float64; x must require grad.
 */
export function gradcheckModule(m: Module, x: Tensor, opts: GradcheckOptions & { forward?: (m: Module, x: Tensor) => Tensor } = {}): GradcheckReport {
  const named = m.namedParameters();
  const originals = named.map(([, t]) => t);
  const forward = opts.forward ?? ((mm: Module, xx: Tensor) => mm.forward(xx));
  const fn = (xIn: Tensor, ...ps: Tensor[]): Tensor => {
    named.forEach(([n], i) => m.setParameter(n, ps[i]));
    try {
      return forward(m, xIn);
    } finally {
      named.forEach(([n], i) => m.setParameter(n, originals[i]));
    }
  };
  return gradcheck(fn, [x, ...originals], opts);
}

/** Sample standard deviation of the values. */
export function std(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i];
  m /= v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return Math.sqrt(s / (v.length - 1));
}

/** Mean entropy (nats) of the rows of a [B, K] probability matrix. */
export function rowEntropy(p: ArrayLike<number>, K: number): number {
  let h = 0;
  const B = p.length / K;
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      const v = p[b * K + k];
      if (v > 0) h -= v * Math.log(v);
    }
  return h / B;
}
