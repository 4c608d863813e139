// gpu.js sources for 2-D max and average pooling, forward and backward (max backward via an argmax pass).

import type { Pool2dGeometry } from '../geometry/pool.js';
import { affine, Emitter, type KernelSpec } from './codegen.js';

function geomKey(g: Pool2dGeometry): string {
  return [g.batch, g.channels, g.inH, g.inW, g.outH, g.outW, g.kH, g.kW, g.strideH, g.strideW, g.padTop, g.padLeft, g.countIncludePad ? 1 : 0].join(',');
}

/** Declares the window origin of output (oh, ow) and its in-bounds extent [h0, h1) x [w0, w1). */
function windowBounds(e: Emitter, g: Pool2dGeometry, oh: string, ow: string): { hs: string; ws: string; h0: string; h1: string; w0: string; w1: string } {
  const hs = e.let('hs', affine(-g.padTop, [[oh, g.strideH]]));
  const ws = e.let('ws', affine(-g.padLeft, [[ow, g.strideW]]));
  return {
    hs,
    ws,
    h0: e.let('h0', `Math.max(${hs}, 0)`),
    h1: e.let('h1', `Math.min(${hs} + ${g.kH}, ${g.inH})`),
    w0: e.let('w0', `Math.max(${ws}, 0)`),
    w1: e.let('w1', `Math.min(${ws} + ${g.kW}, ${g.inW})`),
  };
}

/** Loops over the window's in-bounds cells, declaring `ih`/`iw`; returns the closing text. */
function windowLoops(e: Emitter, g: Pool2dGeometry, hs: string, ws: string): [string, string, string] {
  e.line(`for (let kh = 0; kh < ${g.kH}; kh++) {`);
  const ih = e.let('ih', `${hs} + kh`);
  e.line(`if (${ih} >= 0 && ${ih} < ${g.inH}) {`);
  e.line(`for (let kw = 0; kw < ${g.kW}; kw++) {`);
  const iw = e.let('iw', `${ws} + kw`);
  e.line(`if (${iw} >= 0 && ${iw} < ${g.inW}) {`);
  return [ih, iw, '}}}}'];
}

/**
 * y[p, oh, ow] = max over the window's in-bounds cells (first maximum in row-major order), or with
 * `argmax` the in-plane index ih·W + iw of that cell; arguments (x).
 */
export function maxPoolSpec(g: Pool2dGeometry, argmax: boolean): KernelSpec {
  const e = new Emitter();
  const [pl, oh, ow] = e.unravel(e.let('i', 'this.thread.x'), [g.batch * g.channels, g.outH, g.outW]);
  const base = e.let('xb', affine(0, [[pl, g.inH * g.inW]]));
  const { hs, ws } = windowBounds(e, g, oh, ow);
  e.line('let m = 0;').line('let at = -1;');
  const [ih, iw, close] = windowLoops(e, g, hs, ws);
  const cell = e.let(
    'cell',
    affine(0, [
      [ih, g.inW],
      [iw, 1],
    ]),
  );
  const v = e.let('v', `x[${base} + ${cell}]`);
  // The first NaN of a window wins and stays (m !== m then fails every later test).
  e.line(`if (at < 0 || ${v} > m || (${v} !== ${v} && m === m)) { m = ${v}; at = ${cell}; }`).line(close);
  const name = argmax ? 'maxPool2dBackward' : 'maxPool2d';
  return {
    name,
    key: `${name}:${argmax ? 'argmax' : 'max'}:${geomKey(g)}`,
    source: e.source(['x'], argmax ? 'at' : 'm'),
    outSize: g.batch * g.channels * g.outH * g.outW,
    dynamic: false,
  };
}

/**
 * Visits every output window that contains input cell (ih, iw): declares `oh`, `ow` and `yo`
 * (the window's offset in a [planes, outH, outW] buffer). Returns the closing text.
 */
function coveringWindows(e: Emitter, g: Pool2dGeometry, pl: string, ih: string, iw: string): [string, string, string, string] {
  const tap = (v: string, k: string, pad: number, stride: number, outN: number): [string, string] => {
    const t = e.let(
      't',
      affine(pad, [
        [v, 1],
        [k, -1],
      ]),
    );
    if (stride === 1) return [t, `${t} >= 0 && ${t} < ${outN}`];
    const [q, r] = e.divmod(t, stride);
    return [q, `${r} === 0 && ${q} >= 0 && ${q} < ${outN}`];
  };
  e.line(`for (let kh = 0; kh < ${g.kH}; kh++) {`);
  const [oh, hOk] = tap(ih, 'kh', g.padTop, g.strideH, g.outH);
  e.line(`if (${hOk}) {`);
  e.line(`for (let kw = 0; kw < ${g.kW}; kw++) {`);
  const [ow, wOk] = tap(iw, 'kw', g.padLeft, g.strideW, g.outW);
  e.line(`if (${wOk}) {`);
  const yo = e.let(
    'yo',
    affine(0, [
      [pl, g.outH * g.outW],
      [oh, g.outW],
      [ow, 1],
    ]),
  );
  return [oh, ow, yo, '}}}}'];
}

/** dx[p, ih, iw] = Σ dy over the windows whose argmax is this cell; arguments (arg, dy). */
export function maxPoolBackwardSpec(g: Pool2dGeometry): KernelSpec {
  const e = new Emitter();
  const [pl, ih, iw] = e.unravel(e.let('i', 'this.thread.x'), [g.batch * g.channels, g.inH, g.inW]);
  const cell = e.let(
    'cell',
    affine(0, [
      [ih, g.inW],
      [iw, 1],
    ]),
  );
  e.line('let acc = 0;');
  const [, , yo, close] = coveringWindows(e, g, pl, ih, iw);
  e.line(`if (arg[${yo}] === ${cell}) { acc = acc + dy[${yo}]; }`).line(close);
  return {
    name: 'maxPool2dBackward',
    key: `maxPool2dBackward:${geomKey(g)}`,
    source: e.source(['arg', 'dy'], 'acc'),
    outSize: g.batch * g.channels * g.inH * g.inW,
    dynamic: false,
  };
}

/** The divisor of window (oh, ow): kH·kW with countIncludePad, else its in-bounds cell count. */
function divisor(e: Emitter, g: Pool2dGeometry, oh: string, ow: string): string {
  if (g.countIncludePad) return String(g.kH * g.kW);
  const { h0, h1, w0, w1 } = windowBounds(e, g, oh, ow);
  return e.let('n', `(${h1} - ${h0}) * (${w1} - ${w0})`);
}

/** y[p, oh, ow] = (sum of the window's in-bounds cells) / divisor; arguments (x). */
export function avgPoolSpec(g: Pool2dGeometry): KernelSpec {
  const e = new Emitter();
  const [pl, oh, ow] = e.unravel(e.let('i', 'this.thread.x'), [g.batch * g.channels, g.outH, g.outW]);
  const base = e.let('xb', affine(0, [[pl, g.inH * g.inW]]));
  const n = divisor(e, g, oh, ow);
  const { hs, ws } = windowBounds(e, g, oh, ow);
  e.line('let s = 0;');
  const [ih, iw, close] = windowLoops(e, g, hs, ws);
  e.line(
    `s = s + x[${affine(0, [
      [base, 1],
      [ih, g.inW],
      [iw, 1],
    ])}];`,
  ).line(close);
  return {
    name: 'avgPool2d',
    key: `avgPool2d:${geomKey(g)}`,
    source: e.source(['x'], `s / ${n}`),
    outSize: g.batch * g.channels * g.outH * g.outW,
    dynamic: false,
  };
}

/** dx[p, ih, iw] = Σ over the windows containing the cell of dy / divisor; arguments (dy). */
export function avgPoolBackwardSpec(g: Pool2dGeometry): KernelSpec {
  const e = new Emitter();
  const [pl, ih, iw] = e.unravel(e.let('i', 'this.thread.x'), [g.batch * g.channels, g.inH, g.inW]);
  e.line('let acc = 0;');
  const [oh, ow, yo, close] = coveringWindows(e, g, pl, ih, iw);
  const n = divisor(e, g, oh, ow);
  e.line(`acc = acc + dy[${yo}] / ${n};`).line(close);
  return {
    name: 'avgPool2dBackward',
    key: `avgPool2dBackward:${geomKey(g)}`,
    source: e.source(['dy'], 'acc'),
    outSize: g.batch * g.channels * g.inH * g.inW,
    dynamic: false,
  };
}
