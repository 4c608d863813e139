// gpu.js source for the conv2d filter gradient as a split reduction: partial sums over blocks of output rows in parallel, then a sum over the blocks.

import type { Conv2dGeometry } from '../geometry/conv.js';
import { affine, Emitter, type KernelSpec } from './codegen.js';
import { dyBaseOf, geomKey, guard, rangeCheck, xBaseOf } from './conv.js';

/** Invocations the partial pass aims for: enough to fill a large GPU. */
const TARGET_THREADS = 1 << 18;
/** Fewest output rows one partial sums (below this the second pass costs more than it saves). */
const MIN_ROWS = 2;

/**
 * How many blocks of output rows the filter gradient splits its sum into: 1 (one pass) when the
 * weights alone give enough invocations. Rows are (sample, oh) pairs, or oh alone per sample.
 */
export function filterBlocks(g: Conv2dGeometry, perSample: boolean): { blocks: number; rowsPerBlock: number } {
  const rows = (perSample ? 1 : g.batch) * g.outH;
  const lead = perSample ? g.batch : 1;
  const want = Math.ceil(TARGET_THREADS / (lead * g.weightSize));
  const blocks0 = Math.max(1, Math.min(want, Math.floor(rows / MIN_ROWS)));
  const rowsPerBlock = Math.ceil(rows / blocks0);
  return { blocks: Math.ceil(rows / rowsPerBlock), rowsPerBlock };
}

/**
 * partial[(b,) p, o, c, kh, kw] = Σ over output rows r in block p (r = sample·outH + oh, or oh per
 * sample) and ow of dy[·, o, oh, ow] · x[·, g·Cg + c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw];
 * arguments (x, dy). Summing the partials over p gives the filter gradient ([B, |W|] with `perSample`).
 */
export function conv2dBackwardFilterPartialSpec(g: Conv2dGeometry, perSample: boolean, blocks: number, rowsPerBlock: number): KernelSpec {
  const e = new Emitter();
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg } = g;
  const lead = perSample ? g.batch : 1;
  const rows = (perSample ? 1 : g.batch) * outH;
  // With kW <= 4 one invocation computes the whole kernel row dw[..., kh, 0..kW-1] (Array(kW)): each dy value is loaded once for kW taps.
  const t = filterTile(g);
  const [b, p, grp, oc, c, kh, kw] = e.unravel(e.let('i', 'this.thread.x'), [lead, blocks, g.groups, ocpg, cg, kH, kW / t]);
  const xBase = xBaseOf(e, g, b, grp, c);
  const dyBase = dyBaseOf(e, g, b, grp, oc);
  const h0 = e.let('h', affine(-g.padTop, [[kh, g.dilationH]]));
  const w0 = e.let('w', affine(-g.padLeft, [[kw, t * g.dilationW]]));
  const r0 = e.let('r', affine(0, [[p, rowsPerBlock]]));
  const accs = Array.from({ length: t }, (_, j) => `a${j}`);
  accs.forEach((a) => e.line(`let ${a} = 0;`));
  e.line(`for (let rr = 0; rr < ${rowsPerBlock}; rr++) {`);
  const r = e.let(
    'r',
    affine(0, [
      [r0, 1],
      ['rr', 1],
    ]),
  );
  e.line(`if (${r} < ${rows}) {`);
  const [bb, oh] = perSample ? ['0', r] : e.divmod(r, outH);
  const ih = e.let(
    'ih',
    affine(0, [
      [h0, 1],
      [oh, g.strideH],
    ]),
  );
  const closeH = guard(e, rangeCheck(ih, inH, -g.padTop, (outH - 1) * g.strideH - g.padTop + (kH - 1) * g.dilationH));
  const xRow = e.let(
    'xr',
    affine(0, [
      [xBase, 1],
      [bb, g.inC * inH * inW],
      [ih, inW],
    ]),
  );
  const yRow = e.let(
    'yr',
    affine(0, [
      [dyBase, 1],
      [bb, g.outC * outH * outW],
      [oh, outW],
    ]),
  );
  e.line(`for (let ow = 0; ow < ${outW}; ow++) {`);
  const dyv = e.let(
    'd',
    `dy[${affine(0, [
      [yRow, 1],
      ['ow', 1],
    ])}]`,
  );
  const iw0 = e.let(
    'iw',
    affine(0, [
      [w0, 1],
      ['ow', g.strideW],
    ]),
  );
  accs.forEach((a, j) => {
    const iw = e.let('iw', affine(j * g.dilationW, [[iw0, 1]]));
    const lo = -g.padLeft + j * g.dilationW;
    const checks = rangeCheck(iw, inW, lo, (outW - 1) * g.strideW + lo + (kW - t) * g.dilationW);
    const load = `x[${affine(0, [
      [xRow, 1],
      [iw, 1],
    ])}]`;
    e.line(`${a} = ${a} + ${dyv} * (${checks.length === 0 ? load : `(${checks.join(' && ')}) ? ${load} : 0`});`);
  });
  e.line(`}${closeH}}}`);
  const key = `conv2dBackwardFilterPartial${t}:${geomKey(g)}:${perSample ? 'ps' : 'sum'}:${blocks}x${rowsPerBlock}`;
  const result = t === 1 ? 'a0' : `[${accs.join(', ')}]`;
  return { name: 'conv2dBackwardFilter', key, source: e.source(['x', 'dy'], result), outSize: lead * blocks * g.weightSize, dynamic: false, components: t };
}

/** Outputs per invocation of the partial filter-gradient kernel: the kernel row (kW <= 4), else 1. */
export function filterTile(g: Conv2dGeometry): 1 | 2 | 3 | 4 {
  return g.kW <= 4 ? (g.kW as 1 | 2 | 3 | 4) : 1;
}
