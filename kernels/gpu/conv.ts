// gpu.js sources for conv2d forward, backward-input and backward-filter (groups, dilation, asymmetric padding, per-sample weights).

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

/** Opens `if (checks) {` when there are checks; returns the closing text. */
export function guard(e: Emitter, checks: string[]): string {
  if (checks.length === 0) return '';
  e.line(`if (${checks.join(' && ')}) {`);
  return '}';
}

/** x[b, grp·Cg + c, 0, 0] as a flat offset (c omitted: the group's first channel); every conv spec's x base. */
export function xBaseOf(e: Emitter, g: Conv2dGeometry, b: string, grp: string, c?: string): string {
  const plane = g.inH * g.inW;
  const terms: [string, number][] = [
    [b, g.inC * plane],
    [grp, g.inCPerGroup * plane],
  ];
  if (c !== undefined) terms.push([c, plane]);
  return e.let('xb', affine(0, terms));
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
 * y[b, o, oh, ow] = Σ_{c, kh, kw} x[b, g·Cg + c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw] · w[(b,) o, c, kh, kw];
 * arguments (x, w). Threads run along ow, so neighbours read neighbouring x; the w row is shared.
 */
export function conv2dSpec(g: Conv2dGeometry): KernelSpec {
  const e = new Emitter();
  const { inH, inW, kH, kW, outCPerGroup: ocpg, inCPerGroup: cg } = g;
  const [b, grp, oc, oh, ow] = e.unravel(e.let('i', 'this.thread.x'), [g.batch, g.groups, ocpg, g.outH, g.outW]);
  const xBase = xBaseOf(e, g, b, grp);
  const wBase = wBaseOf(e, g, b, grp, oc);
  const ih0 = e.let('h', affine(-g.padTop, [[oh, g.strideH]]));
  const iw0 = e.let('w', affine(-g.padLeft, [[ow, g.strideW]]));
  e.line('let acc = 0;');
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
  e.line(`for (let kw = 0; kw < ${kW}; kw++) {`);
  const iw = e.let(
    'iw',
    affine(0, [
      [iw0, 1],
      ['kw', g.dilationW],
    ]),
  );
  const closeW = guard(e, rangeCheck(iw, inW, -g.padLeft, g.paddedW - 1 - g.padLeft));
  e.line(
    `acc = acc + x[${affine(0, [
      [xBase, 1],
      ['c', inH * inW],
      [ih, inW],
      [iw, 1],
    ])}] * w[${affine(0, [
      [wBase, 1],
      ['c', kH * kW],
      ['kh', kW],
      ['kw', 1],
    ])}];`,
  );
  e.line(`${closeW}}${closeH}}}`);
  return { name: 'conv2d', key: `conv2d:${geomKey(g)}`, source: e.source(['x', 'w'], 'acc'), outSize: g.outputSize, dynamic: false };
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

/**
 * dw[(b,) o, c, kh, kw] = Σ_{(b,) oh, ow} dy[b, o, oh, ow] · x[b, g·Cg + c, oh·sh − pt + kh·dh, ow·sw − pl + kw·dw];
 * arguments (x, dy). With `perSample` the output is [B, O, Cg, kH, kW] (one kernel per sample);
 * otherwise the batch is summed in-thread.
 */
export function conv2dBackwardFilterSpec(g: Conv2dGeometry, perSample: boolean): KernelSpec {
  const e = new Emitter();
  const { inH, inW, kH, kW, outH, outW, outCPerGroup: ocpg, inCPerGroup: cg } = g;
  const lead = perSample ? g.batch : 1;
  const [b, grp, oc, c, kh, kw] = e.unravel(e.let('i', 'this.thread.x'), [lead, g.groups, ocpg, cg, kH, kW]);
  const xBase = xBaseOf(e, g, b, grp, c);
  const dyBase = dyBaseOf(e, g, b, grp, oc);
  const h0 = e.let('h', affine(-g.padTop, [[kh, g.dilationH]]));
  const w0 = e.let('w', affine(-g.padLeft, [[kw, g.dilationW]]));
  e.line('let acc = 0;');
  const batches = perSample ? 1 : g.batch;
  e.line(`for (let bb = 0; bb < ${batches}; bb++) {`);
  e.line(`for (let oh = 0; oh < ${outH}; oh++) {`);
  const ih = e.let(
    'ih',
    affine(0, [
      [h0, 1],
      ['oh', g.strideH],
    ]),
  );
  const closeH = guard(e, rangeCheck(ih, inH, -g.padTop, g.paddedH - 1 - g.padTop));
  e.line(`for (let ow = 0; ow < ${outW}; ow++) {`);
  const iw = e.let(
    'iw',
    affine(0, [
      [w0, 1],
      ['ow', g.strideW],
    ]),
  );
  const closeW = guard(e, rangeCheck(iw, inW, -g.padLeft, g.paddedW - 1 - g.padLeft));
  const xo = affine(0, [
    [xBase, 1],
    ['bb', g.inC * inH * inW],
    [ih, inW],
    [iw, 1],
  ]);
  const yo = affine(0, [
    [dyBase, 1],
    ['bb', g.outC * outH * outW],
    ['oh', outW],
    ['ow', 1],
  ]);
  e.line(`acc = acc + dy[${yo}] * x[${xo}];`);
  e.line(`${closeW}}${closeH}}}`);
  const key = `conv2dBackwardFilter:${geomKey(g)}:${perSample ? 'ps' : 'sum'}`;
  return { name: 'conv2dBackwardFilter', key, source: e.source(['x', 'dy'], 'acc'), outSize: lead * g.weightSize, dynamic: false };
}
