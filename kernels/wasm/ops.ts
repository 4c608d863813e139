// Host side of the float32 elementwise and reduce kernels (the unary table, binary, reduce); false means "no wasm path, delegate".

import type { BinaryOp, ReduceOp, UnaryOp } from '../elementwise.js';
import type { BinaryGeometry } from '../geometry/broadcast.js';
import type { ReduceGeometry } from '../geometry/reduce.js';
import {
  E_A,
  E_B,
  E_D0,
  E_D1,
  E_D2,
  E_D3,
  E_F0,
  E_F1,
  E_ITEM1,
  E_OP,
  E_SA0,
  E_SB0,
  E_SLOTS,
  E_Y,
  OP_ADD,
  OP_DIV,
  OP_EQ,
  OP_GT,
  OP_MAX,
  OP_MIN,
  OP_MUL,
  OP_SUB,
  R_DIV,
  R_I0,
  R_MAX,
  R_MEAN,
  R_MIN,
  R_MODE,
  R_O0,
  R_OP,
  R_SCRATCH,
  R_SI0,
  R_SLOTS,
  R_SO0,
  R_SUM,
  R_X,
  R_Y,
  U_ABS,
  U_AFFINE,
  U_CLAMP,
  U_NEG,
  U_RELU,
  U_RELU6,
  U_SQRT,
  U_SQUARE,
} from './assembly/layout.js';
import type { WasmRuntime } from './runtime.js';

/** Element touches below which an elementwise kernel stays on one thread. */
const MIN_ELEMS_PER_THREAD = 1 << 17;

const BINARY_CODES: Partial<Record<BinaryOp, number>> = {
  add: OP_ADD,
  sub: OP_SUB,
  mul: OP_MUL,
  div: OP_DIV,
  maximum: OP_MAX,
  minimum: OP_MIN,
  eq: OP_EQ,
  gt: OP_GT,
};

/** Dispatches the binary kernel over the rows of the [D0, D1, D2] grid written in s. */
function binaryRows(rt: WasmRuntime, s: Int32Array): void {
  const rows = s[E_D0] * s[E_D1] * s[E_D2];
  const slices = rt.slicesFor(rows, rows * s[E_D3], MIN_ELEMS_PER_THREAD);
  for (let t = 0; t < slices; t++) rt.setArgs(t, s);
  rt.runClaimed('binary', slices, rows);
}

/** Same-shape operands run as rows of this many elements, plus one ragged row. */
const FLAT_ROW = 8192;

/** y = a op b with broadcasting (float32). Returns false when the op or rank has no wasm path. */
export function binary(rt: WasmRuntime, a: number, b: number, y: number, op: BinaryOp, g: BinaryGeometry): boolean {
  const code = BINARY_CODES[op];
  if (code === undefined) return false;
  if (!g.sameShape && g.a.dims.length > 4) return false;
  if (g.size === 0) return true;
  const s = new Int32Array(E_SLOTS);
  s[E_OP] = code;
  s[E_A] = a;
  s[E_B] = b;
  s[E_Y] = y;
  if (g.sameShape) {
    const rows = Math.floor(g.size / FLAT_ROW),
      rem = g.size - rows * FLAT_ROW;
    s[E_D0] = 1;
    s[E_D1] = 1;
    s[E_SA0 + 3] = 1;
    s[E_SB0 + 3] = 1;
    if (rows > 0) {
      s[E_D2] = rows;
      s[E_D3] = FLAT_ROW;
      s[E_SA0 + 2] = FLAT_ROW;
      s[E_SB0 + 2] = FLAT_ROW;
      binaryRows(rt, s);
    }
    if (rem > 0) {
      const off = 4 * rows * FLAT_ROW;
      s[E_D2] = 1;
      s[E_D3] = rem;
      s[E_A] = a + off;
      s[E_B] = b + off;
      s[E_Y] = y + off;
      binaryRows(rt, s);
    }
    return true;
  }
  const nd = g.a.dims.length;
  for (let d = 0; d < 4; d++) {
    const src = d - (4 - nd);
    s[E_D0 + d] = src >= 0 ? g.a.dims[src] : 1;
    s[E_SA0 + d] = src >= 0 ? g.a.strides[src] : 0;
    s[E_SB0 + d] = src >= 0 ? g.b.strides[src] : 0;
  }
  s[E_A] = a + 4 * g.a.offset;
  s[E_B] = b + 4 * g.b.offset;
  binaryRows(rt, s);
  return true;
}

/** How one unary op runs on the wasm backend. */
export interface WasmUnary<N extends UnaryOp['name'] = UnaryOp['name']> {
  /** The kernel's op code (assembly/elementwise.ts), or 'js': the reference loop on the wasm heap. */
  readonly forward: number | 'js';
  /** The op's two f32 constants, or null when float32 cannot hold them exactly (then the JS loop runs). */
  readonly constants?: (op: Extract<UnaryOp, { name: N }>) => [number, number] | null;
  /** The backward's wasm kernel, or 'js': the reference loop. */
  readonly backward: 'reluBackward' | 'js';
}

const exact = (a: number, b: number): [number, number] | null => (Math.fround(a) === a && Math.fround(b) === b ? [a, b] : null);

/**
 * Every unary op, typed so that an op added to kernels/elementwise.ts must be given a row here:
 * a wasm kernel code, or 'js' for the reference loop (exact, but one thread and no SIMD).
 */
export const WASM_UNARY: { readonly [N in UnaryOp['name']]: WasmUnary<N> } = {
  relu: { forward: U_RELU, backward: 'reluBackward' },
  relu6: { forward: U_RELU6, backward: 'js' },
  neg: { forward: U_NEG, backward: 'js' },
  abs: { forward: U_ABS, backward: 'js' },
  square: { forward: U_SQUARE, backward: 'js' },
  sqrt: { forward: U_SQRT, backward: 'js' },
  affine: { forward: U_AFFINE, constants: (op) => exact(op.scale, op.shift), backward: 'js' },
  clamp: { forward: U_CLAMP, constants: (op) => exact(op.min, op.max), backward: 'js' },
  exp: { forward: 'js', backward: 'js' },
  log: { forward: 'js', backward: 'js' },
  sigmoid: { forward: 'js', backward: 'js' },
  tanh: { forward: 'js', backward: 'js' },
  silu: { forward: 'js', backward: 'js' },
  sign: { forward: 'js', backward: 'js' },
  powScalar: { forward: 'js', backward: 'js' },
};

/** The wasm code of a unary op and its two f32 constants, or null (the reference loop runs). */
export function unaryCode(op: UnaryOp): [number, number, number] | null {
  const row = WASM_UNARY[op.name] as WasmUnary;
  if (row.forward === 'js') return null;
  const c = row.constants === undefined ? [0, 0] : row.constants(op);
  return c === null ? null : [row.forward, c[0], c[1]];
}

/** Elements per work item of the flat kernels (BLOCK in assembly/elementwise.ts). */
const FLAT_BLOCK = 4096;

/** Runs a flat kernel over n elements, in blocks of FLAT_BLOCK claimed by the threads. */
function elementRange(rt: WasmRuntime, kernel: 'unary' | 'reluBackward', s: Int32Array, f: [number, number], n: number): void {
  const blocks = Math.ceil(n / FLAT_BLOCK);
  const slices = rt.slicesFor(blocks, n, MIN_ELEMS_PER_THREAD);
  s[E_ITEM1] = n;
  for (let t = 0; t < slices; t++) {
    rt.setArgs(t, s);
    rt.setArgF32(t, E_F0, f[0]);
    rt.setArgF32(t, E_F1, f[1]);
  }
  rt.runClaimed(kernel, slices, blocks);
}

/** y = f(x) (float32, n elements). Returns false when the op has no exact wasm path. */
export function unary(rt: WasmRuntime, x: number, y: number, n: number, op: UnaryOp): boolean {
  const c = unaryCode(op);
  if (c === null) return false;
  const s = new Int32Array(E_SLOTS);
  s[E_OP] = c[0];
  s[E_A] = x;
  s[E_Y] = y;
  elementRange(rt, 'unary', s, [c[1], c[2]], n);
  return true;
}

/** dx = x > 0 ? dy : 0 (float32, n elements). */
export function reluBackward(rt: WasmRuntime, x: number, dy: number, dx: number, n: number): void {
  const s = new Int32Array(E_SLOTS);
  s[E_A] = x;
  s[E_B] = dy;
  s[E_Y] = dx;
  elementRange(rt, 'reluBackward', s, [0, 0], n);
}

/** Sum/mean/max/min reduction (float32; sums and means accumulate in f64). Returns false when the views do not fit the two wasm modes. */
export function reduce(rt: WasmRuntime, x: number, y: number, op: ReduceOp, g: ReduceGeometry): boolean {
  const o = g.outer,
    r = g.inner;
  if (o.dims.length > 3 || r.dims.length > 3 || g.outSize === 0 || g.reduceSize === 0) return false;
  const innerLast = r.dims.length > 0 ? r.strides[r.dims.length - 1] : 0;
  const outerLast = o.dims.length > 0 ? o.strides[o.dims.length - 1] : 0;
  const mode = innerLast === 1 || r.dims.length === 0 ? 0 : outerLast === 1 ? 1 : -1;
  if (mode < 0) return false;
  const s = new Int32Array(R_SLOTS);
  s[R_OP] = op === 'sum' ? R_SUM : op === 'mean' ? R_MEAN : op === 'max' ? R_MAX : R_MIN;
  s[R_DIV] = op === 'mean' ? g.reduceSize : 1;
  s[R_MODE] = mode;
  s[R_X] = x + 4 * (o.offset + r.offset);
  s[R_Y] = y;
  for (let d = 0; d < 3; d++) {
    const so = d - (3 - o.dims.length),
      si = d - (3 - r.dims.length);
    s[R_O0 + d] = so >= 0 ? o.dims[so] : 1;
    s[R_SO0 + d] = so >= 0 ? o.strides[so] : 0;
    s[R_I0 + d] = si >= 0 ? r.dims[si] : 1;
    s[R_SI0 + d] = si >= 0 ? r.strides[si] : 0;
  }
  if (mode === 0 && r.dims.length === 0) s[R_SI0 + 2] = 1;
  const items = mode === 0 ? g.outSize : s[R_O0] * s[R_O0 + 1];
  const slices = rt.slicesFor(items, g.outSize * g.reduceSize, MIN_ELEMS_PER_THREAD);
  const sc = mode === 1 && (op === 'sum' || op === 'mean') ? rt.scratch(8 * s[R_O0 + 2], slices) : null;
  for (let t = 0; t < slices; t++) {
    if (sc !== null) s[R_SCRATCH] = sc.base + t * sc.stride;
    rt.setArgs(t, s);
  }
  rt.runClaimed('reduce', slices, items);
  return true;
}
