// The gpu conv kernels' shared pieces (cache keys, range checks, base offsets) and the gpu.js input gradient for W strides above 1 (the WGSL kernels, wgsl_conv.ts and wgsl_filter.ts, do the rest).

import type { Conv2dGeometry } from '../geometry/conv.js';
import { affine, Emitter, type KernelSpec } from './codegen.js';

export function geomKey(g: Conv2dGeometry): string {
  return [
    g.batch,
    g.inC,
    g.inH,
    g.inW,
    g.outC,
    g.outH,
    g.outW,
    g.kH,
    g.kW,
    g.strideH,
    g.strideW,
    g.dilationH,
    g.dilationW,
    g.padTop,
    g.padBottom,
    g.padLeft,
    g.padRight,
    g.groups,
    g.perSampleWeights ? 1 : 0,
  ].join(',');
}

/** `lo <= v < hi` checks that can fail, given that v ranges over [min, max]. */
export function rangeCheck(v: string, hi: number, min: number, max: number): string[] {
  const out: string[] = [];
  if (min < 0) out.push(`${v} >= 0`);
  if (max >= hi) out.push(`${v} < ${hi}`);
  return out;
}

/** dy[b, grp·Og + o, 0, 0] as a flat offset (o omitted: the group's first output channel); every conv spec's dy base. */
export function dyBaseOf(e: Emitter, g: Conv2dGeometry, b: string, grp: string, o?: string): string {
  const plane = g.outH * g.outW;
  const terms: [string, number][] = [
    [b, g.outC * plane],
    [grp, g.outCPerGroup * plane],
  ];
  if (o !== undefined) terms.push([o, plane]);
  return e.let('yb', affine(0, terms));
}

/** w[(b,) grp·Og + o, c, 0, 0] as a flat offset (b counts only with per-sample weights; o or c omitted: 0); every conv spec's w base. */
export function wBaseOf(e: Emitter, g: Conv2dGeometry, b: string, grp: string, o: string | null, c?: string): string {
  const taps = g.kH * g.kW;
  const terms: [string, number][] = [
    [b, g.perSampleWeights ? g.weightSize : 0],
    [grp, g.outCPerGroup * g.inCPerGroup * taps],
  ];
  if (o !== null) terms.push([o, g.inCPerGroup * taps]);
  if (c !== undefined) terms.push([c, taps]);
  return e.let('wb', affine(0, terms));
}

/**
 * The output index `o` (declared) whose window tap `k` lands on input index `v`, with the validity
 * checks: v + pad − k·dil = o·stride for 0 <= o < outN. Returns [o, checks].
 */
function tapSource(e: Emitter, v: string, k: string, pad: number, dil: number, stride: number, outN: number): [string, string[]] {
  const t = e.let(
    't',
    affine(pad, [
      [v, 1],
      [k, -dil],
    ]),
  );
  if (stride === 1) return [t, [`${t} >= 0`, `${t} < ${outN}`]];
  const [q, r] = e.divmod(t, stride);
  return [q, [`${r} === 0`, `${q} >= 0`, `${q} < ${outN}`]];
}

/**
 * dx[b, g·Cg + c, ih, iw] = Σ_{o in group g, kh, kw : tap lands on (ih, iw)} dy[b, o, oh, ow] · w[(b,) o, c, kh, kw];
 * arguments (dy, w).
 */
export function conv2dBackwardInputSpec(g: Conv2dGeometry): KernelSpec {
  const e = new Emitter();
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg } = g;
  const [b, grp, c, ih, iw] = e.unravel(e.let('i', 'this.thread.x'), [g.batch, g.groups, cg, inH, inW]);
  const dyBase = dyBaseOf(e, g, b, grp);
  const wBase = wBaseOf(e, g, b, grp, null, c);
  e.line('let acc = 0;');
  e.line(`for (let kh = 0; kh < ${kH}; kh++) {`);
  const [oh, hChecks] = tapSource(e, ih, 'kh', g.padTop, g.dilationH, g.strideH, outH);
  e.line(`if (${hChecks.join(' && ')}) {`);
  e.line(`for (let kw = 0; kw < ${kW}; kw++) {`);
  const [ow, wChecks] = tapSource(e, iw, 'kw', g.padLeft, g.dilationW, g.strideW, outW);
  e.line(`if (${wChecks.join(' && ')}) {`);
  e.line(`for (let oc = 0; oc < ${ocpg}; oc++) {`);
  e.line(
    `acc = acc + dy[${affine(0, [
      [dyBase, 1],
      ['oc', outH * outW],
      [oh, outW],
      [ow, 1],
    ])}] * w[${affine(0, [
      [wBase, 1],
      ['oc', cg * kH * kW],
      ['kh', kW],
      ['kw', 1],
    ])}];`,
  );
  e.line('}}}}}');
  return {
    name: 'conv2dBackwardInput',
    key: `conv2dBackwardInput:${geomKey(g)}`,
    source: e.source(['dy', 'w'], 'acc'),
    outSize: g.batch * g.inC * inH * inW,
    dynamic: false,
  };
}
