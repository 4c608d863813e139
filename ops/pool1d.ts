// 1-D pooling over length (NCL): maxPool1d, avgPool1d on the 2-D pool kernels as 1×L images, globalAvgPool1d and adaptiveAvgPool1d.

import { CondgradError, checkInt, fmtShape } from '../core/errors.js';
import { tensor } from '../core/creation.js';
import { runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { pool1dGeometry, type Pool1dOptions } from '../kernels/geometry/pool1d.js';
import type { Pool2dGeometry } from '../kernels/geometry/pool.js';
import { matmul } from './matmul.js';
import { mean } from './reduce.js';
import { reshape } from './shape.js';

export type { Pool1dOptions } from '../kernels/geometry/pool1d.js';

type Pool1dPlan = { shape: readonly number[]; g: Pool2dGeometry };

function plan1d(op: string, x: Tensor, opts: Pool1dOptions): Pool1dPlan {
  const g = pool1dGeometry(op, x.shape, opts);
  return { shape: [g.batch, g.channels, g.outW], g };
}

const maxPool1dOp: Op<Pool1dOptions, Pool1dPlan> = {
  name: 'maxPool1d',
  plan: ([x], opts) => plan1d('maxPool1d', x, opts),
  forward: (backend, [x], { g }) => backend.maxPool2d(x, g),
  backward(dy, { inputs: [x], plan: { g } }) {
    const b = x.backend;
    return [new Tensor(b.maxPool2dBackward(x.storage, dy.storage, g), x.shape, b)];
  },
};

const avgPool1dOp: Op<Pool1dOptions, Pool1dPlan> = {
  name: 'avgPool1d',
  plan: ([x], opts) => plan1d('avgPool1d', x, opts),
  forward: (backend, [x], { g }) => backend.avgPool2d(x, g),
  backward(dy, { inputs: [x], plan: { g } }) {
    const b = x.backend;
    return [new Tensor(b.avgPool2dBackward(dy.storage, g), x.shape, b)];
  },
};

/**
 * Max pooling over length. x: [B, C, L] → [B, C, outL], outL = floor((L + left + right - k) / stride) + 1
 * (stride defaults to kernelSize, as in PyTorch). Padded cells never win; the gradient goes to
 * the first maximum of each window.
 */
export function maxPool1d(x: Tensor, opts: Pool1dOptions): Tensor {
  return runOp(maxPool1dOp, [x], opts, ['x']);
}

/**
 * Average pooling over length. x: [B, C, L] → [B, C, outL]. With padding, `countIncludePad`
 * (default true, as in PyTorch) divides by the full window, else by the in-bounds cell count.
 */
export function avgPool1d(x: Tensor, opts: Pool1dOptions): Tensor {
  return runOp(avgPool1dOp, [x], opts, ['x']);
}

function checkSeq(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new CondgradError(op, `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.rank !== 3) throw new CondgradError(op, `x must be [B, C, L], got ${fmtShape(x.shape)}`);
  if (x.shape[2] === 0) throw new CondgradError(op, `x has an empty length ${fmtShape(x.shape)}`);
  return x;
}

/** Mean over the length. x: [B, C, L] with L > 0 → [B, C]. */
export function globalAvgPool1d(x: Tensor): Tensor {
  return mean(checkSeq('globalAvgPool1d', x), [2]);
}

/**
 * Adaptive average pooling to a fixed length, PyTorch's windows: output i averages
 * x[..., floor(i·L/n) : ceil((i+1)·L/n)]. x: [B, C, L] → [B, C, n]. n = 1 is the global mean;
 * otherwise one [B·C, L]×[L, n] matmul with the constant averaging matrix (so the backward is
 * the matmul's).
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  const op = 'adaptiveAvgPool1d';
  checkSeq(op, x);
  const n = checkInt(op, 'outputSize', outputSize, 1);
  const [B, C, L] = x.shape;
  if (n === 1) return reshape(mean(x, [2]), [B, C, 1]);
  const avg = new Float64Array(L * n);
  for (let i = 0; i < n; i++) {
    const lo = Math.floor((i * L) / n);
    const hi = Math.ceil(((i + 1) * L) / n);
    for (let l = lo; l < hi; l++) avg[l * n + i] = 1 / (hi - lo);
  }
  const a = tensor(avg, [L, n], { dtype: x.dtype, backend: x.backend });
  return reshape(matmul(reshape(x, [B * C, L]), a), [B, C, n]);
}
