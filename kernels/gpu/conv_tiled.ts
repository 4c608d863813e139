// gpu.js sources for conv2d forward and backward-input with several adjacent outputs per invocation, so each loaded input row and weight is reused.

import type { Conv2dGeometry } from '../geometry/conv.js';
import { affine, Emitter, type KernelSpec } from './codegen.js';
import { dyBaseOf, geomKey, guard, rangeCheck, wBaseOf, xBaseOf } from './conv.js';

/** The longest input row segment one invocation keeps in registers. */
const MAX_SEGMENT = 24;

/**
 * Outputs per invocation along the output row: 4 or 2 where the row splits evenly and the input
 * segment fits in registers, else 1 (the one-output kernels of conv.ts).
 */
export function forwardTile(g: Conv2dGeometry): 1 | 2 | 4 {
  for (const t of [4, 2] as const) {
    if (g.outW % t === 0 && (t - 1) * g.strideW + (g.kW - 1) * g.dilationW + 1 <= MAX_SEGMENT) return t;
  }
  return 1;
}

/** Tile of the input-gradient kernel along the input row (stride 1 along W only). */
export function backwardInputTile(g: Conv2dGeometry): 1 | 2 | 4 {
  if (g.strideW !== 1) return 1;
  for (const t of [4, 2] as const) {
    if (g.inW % t === 0 && t + (g.kW - 1) * g.dilationW <= MAX_SEGMENT) return t;
  }
  return 1;
}

/** Declares `s<m> = in-range ? src[row + pos] : 0` for m in [0, len), pos = base + m; returns the names. */
function loadSegment(e: Emitter, src: string, row: string, base: string, len: number, hi: number, lo0: number, hi0: number): string[] {
  const out: string[] = [];
  for (let m = 0; m < len; m++) {
    const pos = e.let('p', affine(m, [[base, 1]]));
    const checks = rangeCheck(pos, hi, lo0 + m, hi0 + m);
    const load = `${src}[${affine(0, [
      [row, 1],
      [pos, 1],
    ])}]`;
    out.push(e.let('s', checks.length === 0 ? load : `(${checks.join(' && ')}) ? ${load} : 0`));
  }
  return out;
}

/**
 * y[b, o, oh, ow0 + j] for j < t (ow0 = t·tile), as conv2dSpec computes each; arguments (x, w).
 * Per (c, kh) the input row segment the t outputs read is loaded once and each weight once.
 */
export function conv2dTiledSpec(g: Conv2dGeometry, t: 2 | 4): KernelSpec {
  const e = new Emitter();
  const { inH, inW, kH, kW, outCPerGroup: ocpg, inCPerGroup: cg, strideW: sw, dilationW: dw } = g;
  const [b, grp, oc, oh, owt] = e.unravel(e.let('i', 'this.thread.x'), [g.batch, g.groups, ocpg, g.outH, g.outW / t]);
  const xBase = xBaseOf(e, g, b, grp);
  const wBase = wBaseOf(e, g, b, grp, oc);
  const ih0 = e.let('h', affine(-g.padTop, [[oh, g.strideH]]));
  const iw0 = e.let('w', affine(-g.padLeft, [[owt, t * sw]]));
  const accs = Array.from({ length: t }, (_, j) => `a${j}`);
  accs.forEach((a) => e.line(`let ${a} = 0;`));
  e.line(`for (let c = 0; c < ${cg}; c++) {`);
  e.line(`for (let kh = 0; kh < ${kH}; kh++) {`);
  const ih = e.let(
    'ih',
    affine(0, [
      [ih0, 1],
      ['kh', g.dilationH],
    ]),
  );
  const closeH = guard(e, rangeCheck(ih, inH, -g.padTop, g.paddedH - 1 - g.padTop));
  const row = e.let(
    'r',
    affine(0, [
      [xBase, 1],
      ['c', inH * inW],
      [ih, inW],
    ]),
  );
  const len = (t - 1) * sw + (kW - 1) * dw + 1;
  const seg = loadSegment(e, 'x', row, iw0, len, inW, -g.padLeft, (g.outW - t) * sw - g.padLeft);
  const wRow = e.let(
    'wr',
    affine(0, [
      [wBase, 1],
      ['c', kH * kW],
      ['kh', kW],
    ]),
  );
  for (let kw = 0; kw < kW; kw++) {
    const wv = e.let('v', `w[${affine(kw, [[wRow, 1]])}]`);
    accs.forEach((a, j) => e.line(`${a} = ${a} + ${seg[j * sw + kw * dw]} * ${wv};`));
  }
  e.line(`${closeH}}}`);
  return {
    name: 'conv2d',
    key: `conv2dTiled${t}:${geomKey(g)}`,
    source: e.source(['x', 'w'], `[${accs.join(', ')}]`),
    outSize: g.outputSize,
    dynamic: false,
    components: t,
  };
}

/**
 * dx[b, g·Cg + c, ih, iw0 + j] for j < t, as conv2dBackwardInputSpec computes each (stride 1 along W);
 * arguments (dy, w). Per (kh, oc) the dy row segment is loaded once and each weight once.
 */
export function conv2dBackwardInputTiledSpec(g: Conv2dGeometry, t: 2 | 4): KernelSpec {
  const e = new Emitter();
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg, dilationW: dw } = g;
  const [b, grp, c, ih, iwt] = e.unravel(e.let('i', 'this.thread.x'), [g.batch, g.groups, cg, inH, inW / t]);
  const dyBase = dyBaseOf(e, g, b, grp);
  const wBase = wBaseOf(e, g, b, grp, null, c);
  // Output column of segment slot m: ow = iwt·t + padLeft − (kW−1)·dw + m.
  const ow0 = e.let('o', affine(g.padLeft - (kW - 1) * dw, [[iwt, t]]));
  const accs = Array.from({ length: t }, (_, j) => `a${j}`);
  accs.forEach((a) => e.line(`let ${a} = 0;`));
  e.line(`for (let kh = 0; kh < ${kH}; kh++) {`);
  const th = e.let(
    't',
    affine(g.padTop, [
      [ih, 1],
      ['kh', -g.dilationH],
    ]),
  );
  let oh = th;
  let hChecks = [`${th} >= 0`];
  if (g.strideH === 1) hChecks.push(`${th} < ${outH}`);
  else {
    const [q, r] = e.divmod(th, g.strideH);
    oh = q;
    hChecks = [`${r} === 0`, `${q} >= 0`, `${q} < ${outH}`];
  }
  e.line(`if (${hChecks.join(' && ')}) {`);
  e.line(`for (let oc = 0; oc < ${ocpg}; oc++) {`);
  const row = e.let(
    'r',
    affine(0, [
      [dyBase, 1],
      ['oc', outH * outW],
      [oh, outW],
    ]),
  );
  const len = t + (kW - 1) * dw;
  const lo = g.padLeft - (kW - 1) * dw;
  const seg = loadSegment(e, 'dy', row, ow0, len, outW, lo, inW - t + lo);
  const wRow = e.let(
    'wr',
    affine(0, [
      [wBase, 1],
      ['oc', cg * kH * kW],
      ['kh', kW],
    ]),
  );
  for (let kw = 0; kw < kW; kw++) {
    const wv = e.let('v', `w[${affine(kw, [[wRow, 1]])}]`);
    accs.forEach((a, j) => e.line(`${a} = ${a} + ${seg[j + (kW - 1 - kw) * dw]} * ${wv};`));
  }
  e.line('}}}');
  return {
    name: 'conv2dBackwardInput',
    key: `conv2dBackwardInputTiled${t}:${geomKey(g)}`,
    source: e.source(['dy', 'w'], `[${accs.join(', ')}]`),
    outSize: g.inputSize,
    dynamic: false,
    components: t,
  };
}
