// The elementwise vocabulary shared by every backend: unary, binary and reduce ops, with their scalar definitions.

// The op lists are the source of the op types, so adding an op to a list is what the compiler then
// asks every backend table, scalar definition and test helper to handle (see CONTRIBUTING.md).

/** Unary ops without constants. */
export const PLAIN_UNARY_OPS = ['neg', 'exp', 'log', 'sqrt', 'abs', 'relu', 'relu6', 'sigmoid', 'tanh', 'silu', 'square', 'sign'] as const;

/** Unary ops. Parameterised ones carry their constants. */
export type UnaryOp =
  | { readonly name: (typeof PLAIN_UNARY_OPS)[number] }
  | { readonly name: 'clamp'; readonly min: number; readonly max: number }
  | { readonly name: 'powScalar'; readonly exponent: number }
  /** y = scale * x + shift */
  | { readonly name: 'affine'; readonly scale: number; readonly shift: number };

/** The unary ops that carry constants, by name. */
export type ParamUnaryOp = Exclude<UnaryOp, { readonly name: (typeof PLAIN_UNARY_OPS)[number] }>;

/** Every unary op name, plain ones first. */
export const UNARY_OPS = [...PLAIN_UNARY_OPS, 'clamp', 'powScalar', 'affine'] as const satisfies readonly UnaryOp['name'][];

/** Binary ops over broadcast operands. Comparisons return 1 or 0. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'gt'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/** 'mean' is the sum divided by the reduced count before rounding to the storage dtype (no overflow of finite inputs). */
export const REDUCE_OPS = ['sum', 'mean', 'max', 'min'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

/** Scalar definition of a unary op: the reference every backend is tested against. */
export function unaryScalar(op: UnaryOp): (x: number) => number {
  switch (op.name) {
    case 'neg':
      return (x) => -x;
    case 'exp':
      return Math.exp;
    case 'log':
      return Math.log;
    case 'sqrt':
      return Math.sqrt;
    case 'abs':
      return Math.abs;
    // NaN in, NaN out (IEEE and PyTorch): every comparison with NaN is false, so NaN falls through.
    case 'relu':
      return (x) => (x <= 0 ? 0 : x);
    case 'relu6':
      return (x) => (x <= 0 ? 0 : x >= 6 ? 6 : x);
    case 'sigmoid':
      return (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    case 'tanh':
      return Math.tanh;
    case 'silu':
      return (x) => x * (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    case 'square':
      return (x) => x * x;
    case 'sign':
      return (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x);
    case 'clamp': {
      const { min, max } = op;
      return (x) => (x < min ? min : x > max ? max : x);
    }
    case 'powScalar': {
      const p = op.exponent;
      return (x) => Math.pow(x, p);
    }
    case 'affine': {
      const { scale, shift } = op;
      return (x) => scale * x + shift;
    }
  }
}

/**
 * Scalar derivative dy/dx of a unary op, given x and y = f(x). At kinks (relu at 0, clamp at its
 * bounds, abs at 0) the derivative is 0, as in PyTorch.
 */
export function unaryDerivative(op: UnaryOp): (x: number, y: number) => number {
  switch (op.name) {
    case 'neg':
      return () => -1;
    case 'exp':
      return (_x, y) => y;
    case 'log':
      return (x) => 1 / x;
    case 'sqrt':
      return (_x, y) => 0.5 / y;
    case 'abs':
      return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'relu':
      return (x) => (x > 0 ? 1 : 0);
    case 'relu6':
      return (x) => (x > 0 && x < 6 ? 1 : 0);
    case 'sigmoid':
      return (_x, y) => y * (1 - y);
    case 'tanh':
      return (_x, y) => 1 - y * y;
    case 'silu':
      return (x) => {
        const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
        return s * (1 + x * (1 - s));
      };
    case 'square':
      return (x) => 2 * x;
    case 'sign':
      return () => 0;
    case 'clamp': {
      const { min, max } = op;
      return (x) => (x > min && x < max ? 1 : 0);
    }
    case 'powScalar': {
      const p = op.exponent;
      return (x) => (p === 0 ? 0 : p * Math.pow(x, p - 1));
    }
    case 'affine': {
      const s = op.scale;
      return () => s;
    }
  }
}

/** Scalar definition of a binary op. */
export function binaryScalar(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add':
      return (a, b) => a + b;
    case 'sub':
      return (a, b) => a - b;
    case 'mul':
      return (a, b) => a * b;
    case 'div':
      return (a, b) => a / b;
    case 'pow':
      return Math.pow;
    // NaN in either operand gives NaN, whatever the order (ties give a).
    case 'maximum':
      return (a, b) => (a >= b || a !== a ? a : b);
    case 'minimum':
      return (a, b) => (a <= b || a !== a ? a : b);
    case 'eq':
      return (a, b) => (a === b ? 1 : 0);
    case 'gt':
      return (a, b) => (a > b ? 1 : 0);
  }
}
