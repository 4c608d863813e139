// ONNX nodes for condgrad's elementwise ops: broadcast binary arithmetic and comparisons, and the unary vocabulary.

import { BINARY_OPS, UNARY_OPS, type UnaryOp } from '../../kernels/elementwise.js';
import type { Emitter } from './emitter.js';
import { FLOAT } from './graph.js';
import type { TracedOp } from './trace.js';

export type OpMapper = (e: Emitter, op: TracedOp) => string;

const BINARY: Record<string, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', maximum: 'Max', minimum: 'Min' };

/** NumPy broadcasting is ONNX's multidirectional broadcasting, so each binary op is one node. */
function binary(e: Emitter, op: TracedOp): string {
  const [a, b] = op.inputs.map((r) => e.value(r));
  const name = op.name;
  if (name === 'eq' || name === 'gt') {
    const cmp = e.g.node(name === 'eq' ? 'Equal' : 'Greater', [a, b]);
    return e.g.node('Cast', [cmp], { to: { i: FLOAT } });
  }
  return e.g.node(BINARY[name], [a, b]);
}

const scalar = (e: Emitter, v: number): string => e.g.floats([v], []);

function unary(e: Emitter, op: TracedOp): string {
  const x = e.value(op.inputs[0]);
  const u = op.attrs as UnaryOp;
  const g = e.g;
  switch (u.name) {
    case 'relu':
      return g.node('Relu', [x]);
    case 'sigmoid':
      return g.node('Sigmoid', [x]);
    case 'tanh':
      return g.node('Tanh', [x]);
    case 'neg':
      return g.node('Neg', [x]);
    case 'exp':
      return g.node('Exp', [x]);
    case 'log':
      return g.node('Log', [x]);
    case 'sqrt':
      return g.node('Sqrt', [x]);
    case 'abs':
      return g.node('Abs', [x]);
    case 'sign':
      return g.node('Sign', [x]);
    case 'square':
      return g.node('Mul', [x, x]);
    case 'silu':
      return g.node('Mul', [x, g.node('Sigmoid', [x])]);
    case 'relu6':
      return g.node('Clip', [x, scalar(e, 0), scalar(e, 6)]);
    case 'clamp': {
      let y = x;
      if (u.min !== -Infinity) y = g.node('Max', [y, scalar(e, u.min)]);
      if (u.max !== Infinity) y = g.node('Min', [y, scalar(e, u.max)]);
      return y === x ? g.node('Identity', [x]) : y;
    }
    case 'powScalar':
      return g.node('Pow', [x, scalar(e, u.exponent)]);
    case 'affine': {
      let y = x;
      if (u.scale !== 1) y = g.node('Mul', [y, scalar(e, u.scale)]);
      if (u.shift !== 0) y = g.node('Add', [y, scalar(e, u.shift)]);
      return y === x ? g.node('Identity', [x]) : y;
    }
  }
}

/** Every binary and unary op of kernels/elementwise.ts (the lists there, so a new op is never left out). */
export const ELEMENTWISE: Record<string, OpMapper> = {
  ...Object.fromEntries(BINARY_OPS.map((n) => [n, binary])),
  ...Object.fromEntries(UNARY_OPS.map((n) => [n, unary])),
};
