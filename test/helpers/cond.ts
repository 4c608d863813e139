// CondConv test helpers: seeded configurations covering every conv option, and the per-sample loop oracle.

import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { Conv2dOptions, Padding, Pair } from '../../kernels/geometry/conv.js';
import type { AnyBackend } from '../../core/backend.js';
import { conv2d } from '../../ops/conv.js';
import { mk, read } from './tensors.js';
import { mulberry32, pick, randInt } from './rng.js';

/** One CondConv configuration: x [B, C, H, W], experts [K, O, C/groups, kH, kW], routing [B, K], bias [K, O]. */
export interface CondCase {
  B: number;
  C: number;
  H: number;
  W: number;
  O: number;
  K: number;
  kH: number;
  kW: number;
  opts: Conv2dOptions;
  bias: boolean;
  depthwise: boolean;
}

export function xShape(c: CondCase): number[] {
  return [c.B, c.C, c.H, c.W];
}

export function expertsShape(c: CondCase): number[] {
  return [c.K, c.O, c.C / (c.opts.groups ?? 1), c.kH, c.kW];
}

/** e.g. `B=2 K=3 x=[2,4,6,7] experts=[3,6,2,3,3] s=2 p=same d=1 g=2 depthwise bias`. */
export function condLabel(c: CondCase): string {
  const o = c.opts;
  const f = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? 'default'));
  return (
    `B=${c.B} K=${c.K} x=[${xShape(c)}] experts=[${expertsShape(c)}] s=${f(o.stride)} p=${f(o.padding)} d=${f(o.dilation)} ` +
    `g=${o.groups ?? 1}${c.depthwise ? ` depthwise m=${c.O / c.C}` : ''} ${c.bias ? 'bias' : 'no bias'}`
  );
}

const PADDINGS: readonly Padding[] = [0, 1, 'same', 'valid', [1, 0], [0, 1, 1, 2], 'same'];
const STRIDES: readonly Pair[] = [1, 2, [1, 2], 1];
const DILATIONS: readonly Pair[] = [1, 1, 2, [2, 1]];

/**
 * n seeded configurations. K cycles {1,2,3,8}, B cycles {1,2,5} and the kind cycles plain /
 * grouped / depthwise (with multiplier 1 or 2) so every combination of those appears; stride,
 * padding (incl. 'same' with even kernels), dilation, kernel size and bias are drawn at random.
 */
export function condCases(n: number, seed: number): CondCase[] {
  const rng = mulberry32(seed);
  const out: CondCase[] = [];
  for (let i = 0; i < n; i++) {
    const K = [1, 2, 3, 8][i % 4];
    const B = [1, 2, 5][i % 3];
    const kind = ['plain', 'groups', 'depthwise'][Math.floor(i / 4) % 3];
    const kH = randInt(rng, 1, 3);
    const kW = randInt(rng, 1, 3);
    const stride = pick(rng, STRIDES);
    const dilation = pick(rng, DILATIONS);
    const padding = pick(rng, PADDINGS);
    let C: number;
    let O: number;
    let groups: number;
    if (kind === 'plain') {
      groups = 1;
      C = randInt(rng, 1, 4);
      O = randInt(rng, 1, 4);
    } else if (kind === 'groups') {
      groups = randInt(rng, 2, 3);
      C = groups * randInt(rng, 1, 2);
      O = groups * randInt(rng, 1, 2);
    } else {
      C = randInt(rng, 1, 4);
      groups = C;
      O = C * randInt(rng, 1, 2);
    }
    const [dH, dW] = typeof dilation === 'number' ? [dilation, dilation] : dilation;
    const H = randInt(rng, (kH - 1) * dH + 1, (kH - 1) * dH + 4);
    const W = randInt(rng, (kW - 1) * dW + 1, (kW - 1) * dW + 4);
    out.push({
      B,
      C,
      H,
      W,
      O,
      K,
      kH,
      kW,
      bias: rng() < 0.5,
      depthwise: kind === 'depthwise',
      opts: { stride, dilation, padding, groups },
    });
  }
  return out;
}

/**
 * The oracle: for each sample, mix W_b = Σ_k α_bk W_k (and the bias) on the host in float64 and
 * run the plain conv2d op on that sample alone. Returns y [B, O, outH, outW] as float64.
 */
export async function loopOracle(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, opts: Conv2dOptions): Promise<Float64Array> {
  const [B, C, H, W] = x.shape;
  const [K, O] = experts.shape;
  const wSize = experts.size / K;
  const xv = await read(x);
  const ev = await read(experts);
  const rv = await read(routing);
  const bv = bias ? await read(bias) : null;
  const dtype: DType = x.dtype;
  const backend: AnyBackend = x.backend;
  const parts: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    const wb = new Float64Array(wSize);
    const bb = new Float64Array(O);
    for (let k = 0; k < K; k++) {
      const a = rv[b * K + k];
      for (let i = 0; i < wSize; i++) wb[i] += a * ev[k * wSize + i];
      if (bv) for (let o = 0; o < O; o++) bb[o] += a * bv[k * O + o];
    }
    const xb = mk(xv.subarray(b * C * H * W, (b + 1) * C * H * W), [1, C, H, W], dtype, backend);
    const yb = conv2d(xb, mk(wb, experts.shape.slice(1), dtype, backend), bv ? mk(bb, [O], dtype, backend) : null, opts);
    parts.push(await read(yb));
  }
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
