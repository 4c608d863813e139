// WGSL conv2d input gradient at W strides above 1: a tile of channels × pixels of one stride residue per invocation, so each tap's dy values lie in one contiguous run.

import type { Conv2dGeometry } from '../geometry/conv.js';
import type { KernelSpec } from './codegen.js';
import { geomKey } from './conv.js';
import type { ConvTile } from './wgsl_conv.js';
import { memoSpec, wgslAffine as af, wgslSpec, wgslUnravel } from './wgsl.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Input columns of one residue class (iw ≡ r mod strideW): at most ceil(inW / strideW). */
export const residueColumns = (g: Conv2dGeometry): number => Math.ceil(g.inW / g.strideW);

/**
 * dx[b, g·Cg + c, ih, iw] for `t.ch` input channels × `t.px` columns iw = r + sw·(q0 + j) of one
 * residue r (W stride sw > 1), as the one-output input gradient computes each; arguments (dy, w).
 * Tap kw reaches these columns only when (r + pl − kw·dw) is a multiple of sw, and then from the dy
 * columns ow = (r + pl − kw·dw)/sw + q0 + j: px contiguous values, each used for ch channels.
 */
export function wgslConv2dBackwardInputStridedSpec(g: Conv2dGeometry, t: ConvTile): KernelSpec {
  const key = `wgslConv2dBackwardInputStrided${t.ch}x${t.px}:${geomKey(g)}`;
  return memoSpec(key, () => stridedSpec(g, t, key));
}

function stridedSpec(g: Conv2dGeometry, t: ConvTile, key: string): KernelSpec {
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg, strideW: sw, dilationW: dw } = g;
  const tiles = Math.ceil(residueColumns(g) / t.px);
  // The stride residues of ih and iw are outer coordinates, so the invocations of a SIMD batch take the same taps.
  const sh = g.strideH;
  const rowsPerRes = Math.ceil(inH / sh);
  const u = wgslUnravel('i', ['b', 'grp', 'hres', 'res', 'cb', 'ihq', 'qt'], [g.batch, g.groups, sh, sw, cg / t.ch, rowsPerRes, tiles]);
  const [b, grp, hres, res, cb, ihq, qt] = u.coords;
  const ih = 'ih';
  const taps = kH * kW;
  // A multiple of sw that keeps r + pl − kw·dw + off >= 0 for every tap, so % and / act on non-negatives.
  const off = sw * Math.ceil(((kW - 1) * dw) / sw);
  let hLines: string[];
  if (g.strideH === 1) hLines = [`let oh = th;`, `if (th >= 0 && th < ${outH}) {`];
  else hLines = [`let oh = th / ${g.strideH};`, `if (th >= 0 && oh * ${g.strideH} == th && oh < ${outH}) {`];
  const lines = [
    ...u.lines,
    `let ih = ${af(0, [
      [hres, 1],
      [ihq, sh],
    ])};`,
    `let c0 = ${af(0, [[cb, t.ch]])};`,
    `let q0 = ${af(0, [[qt, t.px]])};`,
    `let yb = ${af(0, [
      [b, g.outC * outH * outW],
      [grp, ocpg * outH * outW],
    ])};`,
    `let wb = ${af(0, [
      [b, g.perSampleWeights ? g.weightSize : 0],
      [grp, ocpg * cg * taps],
      ['c0', taps],
    ])};`,
    ...range(kW).flatMap((kw) => [
      `let tw${kw} = ${af(g.padLeft - kw * dw + off, [[res, 1]])};`,
      `let ok${kw} = tw${kw} % ${sw} == 0;`,
      `let ow${kw} = tw${kw} / ${sw} - ${off / sw} + q0;`,
    ]),
    ...range(t.ch).flatMap((o) => range(t.px).map((j) => `var a${o}_${j} = 0.0;`)),
    `for (var kh = 0; kh < ${kH}; kh++) {`,
    `let th = ${af(g.padTop, [
      [ih, 1],
      ['kh', -g.dilationH],
    ])};`,
    ...hLines,
    `for (var oc = 0; oc < ${ocpg}; oc++) {`,
    `let r = ${af(0, [
      ['yb', 1],
      ['oc', outH * outW],
      ['oh', outW],
    ])};`,
    `let wr = ${af(0, [
      ['wb', 1],
      ['oc', cg * taps],
      ['kh', kW],
    ])};`,
  ];
  for (const kw of range(kW)) {
    lines.push(`if (ok${kw}) {`);
    for (const j of range(t.px)) {
      const ow = `ow${kw} + ${j}`;
      lines.push(`let d${kw}_${j} = select(0.0, dy[r + ${ow}], ${ow} >= 0 && ${ow} < ${outW});`);
    }
    for (const o of range(t.ch)) {
      lines.push(`let v${kw}_${o} = w[wr + ${o * taps + kw}];`);
      for (const j of range(t.px)) lines.push(`a${o}_${j} = a${o}_${j} + d${kw}_${j} * v${kw}_${o};`);
    }
    lines.push('}');
  }
  lines.push('}}}');
  lines.push(
    `let xo = ${af(0, [
      [b, g.inC * inH * inW],
      [grp, cg * inH * inW],
      ['c0', inH * inW],
      [ih, inW],
      [res, 1],
      ['q0', sw],
    ])};`,
  );
  for (const o of range(t.ch)) {
    for (const j of range(t.px)) lines.push(`if (ih < ${inH} && ${res} + (q0 + ${j}) * ${sw} < ${inW}) { y[xo + ${o * inH * inW + j * sw}] = a${o}_${j}; }`);
  }
  return wgslSpec('conv2dBackwardInput', key, ['dy', 'w'], lines, g.inputSize, g.batch * g.groups * sh * sw * (cg / t.ch) * rowsPerRes * tiles);
}
