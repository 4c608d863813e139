// gpu.js sources for the elementwise kernels: copy/fill, unary and its derivative, and broadcast binary ops.

import type { BinaryOp, UnaryOp } from '../elementwise.js';
import type { BinaryGeometry } from '../geometry/broadcast.js';
import { Emitter, viewKey, type KernelSpec } from './codegen.js';

/** out[i] = a[i]: copies a storage. (Host data goes up without a kernel: see LaunchQueue.upload.) */
export function copySpec(size: number): KernelSpec {
  return { name: 'copy', key: 'copy', source: 'function (a) {\nreturn a[this.thread.x];\n}', outSize: size, dynamic: true };
}

/** out[i] = p[0]. */
export function fillSpec(size: number): KernelSpec {
  return { name: 'fill', key: 'fill', source: 'function (p) {\nreturn p[0];\n}', outSize: size, dynamic: true };
}

/**
 * Runtime scalars of a unary op, read by the kernel as p[0..3]. Powers carry the exponent,
 * whether it is an integer and whether it is odd, so negative bases get the sign Math.pow gives.
 */
export function unaryParams(op: UnaryOp, backward: boolean): Float32Array {
  switch (op.name) {
    case 'clamp':
      return new Float32Array([op.min, op.max, 0, 0]);
    case 'affine':
      return new Float32Array([op.scale, op.shift, 0, 0]);
    case 'powScalar': {
      const e = op.exponent;
      const used = backward ? e - 1 : e;
      const isInt = Number.isInteger(used);
      return new Float32Array([e, used, isInt ? 1 : 0, isInt && Math.abs(used % 2) === 1 ? 1 : 0]);
    }
    default:
      return new Float32Array(4);
  }
}

/** Stable logistic of `v` as source lines declaring `s`. */
function sigmoidLines(v: string, s: string): string {
  return `const e${s} = Math.exp(-Math.abs(${v}));\nconst ${s} = ${v} >= 0 ? 1 / (1 + e${s}) : e${s} / (1 + e${s});`;
}

/** x^p[1] with Math.pow's sign for negative bases when p[1] is an integer (p[3] = odd). */
function powLines(v: string, r: string): string {
  return [
    `let ${r} = Math.pow(Math.abs(${v}), p[1]);`,
    `if (${v} < 0) { if (p[2] > 0.5) { if (p[3] > 0.5) { ${r} = -${r}; } } else { ${r} = Math.pow(${v}, p[1]); } }`,
  ].join('\n');
}

/** Source lines computing f(v) into `y`. */
function forwardBody(op: UnaryOp): string {
  switch (op.name) {
    case 'neg':
      return 'const y = -v;';
    case 'exp':
      return 'const y = Math.exp(v);';
    case 'log':
      return 'const y = Math.log(v);';
    case 'sqrt':
      return 'const y = Math.sqrt(v);';
    case 'abs':
      return 'const y = Math.abs(v);';
    // NaN in, NaN out, tested explicitly: shader compilers may rewrite v <= 0 as !(v > 0).
    case 'relu':
      return 'const y = v !== v ? v : (v > 0 ? v : 0);';
    case 'relu6':
      return 'const y = v !== v ? v : (v > 0 ? (v < 6 ? v : 6) : 0);';
    case 'sigmoid':
      return `${sigmoidLines('v', 's')}\nconst y = s;`;
    case 'silu':
      return `${sigmoidLines('v', 's')}\nconst y = v * s;`;
    // tanh: odd series near 0 (no cancellation), (1 - e^-2|v|) / (1 + e^-2|v|) elsewhere.
    case 'tanh':
      return [
        'const a = Math.abs(v);',
        'const v2 = v * v;',
        'const series = v * (1 + v2 * (-0.3333333333 + v2 * (0.1333333333 + v2 * (-0.0539682540 + v2 * 0.0218694885))));',
        'const t = Math.exp(-2 * a);',
        'const big = (1 - t) / (1 + t);',
        'const y = a < 0.25 ? series : (v < 0 ? -big : big);',
      ].join('\n');
    case 'square':
      return 'const y = v * v;';
    case 'sign':
      return 'const y = v !== v ? v : (v > 0 ? 1 : (v < 0 ? -1 : 0));';
    case 'clamp':
      return 'const y = v !== v ? v : (v < p[0] ? p[0] : (v > p[1] ? p[1] : v));';
    case 'powScalar':
      return powLines('v', 'y');
    case 'affine':
      return 'const y = p[0] * v + p[1];';
  }
}

/** Source lines computing dy/dx into `d` from v = x and w = y. */
function derivativeBody(op: UnaryOp): string {
  switch (op.name) {
    case 'neg':
      return 'const d = -1;';
    case 'exp':
      return 'const d = w;';
    case 'log':
      return 'const d = 1 / v;';
    case 'sqrt':
      return 'const d = 0.5 / w;';
    case 'abs':
      return 'const d = v > 0 ? 1 : (v < 0 ? -1 : 0);';
    case 'relu':
      return 'const d = v > 0 ? 1 : 0;';
    case 'relu6':
      return 'const d = v > 0 ? (v < 6 ? 1 : 0) : 0;';
    case 'sigmoid':
      return 'const d = w * (1 - w);';
    case 'tanh':
      return 'const d = 1 - w * w;';
    case 'silu':
      return `${sigmoidLines('v', 's')}\nconst d = s * (1 + v * (1 - s));`;
    case 'square':
      return 'const d = 2 * v;';
    case 'sign':
      return 'const d = 0;';
    case 'clamp':
      return 'const d = v > p[0] ? (v < p[1] ? 1 : 0) : 0;';
    case 'powScalar':
      return `${powLines('v', 'm')}\nconst d = p[0] === 0 ? 0 : p[0] * m;`;
    case 'affine':
      return 'const d = p[0];';
  }
}

/** y[i] = f(x[i]); arguments (x, p). */
export function unarySpec(op: UnaryOp, size: number): KernelSpec {
  const source = `function (x, p) {\nconst v = x[this.thread.x];\n${forwardBody(op)}\nreturn y;\n}`;
  return { name: `unary(${op.name})`, key: `unary:${op.name}`, source, outSize: size, dynamic: true };
}

/** dx[i] = dy[i] * f'(x[i], y[i]); arguments (x, y, dy, p). */
export function unaryBackwardSpec(op: UnaryOp, size: number): KernelSpec {
  const source = `function (x, yv, dy, p) {\nconst i = this.thread.x;\nconst v = x[i];\nconst w = yv[i];\n${derivativeBody(op)}\nreturn dy[i] * d;\n}`;
  return { name: `unaryBackward(${op.name})`, key: `unaryBackward:${op.name}`, source, outSize: size, dynamic: true };
}

/** `a op b` as source lines ending in `return`-able `z`. */
function binaryBody(op: BinaryOp): string {
  switch (op) {
    case 'add':
      return 'const z = a + b;';
    case 'sub':
      return 'const z = a - b;';
    case 'mul':
      return 'const z = a * b;';
    case 'div':
      return 'const z = a / b;';
    case 'pow':
      return [
        'let z = Math.pow(Math.abs(a), b);',
        'if (a < 0) { if (Math.floor(b) === b) { const h = b * 0.5; if (Math.floor(h) !== h) { z = -z; } } else { z = Math.pow(a, b); } }',
      ].join('\n');
    // Selected explicitly (not Math.max, which WGSL does not make NaN-propagating).
    case 'maximum':
      return 'const z = (a >= b || a !== a) ? a : b;';
    case 'minimum':
      return 'const z = (a <= b || a !== a) ? a : b;';
    case 'eq':
      return 'const z = a === b ? 1 : 0;';
    case 'gt':
      return 'const z = a > b ? 1 : 0;';
  }
}

/** out[i] = A[view a (i)] op B[view b (i)]; arguments (A, B). Same-shape operands share one kernel across sizes. */
export function binarySpec(op: BinaryOp, g: BinaryGeometry): KernelSpec {
  const name = `binary(${op})`;
  if (g.sameShape) {
    const source = `function (x, y) {\nconst i = this.thread.x;\nconst a = x[i];\nconst b = y[i];\n${binaryBody(op)}\nreturn z;\n}`;
    return { name, key: `binary:${op}:same`, source, outSize: g.size, dynamic: true };
  }
  const e = new Emitter();
  const i = e.let('i', 'this.thread.x');
  const coords = e.unravel(i, g.a.dims);
  const oa = e.offsetAt(g.a, coords);
  const ob = e.offsetAt(g.b, coords);
  e.line(`const a = x[${oa}];`).line(`const b = y[${ob}];`).line(binaryBody(op));
  return { name, key: `binary:${op}:${viewKey(g.a)}:${viewKey(g.b)}`, source: e.source(['x', 'y'], 'z'), outSize: g.size, dynamic: false };
}
