// WGSL conv2d forward and input gradient (W stride 1) with register tiles of several channels × several pixels per invocation, each loaded value reused across the tile.

import type { Conv2dGeometry } from '../geometry/conv.js';
import type { KernelSpec } from './codegen.js';
import { geomKey, rangeCheck } from './conv.js';
import { memoSpec, wgslAffine as af, wgslSpec, wgslUnravel } from './wgsl.js';

/** Register tile of a WGSL conv kernel: `ch` channels × `px` pixels along the row per invocation. */
export interface ConvTile {
  readonly ch: number;
  readonly px: number;
}

/** The largest of 4, 2, 1 dividing n. */
const divisorTile = (n: number): number => (n % 4 === 0 ? 4 : n % 2 === 0 ? 2 : 1);

/** Pixels along the row per invocation: the whole row up to 16 (measured on llvmpipe: 4×16 tiles beat 4×8 and 4×4). */
const pixelTile = (n: number): number => Math.min(n, 16);

/** Forward tile: output channels of a group × output pixels of a row. */
export function wgslForwardTile(g: Conv2dGeometry): ConvTile {
  return { ch: divisorTile(g.outCPerGroup), px: pixelTile(g.outW) };
}

/**
 * Input-gradient tile: input channels × input pixels of a row at W stride 1; at larger W strides,
 * pixels of one stride residue (wgsl_conv_strided.ts), up to 8 since their dy values are not shared.
 */
export function wgslBackwardInputTile(g: Conv2dGeometry): ConvTile {
  const ch = divisorTile(g.inCPerGroup);
  return g.strideW === 1 ? { ch, px: pixelTile(g.inW) } : { ch, px: Math.min(16, Math.ceil(g.inW / g.strideW)) };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const cond = (checks: string[]): string => (checks.length === 0 ? 'true' : checks.join(' && '));

/** `let s<m> = in-row ? src[row + base + m] : 0` for m < len (base + m must lie in [lo0 + m, hi0 + m]). */
function segment(name: string, src: string, row: string, base: string, len: number, n: number, lo0: number, hi0: number): string[] {
  return range(len).map((m) => {
    const pos = af(m, [[base, 1]]);
    const checks = rangeCheck(pos, n, lo0 + m, hi0 + m);
    const load = `${src}[${row} + ${pos}]`;
    return `let ${name}${m} = ${checks.length === 0 ? load : `select(0.0, ${load}, ${cond(checks)})`};`;
  });
}

/** The tile's stores: y[out0 + o·plane + j] = a_o_j where j < `valid` (ragged last tile). */
function stores(ch: number, px: number, out0: string, plane: number, pos0: string, n: number): string[] {
  const out: string[] = [];
  for (const o of range(ch)) {
    for (const j of range(px)) {
      const st = `y[${out0} + ${o * plane + j}] = a${o}_${j};`;
      out.push(n % px === 0 ? st : `if (${pos0} + ${j} < ${n}) { ${st} }`);
    }
  }
  return out;
}

/**
 * y[b, o, oh, ow] for a tile of `t.ch` output channels × `t.px` adjacent pixels, as conv2dSpec
 * computes each; arguments (x, w). Per (c, kh) the tile's input row segment is loaded once and
 * each of its weights once, then every loaded value feeds ch or px accumulators.
 */
export function wgslConv2dSpec(g: Conv2dGeometry, t: ConvTile): KernelSpec {
  return memoSpec(`wgslConv2d${t.ch}x${t.px}:${geomKey(g)}`, () => conv2dSpec(g, t));
}

function conv2dSpec(g: Conv2dGeometry, t: ConvTile): KernelSpec {
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg, strideW: sw, dilationW: dw } = g;
  const tiles = Math.ceil(outW / t.px);
  const u = wgslUnravel('i', ['b', 'grp', 'ob', 'oh', 'owt'], [g.batch, g.groups, ocpg / t.ch, outH, tiles]);
  const taps = kH * kW;
  const len = (t.px - 1) * sw + (kW - 1) * dw + 1;
  const hChecks = rangeCheck('ih', inH, -g.padTop, g.paddedH - 1 - g.padTop);
  const lines = [
    ...u.lines,
    `let o0 = ${af(0, [
      [u.coords[1], ocpg],
      [u.coords[2], t.ch],
    ])};`,
    `let xb = ${af(0, [
      [u.coords[0], g.inC * inH * inW],
      [u.coords[1], cg * inH * inW],
    ])};`,
    `let wb = ${af(0, [
      [u.coords[0], g.perSampleWeights ? g.weightSize : 0],
      ['o0', cg * taps],
    ])};`,
    `let ih0 = ${af(-g.padTop, [[u.coords[3], g.strideH]])};`,
    `let ow0 = ${af(0, [[u.coords[4], t.px]])};`,
    `let iw0 = ${af(-g.padLeft, [['ow0', sw]])};`,
    ...range(t.ch).flatMap((o) => range(t.px).map((j) => `var a${o}_${j} = 0.0;`)),
    `for (var c = 0; c < ${cg}; c++) {`,
    `for (var kh = 0; kh < ${kH}; kh++) {`,
    `let ih = ${af(0, [
      ['ih0', 1],
      ['kh', g.dilationH],
    ])};`,
    `if (${cond(hChecks)}) {`,
    `let r = ${af(0, [
      ['xb', 1],
      ['c', inH * inW],
      ['ih', inW],
    ])};`,
    ...segment('s', 'x', 'r', 'iw0', len, inW, -g.padLeft, (tiles - 1) * t.px * sw - g.padLeft),
    `let wr = ${af(0, [
      ['wb', 1],
      ['c', taps],
      ['kh', kW],
    ])};`,
  ];
  for (const kw of range(kW)) {
    for (const o of range(t.ch)) {
      lines.push(`let v${kw}_${o} = w[wr + ${o * cg * taps + kw}];`);
      for (const j of range(t.px)) lines.push(`a${o}_${j} = a${o}_${j} + s${j * sw + kw * dw} * v${kw}_${o};`);
    }
  }
  lines.push('}}}');
  const out0 = af(0, [
    [u.coords[0], g.outC * outH * outW],
    ['o0', outH * outW],
    [u.coords[3], outW],
    ['ow0', 1],
  ]);
  lines.push(`let yo = ${out0};`, ...stores(t.ch, t.px, 'yo', outH * outW, 'ow0', outW));
  return wgslSpec('conv2d', `wgslConv2d${t.ch}x${t.px}:${geomKey(g)}`, ['x', 'w'], lines, g.outputSize, g.batch * g.groups * (ocpg / t.ch) * outH * tiles);
}

/**
 * dx[b, g·Cg + c, ih, iw] for a tile of `t.ch` input channels × `t.px` adjacent pixels (W stride 1),
 * as conv2dBackwardInputSpec computes each; arguments (dy, w). Per (kh, oc) the dy row segment is
 * loaded once and each weight once.
 */
export function wgslConv2dBackwardInputSpec(g: Conv2dGeometry, t: ConvTile): KernelSpec {
  return memoSpec(`wgslConv2dBackwardInput${t.ch}x${t.px}:${geomKey(g)}`, () => backwardInputSpec(g, t));
}

function backwardInputSpec(g: Conv2dGeometry, t: ConvTile): KernelSpec {
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg, dilationW: dw } = g;
  const tiles = Math.ceil(inW / t.px);
  const u = wgslUnravel('i', ['b', 'grp', 'cb', 'ih', 'iwt'], [g.batch, g.groups, cg / t.ch, inH, tiles]);
  const taps = kH * kW;
  const len = t.px + (kW - 1) * dw;
  // Output column of segment slot m: ow = iw0 + padLeft − (kW−1)·dw + m.
  const lo = g.padLeft - (kW - 1) * dw;
  let hLines: string[];
  if (g.strideH === 1) hLines = [`let oh = th;`, `if (th >= 0 && th < ${outH}) {`];
  else hLines = [`let oh = th / ${g.strideH};`, `if (th >= 0 && oh * ${g.strideH} == th && oh < ${outH}) {`];
  const lines = [
    ...u.lines,
    `let c0 = ${af(0, [[u.coords[2], t.ch]])};`,
    `let yb = ${af(0, [
      [u.coords[0], g.outC * outH * outW],
      [u.coords[1], ocpg * outH * outW],
    ])};`,
    `let wb = ${af(0, [
      [u.coords[0], g.perSampleWeights ? g.weightSize : 0],
      [u.coords[1], ocpg * cg * taps],
      ['c0', taps],
    ])};`,
    `let iw0 = ${af(0, [[u.coords[4], t.px]])};`,
    `let ow0 = ${af(lo, [['iw0', 1]])};`,
    ...range(t.ch).flatMap((o) => range(t.px).map((j) => `var a${o}_${j} = 0.0;`)),
    `for (var kh = 0; kh < ${kH}; kh++) {`,
    `let th = ${af(g.padTop, [
      [u.coords[3], 1],
      ['kh', -g.dilationH],
    ])};`,
    ...hLines,
    `for (var oc = 0; oc < ${ocpg}; oc++) {`,
    `let r = ${af(0, [
      ['yb', 1],
      ['oc', outH * outW],
      ['oh', outW],
    ])};`,
    ...segment('s', 'dy', 'r', 'ow0', len, outW, lo, (tiles - 1) * t.px + lo),
    `let wr = ${af(0, [
      ['wb', 1],
      ['oc', cg * taps],
      ['kh', kW],
    ])};`,
  ];
  for (const kw of range(kW)) {
    for (const o of range(t.ch)) {
      lines.push(`let v${kw}_${o} = w[wr + ${o * taps + kw}];`);
      for (const j of range(t.px)) lines.push(`a${o}_${j} = a${o}_${j} + s${j + (kW - 1 - kw) * dw} * v${kw}_${o};`);
    }
  }
  lines.push('}}}');
  const out0 = af(0, [
    [u.coords[0], g.inC * inH * inW],
    [u.coords[1], cg * inH * inW],
    ['c0', inH * inW],
    [u.coords[3], inW],
    ['iw0', 1],
  ]);
  lines.push(`let xo = ${out0};`, ...stores(t.ch, t.px, 'xo', inH * inW, 'iw0', inW));
  return wgslSpec(
    'conv2dBackwardInput',
    `wgslConv2dBackwardInput${t.ch}x${t.px}:${geomKey(g)}`,
    ['dy', 'w'],
    lines,
    g.inputSize,
    g.batch * g.groups * (cg / t.ch) * inH * tiles,
  );
}
