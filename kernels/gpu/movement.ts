// gpu.js sources for the movement kernels: strided gather, constant padding (or cropping), and concatenation.

import type { ConcatGeometry, PadGeometry } from '../geometry/movement.js';
import { type StridedView } from '../geometry/strided.js';
import { contiguousStrides, sizeOf } from '../../core/shape.js';
import { affine, Emitter, viewKey, type KernelSpec } from './codegen.js';

/** out[i] = x[view(i)]; arguments (x). */
export function gatherSpec(view: StridedView): KernelSpec {
  const e = new Emitter();
  const o = e.viewOffset(view, e.let('i', 'this.thread.x'));
  return { name: 'gather', key: `gather:${viewKey(view)}`, source: e.source(['x'], `x[${o}]`), outSize: sizeOf(view.dims), dynamic: false };
}

/** out[i] = x[i - before] inside x, else p[0]; arguments (x, p). x must be non-empty. */
export function padSpec(g: PadGeometry): KernelSpec {
  const e = new Emitter();
  const coords = e.unravel(e.let('i', 'this.thread.x'), g.outShape);
  const xs = contiguousStrides(g.inShape);
  const checks: string[] = [];
  const terms: [string, number][] = [];
  g.outShape.forEach((outD, d) => {
    const c = coords[d];
    const before = g.before[d];
    const xc = before === 0 ? c : e.let('c', affine(-before, [[c, 1]]));
    if (before > 0 || before + g.inShape[d] < outD) checks.push(`${xc} >= 0`, `${xc} < ${g.inShape[d]}`);
    terms.push([xc, xs[d]]);
  });
  const off = e.let('o', affine(0, terms));
  e.line('let v = p[0];');
  if (checks.length === 0) e.line(`v = x[${off}];`);
  else e.line(`if (${checks.join(' && ')}) { v = x[${off}]; }`);
  const key = `pad:${g.inShape.join('x')}>${g.outShape.join('x')}@${g.before.join(',')}`;
  return { name: 'pad', key, source: e.source(['x', 'p'], 'v'), outSize: sizeOf(g.outShape), dynamic: false };
}

/**
 * Row-wise concatenation of non-empty blocks: out[row, starts[j] + c] = xs[j][row, c];
 * arguments (x0, x1, …).
 */
export function concatSpec(outer: number, widths: readonly number[]): KernelSpec {
  const e = new Emitter();
  const rowWidth = widths.reduce((a, b) => a + b, 0);
  const [row, col] = e.divmod(e.let('i', 'this.thread.x'), rowWidth);
  const args = widths.map((_, j) => `x${j}`);
  e.line('let v = 0;');
  let start = 0;
  widths.forEach((w, j) => {
    const read = `v = x${j}[${affine(-start, [
      [row, w],
      [col, 1],
    ])}];`;
    const last = j === widths.length - 1;
    if (j === 0) e.line(last ? read : `if (${col} < ${start + w}) { ${read} }`);
    else e.line(last ? `else { ${read} }` : `else if (${col} < ${start + w}) { ${read} }`);
    start += w;
  });
  return { name: 'concat', key: `concat:${outer}:${widths.join(',')}`, source: e.source(args, 'v'), outSize: outer * rowWidth, dynamic: false };
}

/**
 * Splits a concat into steps of at most `group` (>= 2) blocks, since a kernel binds few storage
 * buffers: each step's widths, the previous step's output being the next step's first block.
 */
export function concatPlan(g: ConcatGeometry, group: number): number[][] {
  let blocks = g.widths.filter((w) => w > 0);
  const steps: number[][] = [];
  while (blocks.length > group) {
    const first = blocks.slice(0, group);
    steps.push(first);
    blocks = [first.reduce((a, b) => a + b, 0), ...blocks.slice(group)];
  }
  steps.push(blocks);
  return steps;
}
