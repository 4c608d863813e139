// WGSL conv2d filter gradient as a split reduction with register tiles: each invocation sums output channels × input channels × a kernel row over a block of output rows.

import type { Conv2dGeometry } from '../geometry/conv.js';
import type { KernelSpec } from './codegen.js';
import { geomKey, rangeCheck } from './conv.js';
import { memoSpec, wgslAffine as af, wgslSpec, wgslUnravel } from './wgsl.js';

/** Accumulators one invocation keeps at most (output channels × input channels × kW). */
const MAX_ACCS = 48;
/** Invocations the partial pass aims for in all. */
const TARGET_THREADS = 1 << 14;
/** Fewest output rows one block sums: on llvmpipe the second pass and its launch cost more than a longer sum (N2 C8 16×16 O16: 2.46 GFLOP/s one block, 1.59 four). */
const MIN_ROWS = 32;

/** Register tile of the filter gradient: `oc` output channels × `ic` input channels × the kernel row, over `px` pixels per step. */
export interface FilterTile {
  readonly oc: number;
  readonly ic: number;
  readonly px: number;
}

const divisorTile = (n: number): number => (n % 4 === 0 ? 4 : n % 2 === 0 ? 2 : 1);

export function wgslFilterTile(g: Conv2dGeometry): FilterTile {
  let oc = divisorTile(g.outCPerGroup);
  let ic = divisorTile(g.inCPerGroup);
  while (oc * ic * g.kW > MAX_ACCS && ic > 1) ic /= 2;
  while (oc * ic * g.kW > MAX_ACCS && oc > 1) oc /= 2;
  // Pixels per step divide the row, so no step reads past it.
  const px = g.outW <= 8 ? g.outW : [8, 4, 2, 1].find((p) => g.outW % p === 0)!;
  return { oc, ic, px };
}

/**
 * Blocks of output rows (rows: (sample, oh) pairs, or oh alone with per-sample weights) the sum is
 * split into: enough invocations to fill the device, each block at least MIN_ROWS rows.
 */
export function wgslFilterBlocks(g: Conv2dGeometry, t: FilterTile): { blocks: number; rowsPerBlock: number } {
  const rows = (g.perSampleWeights ? 1 : g.batch) * g.outH;
  const perBlock = (g.perSampleWeights ? g.batch : 1) * g.groups * (g.outCPerGroup / t.oc) * (g.inCPerGroup / t.ic) * g.kH;
  const want = Math.ceil(TARGET_THREADS / perBlock);
  const blocks0 = Math.max(1, Math.min(want, Math.floor(rows / MIN_ROWS)));
  const rowsPerBlock = Math.ceil(rows / blocks0);
  return { blocks: Math.ceil(rows / rowsPerBlock), rowsPerBlock };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * partial[(b,) p, o, c, kh, kw] = Σ over output rows r in block p and ow of dy[·, o, oh, ow] ·
 * x[·, g·Cg + c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw], for a tile of oc × ic channels and the
 * whole kernel row; arguments (x, dy). With one block it is the filter gradient itself.
 */
export function wgslConv2dBackwardFilterSpec(g: Conv2dGeometry, t: FilterTile, blocks: number, rowsPerBlock: number): KernelSpec {
  const key = `wgslConv2dBackwardFilter${t.oc}x${t.ic}x${t.px}:${geomKey(g)}:${blocks}x${rowsPerBlock}`;
  return memoSpec(key, () => filterSpec(g, t, blocks, rowsPerBlock, key));
}

function filterSpec(g: Conv2dGeometry, t: FilterTile, blocks: number, rowsPerBlock: number, key: string): KernelSpec {
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg, strideW: sw, dilationW: dw } = g;
  const ps = g.perSampleWeights;
  const lead = ps ? g.batch : 1;
  const rows = (ps ? 1 : g.batch) * outH;
  const taps = kH * kW;
  const u = wgslUnravel('i', ['b', 'p', 'grp', 'ob', 'cb', 'kh'], [lead, blocks, g.groups, ocpg / t.oc, cg / t.ic, kH]);
  const [b, p, grp, ob, cb, kh] = u.coords;
  const steps = outW / t.px;
  const len = (t.px - 1) * sw + (kW - 1) * dw + 1;
  const hChecks = rangeCheck('ih', inH, -g.padTop, (outH - 1) * g.strideH - g.padTop + (kH - 1) * g.dilationH);
  const lines = [
    ...u.lines,
    `let o0 = ${af(0, [
      [grp, ocpg],
      [ob, t.oc],
    ])};`,
    `let c0 = ${af(0, [[cb, t.ic]])};`,
    `let xb = ${af(0, [
      [b, g.inC * inH * inW],
      [grp, cg * inH * inW],
      ['c0', inH * inW],
    ])};`,
    `let yb = ${af(0, [
      [b, g.outC * outH * outW],
      ['o0', outH * outW],
    ])};`,
    `let h0 = ${af(-g.padTop, [[kh, g.dilationH]])};`,
    ...range(t.oc).flatMap((o) => range(t.ic).flatMap((c) => range(kW).map((k) => `var a${o}_${c}_${k} = 0.0;`))),
    `for (var rr = 0; rr < ${rowsPerBlock}; rr++) {`,
    `let r = ${af(0, [
      [p, rowsPerBlock],
      ['rr', 1],
    ])};`,
    `if (r >= ${rows}) { break; }`,
    ps ? 'let bb = 0;' : `let bb = r / ${outH};`,
    ps ? 'let oh = r;' : `let oh = r - bb * ${outH};`,
    `let ih = ${af(0, [
      ['h0', 1],
      ['oh', g.strideH],
    ])};`,
    `if (${hChecks.length === 0 ? 'true' : hChecks.join(' && ')}) {`,
    `let xr = ${af(0, [
      ['xb', 1],
      ['bb', g.inC * inH * inW],
      ['ih', inW],
    ])};`,
    `let yr = ${af(0, [
      ['yb', 1],
      ['bb', g.outC * outH * outW],
      ['oh', outW],
    ])};`,
    `for (var st = 0; st < ${steps}; st++) {`,
    `let ow0 = st * ${t.px};`,
    `let iw0 = ${af(-g.padLeft, [['ow0', sw]])};`,
  ];
  for (const o of range(t.oc)) for (const j of range(t.px)) lines.push(`let d${o}_${j} = dy[yr + ow0 + ${o * outH * outW + j}];`);
  for (const c of range(t.ic)) {
    for (const m of range(len)) {
      const pos = af(m, [['iw0', 1]]);
      const checks = rangeCheck(pos, inW, -g.padLeft + m, (steps - 1) * t.px * sw - g.padLeft + m);
      const load = `x[xr + ${pos} + ${c * inH * inW}]`;
      lines.push(`let s${c}_${m} = ${checks.length === 0 ? load : `select(0.0, ${load}, ${checks.join(' && ')})`};`);
    }
    for (const o of range(t.oc)) {
      for (const k of range(kW)) {
        const a = `a${o}_${c}_${k}`;
        lines.push(
          `${a} = ${a}${range(t.px)
            .map((j) => ` + d${o}_${j} * s${c}_${j * sw + k * dw}`)
            .join('')};`,
        );
      }
    }
  }
  lines.push('}}}');
  lines.push(
    `let po = ${af(0, [
      [b, blocks * g.weightSize],
      [p, g.weightSize],
      ['o0', cg * taps],
      ['c0', taps],
      [kh, kW],
    ])};`,
  );
  for (const o of range(t.oc)) for (const c of range(t.ic)) for (const k of range(kW)) lines.push(`y[po + ${o * cg * taps + c * taps + k}] = a${o}_${c}_${k};`);
  const threads = lead * blocks * g.groups * (ocpg / t.oc) * (cg / t.ic) * kH;
  return wgslSpec('conv2dBackwardFilter', key, ['x', 'dy'], lines, lead * blocks * g.weightSize, threads);
}
