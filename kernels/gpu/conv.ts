// The gpu conv kernels' shared pieces: the geometry's cache key and the range checks of a tap index.

import type { Conv2dGeometry } from '../geometry/conv.js';

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
