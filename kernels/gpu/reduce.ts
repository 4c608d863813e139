// gpu.js sources for reductions: one thread per kept element folds the reduced view, with an optional chunked first pass.

import type { ReduceOp } from '../elementwise.js';
import { reduceGeometry, type ReduceGeometry } from '../geometry/reduce.js';
import { affine, Emitter, viewKey, type KernelSpec } from './codegen.js';

/** A reduction longer than this, over few outputs, first folds chunks of CHUNK in parallel. */
export const CHUNK = 1024;
const FEW_OUTPUTS = 1024;

/** The fold's identity: what an empty reduction returns (passed at run time as p[0]). */
export function reduceIdentity(op: ReduceOp): number {
  return op === 'sum' || op === 'mean' ? 0 : op === 'max' ? -Infinity : Infinity;
}

/**
 * One fold step into `acc`. A mean adds v · p[1] (p[1] = 1/count), so finite inputs cannot
 * overflow the float32 accumulator; a NaN replaces the running max/min and stays.
 */
function foldLine(op: ReduceOp, v: string): string {
  switch (op) {
    case 'sum':
      return compensated(v);
    case 'mean':
      return compensated(`${v} * p[1]`);
    case 'max':
      return `if (${v} > acc || ${v} !== ${v}) { acc = ${v}; }`;
    case 'min':
      return `if (${v} < acc || ${v} !== ${v}) { acc = ${v}; }`;
  }
}

/**
 * Neumaier's compensated sum: `comp` collects what each float32 addition to `acc` rounds away,
 * so a sum with cancellation (1e8 + 1 − 1e8 …) keeps the small terms, as the float64
 * accumulators of the cpu and wasm backends do.
 */
function compensated(v: string): string {
  return [
    `const u = ${v};`,
    'const t = acc + u;',
    'if (Math.abs(acc) >= Math.abs(u)) { comp = comp + ((acc - t) + u); } else { comp = comp + ((u - t) + acc); }',
    'acc = t;',
  ].join('\n');
}

/**
 * out[o] = fold over the reduced view of x[outer(o) + inner(r)]; arguments (x, p) with p[0] the
 * identity. With `chunks` > 1 the outermost reduced dim is cut into that many pieces and the
 * output is [outSize, chunks] partial folds.
 */
export function reduceSpec(op: ReduceOp, g: ReduceGeometry, chunks = 1): KernelSpec {
  const e = new Emitter();
  const i = e.let('i', 'this.thread.x');
  const [o, c] = chunks > 1 ? e.divmod(i, chunks) : [i, '0'];
  const base = e.viewOffset(g.outer, o);
  e.line('let acc = p[0];').line('let comp = 0;');
  const dims = g.inner.dims;
  const strides = g.inner.strides;
  const loops: [string, number][] = [];
  let close = '';
  dims.forEach((d, k) => {
    const r = e.fresh('k');
    if (k === 0 && chunks > 1) {
      const len = Math.ceil(d / chunks);
      e.line(`for (let ${r} = 0; ${r} < ${len}; ${r}++) {`);
      const rr = e.let('k', `${c} * ${len} + ${r}`);
      e.line(`if (${rr} < ${d}) {`);
      close += '}}';
      loops.push([rr, strides[k]]);
    } else {
      e.line(`for (let ${r} = 0; ${r} < ${d}; ${r}++) {`);
      close += '}';
      loops.push([r, strides[k]]);
    }
  });
  const v = e.let('v', `x[${affine(0, [[base, 1], ...loops])}]`);
  e.line(foldLine(op, v)).line(close);
  const key = `reduce:${op}:${viewKey(g.outer)}:${viewKey(g.inner)}:${chunks}`;
  // An infinite term makes comp NaN (∞ − ∞): then the plain sum is the answer.
  if (op === 'sum' || op === 'mean') e.line('const total = Math.abs(acc) <= 3.4028234e38 ? acc + comp : acc;');
  const result = op === 'sum' || op === 'mean' ? 'total' : 'acc';
  return { name: `reduce(${op})`, key, source: e.source(['x', 'p'], result), outSize: g.outSize * chunks, dynamic: false };
}

/**
 * How to run a reduction: one pass, or a chunked pass whose [outSize, chunks] partials a second
 * reduction over the last axis folds. Chunking pays when a few outputs each fold a long view.
 */
export function reducePlan(op: ReduceOp, g: ReduceGeometry): { first: KernelSpec; second: ReduceGeometry | null } {
  const lead = g.inner.dims.length > 0 ? g.inner.dims[0] : 0;
  if (g.reduceSize <= CHUNK || g.outSize > FEW_OUTPUTS || lead < 4) return { first: reduceSpec(op, g), second: null };
  const chunks = Math.min(Math.ceil(g.reduceSize / CHUNK), lead);
  return { first: reduceSpec(op, g, chunks), second: reduceGeometry(`reduce(${op})`, [g.outSize, chunks], 1) };
}
