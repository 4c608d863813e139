// The conv2d shapes the wasm and peer benches time (NCHW, 'same' padding, stride 1).

import { conv2dGeometry, type Conv2dGeometry } from '../../kernels/geometry/conv.js';

export interface ConvShape {
  name: string;
  /** [N, C, H, W] */
  x: [number, number, number, number];
  outC: number;
  k: number;
  /** groups = C, one filter per channel. */
  depthwise?: boolean;
}

export const CONV_SHAPES: readonly ConvShape[] = [
  { name: 'N32 C16 28×28 O32 k3', x: [32, 16, 28, 28], outC: 32, k: 3 },
  { name: 'N8 C64 32×32 O64 k3', x: [8, 64, 32, 32], outC: 64, k: 3 },
  { name: 'N1 C64 56×56 O64 k3', x: [1, 64, 56, 56], outC: 64, k: 3 },
  { name: 'N8 C128 16×16 O128 k1', x: [8, 128, 16, 16], outC: 128, k: 1 },
  { name: 'depthwise N8 C128 32×32 k3', x: [8, 128, 32, 32], outC: 128, k: 3, depthwise: true },
];

/** The conv geometry of a shape, with shared [O, C/g, k, k] or per-sample [N, O, C/g, k, k] weights. */
export function shapeGeometry(s: ConvShape, perSample: boolean): Conv2dGeometry {
  const w = [s.outC, s.depthwise ? 1 : s.x[1], s.k, s.k];
  return conv2dGeometry('conv2d', s.x, perSample ? [s.x[0], ...w] : w, { padding: 'same', groups: s.depthwise ? s.x[1] : 1 }, perSample);
}

/** Multiply-accumulates of the forward conv. */
export function convMacs(s: ConvShape): number {
  const [n, c, h, w] = s.x;
  return n * s.outC * h * w * s.k * s.k * (s.depthwise ? 1 : c);
}

/** Median milliseconds of `f` over `reps` runs after a warm-up of at least 2 calls or ~150 ms. */
export async function medianMs(f: () => unknown, reps: number): Promise<number> {
  const t0 = performance.now();
  let n = 0;
  while (n < 2 || (performance.now() - t0 < 150 && n < 50)) {
    await f();
    n++;
  }
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const a = performance.now();
    await f();
    ts.push(performance.now() - a);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}
