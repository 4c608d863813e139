// 2-D pooling: max, average and global average pooling over NCHW tensors.

import { CondgradError, fmtShape } from '../core/errors.js';
import { runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import { pool2dGeometry, type Pool2dGeometry, type Pool2dOptions } from '../kernels/geometry/pool.js';
import { mean } from './reduce.js';

export type { Pool2dOptions } from '../kernels/geometry/pool.js';

type PoolPlan = { shape: readonly number[]; g: Pool2dGeometry };

function poolPlan(op: string, x: Tensor, opts: Pool2dOptions): PoolPlan {
  if (opts === null || typeof opts !== 'object') {
    throw new CondgradError(op, `options must be an object with kernelSize, got ${String(opts)} (x ${fmtShape(x.shape)})`);
  }
  if (opts.countIncludePad !== undefined && typeof opts.countIncludePad !== 'boolean') {
    throw new CondgradError(op, `countIncludePad must be a boolean, got ${String(opts.countIncludePad)} (x ${fmtShape(x.shape)})`);
  }
  if (x.rank === 4 && x.shape[2] * x.shape[3] === 0) {
    // With padding every window would lie wholly in the padding: no cell to take a max or mean of.
    throw new CondgradError(op, `x has an empty spatial extent ${fmtShape(x.shape)}`);
  }
  let g: Pool2dGeometry;
  try {
    g = pool2dGeometry(op, x.shape, opts);
  } catch (e) {
    // Configuration errors (kernelSize, stride, padding) also name the input shape.
    const xs = fmtShape(x.shape);
    if (e instanceof CondgradError && e.op === op && !e.message.includes(xs)) throw new CondgradError(op, `${e.message.slice(op.length + 2)} (x ${xs})`);
    throw e;
  }
  return { shape: [g.batch, g.channels, g.outH, g.outW], g };
}

const maxPoolOp: Op<Pool2dOptions, PoolPlan> = {
  name: 'maxPool2d',
  plan: ([x], opts) => poolPlan('maxPool2d', x, opts),
  forward: (backend, [x], { g }) => backend.maxPool2d(x, g),
  backward(dy, { inputs: [x], plan: { g } }) {
    const b = x.backend;
    return [new Tensor(b.maxPool2dBackward(x.storage, dy.storage, g), x.shape, b)];
  },
};

const avgPoolOp: Op<Pool2dOptions, PoolPlan> = {
  name: 'avgPool2d',
  savesData: () => false,
  plan: ([x], opts) => poolPlan('avgPool2d', x, opts),
  forward: (backend, [x], { g }) => backend.avgPool2d(x, g),
  backward(dy, { inputs: [x], plan: { g } }) {
    const b = x.backend;
    return [new Tensor(b.avgPool2dBackward(dy.storage, g), x.shape, b)];
  },
};

/**
 * Max pooling. x: [B, C, H, W] → [B, C, outH, outW]. Padded cells never win; the gradient goes to
 * the first maximum of each window.
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return runOp(maxPoolOp, [x], opts, ['x']);
}

/**
 * Average pooling. x: [B, C, H, W] → [B, C, outH, outW]. With padding, `countIncludePad` (default
 * true, as in PyTorch) divides by the full window, else by the in-bounds cell count.
 */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return runOp(avgPoolOp, [x], opts, ['x']);
}

/** Mean over the spatial dims. x: [B, C, H, W] with H·W > 0 → [B, C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new CondgradError('globalAvgPool2d', `x must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.rank !== 4) throw new CondgradError('globalAvgPool2d', `x must be [B, C, H, W], got ${fmtShape(x.shape)}`);
  if (x.shape[2] * x.shape[3] === 0) throw new CondgradError('globalAvgPool2d', `x has an empty spatial extent ${fmtShape(x.shape)}`);
  return mean(x, [2, 3]);
}
