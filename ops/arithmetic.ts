// Elementwise arithmetic with NumPy broadcasting: add, sub, mul, div, pow, maximum, minimum, comparisons, and unary math.

import { CondgradError, describeValue, fmtShape } from '../core/errors.js';
import { allocArray } from '../core/dtype.js';
import { runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import type { BinaryOp, UnaryOp } from '../kernels/elementwise.js';
import { binaryGeometry, type BinaryGeometry } from '../kernels/geometry/broadcast.js';
import { sumToShape } from './broadcast.js';

export type Operand = Tensor | number;

/** A scalar operand as a one-element tensor on the other operand's backend and dtype. */
function scalarLike(op: string, v: number, like: Tensor): Tensor {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new CondgradError(op, `scalar operand must be a number, got ${String(v)}`);
  const a = allocArray(like.dtype, 1);
  a[0] = v;
  return new Tensor(like.backend.fromArray(a), [], like.backend);
}

const binaryOp: Op<{ op: BinaryOp }, { shape: readonly number[]; g: BinaryGeometry }> = {
  name: 'binary',
  savesData: ({ op }) => op !== 'add' && op !== 'sub',
  plan([a, b], { op }) {
    const g = binaryGeometry(op, a.shape, b.shape);
    return { shape: g.outShape, g };
  },
  forward: (backend, [a, b], { g }, { op }) => backend.binary(a, b, op, g),
  backward(dy, { inputs: [a, b], output, attrs: { op } }) {
    const to = (g: Tensor | null, t: Tensor): Tensor | null => (g === null || !t.requiresGrad ? null : sumToShape(g, t.shape));
    switch (op) {
      case 'add':
        return [to(dy, a), to(dy, b)];
      case 'sub':
        return [to(dy, a), to(b.requiresGrad ? neg(dy) : null, b)];
      case 'mul':
        return [to(a.requiresGrad ? mul(dy, b) : null, a), to(b.requiresGrad ? mul(dy, a) : null, b)];
      case 'div':
        return [to(a.requiresGrad ? div(dy, b) : null, a), to(b.requiresGrad ? neg(div(mul(dy, output), b)) : null, b)];
      case 'pow':
        return [to(a.requiresGrad ? mul(dy, mul(b, pow(a, sub(b, 1)))) : null, a), to(b.requiresGrad ? mul(dy, mul(output, log(a))) : null, b)];
      case 'maximum':
      case 'minimum': {
        // The gradient goes to a where a wins (ties to a), else to b.
        const aWins = op === 'maximum' ? ge(a, b) : ge(b, a);
        return [to(mul(dy, aWins), a), to(mul(dy, sub(1, aWins)), b)];
      }
      case 'eq':
      case 'gt':
        return [null, null];
    }
  },
};

function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new CondgradError(op, 'at least one operand must be a Tensor');
  if (typeof a === 'number' && !(b instanceof Tensor)) throw new CondgradError(op, `b must be a Tensor or a number, got ${b === null ? 'null' : typeof b}`);
  const ta = typeof a === 'number' ? scalarLike(op, a, b as Tensor) : a;
  const tb = typeof b === 'number' ? scalarLike(op, b, ta) : b;
  return runOp({ ...binaryOp, name: op }, [ta, tb], { op }, ['a', 'b']);
}

/** a + b, broadcast. */
export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
/** a − b, broadcast. */
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
/** a · b, broadcast. */
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
/** a / b, broadcast. */
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
/** a ** b, broadcast (b may be a tensor; the gradient wrt b needs a > 0). */
export function pow(a: Operand, b: Operand): Tensor {
  if (typeof b !== 'number' || !(a instanceof Tensor)) return binary('pow', a, b);
  if (!Number.isFinite(b)) throw new CondgradError('pow', `exponent must be a finite number, got ${b} (x ${fmtShape(a.shape)})`);
  return unary(a, { name: 'powScalar', exponent: b });
}
/** Elementwise maximum. */
export const maximum = (a: Operand, b: Operand): Tensor => binary('maximum', a, b);
/** Elementwise minimum. */
export const minimum = (a: Operand, b: Operand): Tensor => binary('minimum', a, b);
/** 1 where a == b, else 0 (no gradient). */
export const eq = (a: Operand, b: Operand): Tensor => binary('eq', a, b);
/** 1 where a > b, else 0 (no gradient). */
export const gt = (a: Operand, b: Operand): Tensor => binary('gt', a, b);
/** 1 where a >= b, else 0 (no gradient). */
export const ge = (a: Operand, b: Operand): Tensor => sub(1, binary('gt', b, a));

const unaryOp: Op<UnaryOp, { shape: readonly number[] }> = {
  name: 'unary',
  plan: ([x]) => ({ shape: x.shape }),
  forward: (backend, [x], _p, op) => backend.unary(x, op),
  backward(dy, { inputs: [x], output, attrs: op }) {
    const b = x.backend;
    return [new Tensor(b.unaryBackward(x.storage, output.storage, dy.storage, op), x.shape, b)];
  },
};

const UNARY_NAMES: ReadonlySet<string> = new Set([
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'relu',
  'relu6',
  'sigmoid',
  'tanh',
  'silu',
  'square',
  'sign',
  'clamp',
  'powScalar',
  'affine',
]);

/** Checks a unary op descriptor: a known name and finite numeric constants where it has them. */
function checkUnaryOp(op: unknown): UnaryOp {
  if (op === null || typeof op !== 'object' || typeof (op as { name?: unknown }).name !== 'string' || !UNARY_NAMES.has((op as { name: string }).name)) {
    const name = op !== null && typeof op === 'object' ? (op as { name?: unknown }).name : undefined;
    throw new CondgradError(
      'unary',
      `op must be { name } with name one of ${[...UNARY_NAMES].join(', ')}, got ${name === undefined ? describeValue(op) : `name ${describeValue(name)}`}`,
    );
  }
  const u = op as UnaryOp;
  const nums =
    u.name === 'clamp'
      ? { min: u.min, max: u.max }
      : u.name === 'powScalar'
        ? { exponent: u.exponent }
        : u.name === 'affine'
          ? { scale: u.scale, shift: u.shift }
          : {};
  for (const [k, v] of Object.entries(nums)) {
    const inf = u.name === 'clamp' && (v === Infinity || v === -Infinity);
    if (typeof v !== 'number' || Number.isNaN(v) || (!inf && !Number.isFinite(v)))
      throw new CondgradError(u.name, `${k} must be a finite number, got ${describeValue(v)}`);
  }
  if (u.name === 'clamp' && !(u.min <= u.max)) throw new CondgradError('clamp', `min ${u.min} must be <= max ${u.max}`);
  return u;
}

/** Applies a unary op from the shared vocabulary (kernels/elementwise.ts). x: any shape → same shape. */
export function unary(x: Tensor, op: UnaryOp): Tensor {
  checkUnaryOp(op);
  return runOp({ ...unaryOp, name: op.name }, [x], op, ['x']);
}

export const neg = (x: Tensor): Tensor => unary(x, { name: 'neg' });
export const exp = (x: Tensor): Tensor => unary(x, { name: 'exp' });
export const log = (x: Tensor): Tensor => unary(x, { name: 'log' });
export const sqrt = (x: Tensor): Tensor => unary(x, { name: 'sqrt' });
export const abs = (x: Tensor): Tensor => unary(x, { name: 'abs' });
export const square = (x: Tensor): Tensor => unary(x, { name: 'square' });
export const sign = (x: Tensor): Tensor => unary(x, { name: 'sign' });

/** Clamps to [min, max] (either bound may be ±Infinity, not NaN). */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  if (Number.isNaN(min) || Number.isNaN(max) || typeof min !== 'number' || typeof max !== 'number' || min > max) {
    throw new CondgradError('clamp', `bounds must be numbers with min <= max, got min=${min} max=${max} (x ${fmtShape(x.shape)})`);
  }
  return unary(x, { name: 'clamp', min, max });
}

/** scale · x + shift. */
export function affine(x: Tensor, scale: number, shift = 0): Tensor {
  if (!Number.isFinite(scale) || !Number.isFinite(shift)) throw new CondgradError('affine', `scale and shift must be finite, got ${scale}, ${shift}`);
  return unary(x, { name: 'affine', scale, shift });
}
