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
 * dx[b, g·Cg + c, ih, iw] = Σ_{o in group g, kh, kw : tap lands on (ih, iw)} dy[b, o, oh, ow] · w[(b,) o, c, kh, kw]
 * for `t.ch` input channels × `t.px` columns iw = r + sw·(q0 + j) of one residue r (W stride sw > 1);
 * arguments (dy, w). Tap kw reaches these columns only when (r + pl − kw·dw) is a multiple of sw, and
 * then from the dy columns ow = (r + pl − kw·dw)/sw + q0 + j: px contiguous values, each used for ch
 * channels; rows likewise. Which taps reach a residue is decided when the source is built.
 */
export function wgslConv2dBackwardInputStridedSpec(g: Conv2dGeometry, t: ConvTile): KernelSpec {
  const key = `wgslConv2dBackwardInputStrided${t.ch}x${t.px}:${geomKey(g)}`;
  return memoSpec(key, () => stridedSpec(g, t, key));
}

/** The taps k (of n, dilation d, padding pad, stride st) reaching positions ≡ r mod st, with their offsets (r + pad − k·d) / st. */
function residueTaps(n: number, d: number, pad: number, st: number, r: number): { k: number; shift: number }[] {
  return range(n)
    .map((k) => ({ k, c: r + pad - k * d }))
    .filter(({ c }) => ((c % st) + st) % st === 0)
    .map(({ k, c }) => ({ k, shift: c / st }));
}

function stridedSpec(g: Conv2dGeometry, t: ConvTile, key: string): KernelSpec {
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg, strideW: sw, strideH: sh, dilationW: dw } = g;
  const tiles = Math.ceil(residueColumns(g) / t.px);
  // The stride residues of ih and iw are outer coordinates, so the invocations of a SIMD batch take one branch below.
  const rowsPerRes = Math.ceil(inH / sh);
  const u = wgslUnravel('i', ['b', 'grp', 'hres', 'res', 'cb', 'ihq', 'qt'], [g.batch, g.groups, sh, sw, cg / t.ch, rowsPerRes, tiles]);
  const [b, grp, hres, res, cb, ihq, qt] = u.coords;
  const taps = kH * kW;
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
    ...range(t.ch).flatMap((o) => range(t.px).map((j) => `var a${o}_${j} = 0.0;`)),
  ];
  // One branch per (row residue, column residue): its taps, and for each reaching row the dy segment
  // ow = q0 + lo .. q0 + hi + px − 1 that serves all its column taps (tap kw reads from q0 + shift).
  let first = true;
  for (const hr of range(sh)) {
    const rows = residueTaps(kH, g.dilationH, g.padTop, sh, hr);
    for (const wr of range(sw)) {
      const cols = residueTaps(kW, dw, g.padLeft, sw, wr);
      if (rows.length === 0 || cols.length === 0) continue;
      const conds = [...(sh > 1 ? [`${hres} == ${hr}`] : []), `${res} == ${wr}`];
      lines.push(`${first ? '' : '} else '}if (${conds.join(' && ')}) {`);
      first = false;
      const lo = Math.min(...cols.map((c) => c.shift));
      const len = t.px + Math.max(...cols.map((c) => c.shift)) - lo;
      lines.push(`for (var oc = 0; oc < ${ocpg}; oc++) {`);
      for (const { k: kh, shift: dh } of rows) {
        lines.push('{', `let oh = ${af(dh, [[ihq, 1]])};`, `if (oh >= 0 && oh < ${outH}) {`);
        lines.push(`let r = yb + oc * ${outH * outW} + oh * ${outW};`, `let wr = wb + oc * ${cg * taps} + ${kh * kW};`);
        for (const m of range(len)) {
          const ow = af(lo + m, [['q0', 1]]);
          lines.push(`let s${m} = select(0.0, dy[r + ${ow}], ${ow} >= 0 && ${ow} < ${outW});`);
        }
        for (const { k: kw, shift } of cols) {
          for (const o of range(t.ch)) {
            lines.push(`let v${kw}_${o} = w[wr + ${o * taps + kw}];`);
            for (const j of range(t.px)) lines.push(`a${o}_${j} = a${o}_${j} + s${shift - lo + j} * v${kw}_${o};`);
          }
        }
        lines.push('}}');
      }
      lines.push('}');
    }
  }
  if (!first) lines.push('}');
  lines.push(
    `let xo = ${af(0, [
      [b, g.inC * inH * inW],
      [grp, cg * inH * inW],
      ['c0', inH * inW],
      ['ih', inW],
      [res, 1],
      ['q0', sw],
    ])};`,
  );
  for (const o of range(t.ch)) {
    for (const j of range(t.px)) lines.push(`if (ih < ${inH} && ${res} + (q0 + ${j}) * ${sw} < ${inW}) { y[xo + ${o * inH * inW + j * sw}] = a${o}_${j}; }`);
  }
  return wgslSpec('conv2dBackwardInput', key, ['dy', 'w'], lines, g.inputSize, g.batch * g.groups * sh * sw * (cg / t.ch) * rowsPerRes * tiles);
}
