// 1-D conv test helpers: a naive conv1d from the definition, seeded CondConv1d configurations, and the per-sample loop oracle.

import type { DType } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import type { Conv1dOptions, Padding1d } from '../../kernels/geometry/conv1d.js';
import { conv1d } from '../../ops/conv1d.js';
import { tfSamePads } from './naive_conv.js';
import { mulberry32, pick, randInt } from './rng.js';
import { mk, read } from './tensors.js';

/** [left, right] padding of a 1-D conv, written out here (not taken from the library's geometry). */
export function naivePads(L: number, k: number, o: Conv1dOptions): [number, number] {
  const p = o.padding ?? 0;
  if (p === 'valid') return [0, 0];
  if (p === 'same') return tfSamePads(L, k, o.stride ?? 1, o.dilation ?? 1);
  return typeof p === 'number' ? [p, p] : [p[0], p[1]];
}

/**
 * y[b, o, t] = Σ_{c, j} w[(b,) o, c, j] · x[b, g(o)·Cg + c, t·s - left + j·d], straight from the
 * definition. x [B, C, L]; w [O, C/g, k] or [B, O, C/g, k] with `perSample`. Returns [B, O, outL].
 */
export function naiveConv1d(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  xs: readonly number[],
  ws: readonly number[],
  o: Conv1dOptions,
  perSample = false,
): Float64Array {
  const [B, C, L] = xs;
  const [O, Cg, k] = perSample ? ws.slice(1) : ws;
  const s = o.stride ?? 1;
  const d = o.dilation ?? 1;
  const g = o.groups ?? 1;
  const [left, right] = naivePads(L, k, o);
  const outL = Math.floor((L + left + right - d * (k - 1) - 1) / s) + 1;
  const Og = O / g;
  const y = new Float64Array(B * O * outL);
  for (let b = 0; b < B; b++) {
    for (let oc = 0; oc < O; oc++) {
      const grp = Math.floor(oc / Og);
      const wBase = (perSample ? b * O + oc : oc) * Cg * k;
      for (let t = 0; t < outL; t++) {
        let acc = 0;
        for (let c = 0; c < Cg; c++) {
          for (let j = 0; j < k; j++) {
            const l = t * s - left + j * d;
            if (l < 0 || l >= L) continue;
            acc += w[wBase + c * k + j] * x[(b * C + grp * Cg + c) * L + l];
          }
        }
        y[(b * O + oc) * outL + t] = acc;
      }
    }
  }
  return y;
}

/** One CondConv1d configuration: x [B, C, L], experts [K, O, C/groups, k], routing [B, K], bias [K, O]. */
export interface Cond1dCase {
  B: number;
  C: number;
  L: number;
  O: number;
  K: number;
  k: number;
  opts: Conv1dOptions;
  bias: boolean;
  depthwise: boolean;
}

export const xShape1d = (c: Cond1dCase): number[] => [c.B, c.C, c.L];
export const expertsShape1d = (c: Cond1dCase): number[] => [c.K, c.O, c.C / (c.opts.groups ?? 1), c.k];

/** e.g. `B=2 K=3 x=[2,4,9] experts=[3,6,2,3] s=2 p=same d=1 g=2 bias`. */
export function cond1dLabel(c: Cond1dCase): string {
  const o = c.opts;
  const f = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? 'default'));
  return (
    `B=${c.B} K=${c.K} x=[${xShape1d(c)}] experts=[${expertsShape1d(c)}] s=${f(o.stride)} p=${f(o.padding)} d=${f(o.dilation)} ` +
    `g=${o.groups ?? 1}${c.depthwise ? ` depthwise m=${c.O / c.C}` : ''} ${c.bias ? 'bias' : 'no bias'}`
  );
}

const PADDINGS: readonly Padding1d[] = [0, 1, 'same', 'valid', [1, 0], [0, 2], 'same', 2];
const STRIDES: readonly number[] = [1, 2, 3, 1];
const DILATIONS: readonly number[] = [1, 1, 2, 3];

/**
 * n seeded configurations. K cycles {1,2,3,8}, B cycles {1,2,5} and the kind cycles plain /
 * grouped / depthwise (multiplier 1 or 2), so every combination of those appears; stride,
 * padding (incl. 'same' with even kernels), dilation, kernel size 1…4 and bias are drawn at random.
 */
export function cond1dCases(n: number, seed: number): Cond1dCase[] {
  const rng = mulberry32(seed);
  const out: Cond1dCase[] = [];
  for (let i = 0; i < n; i++) {
    const K = [1, 2, 3, 8][i % 4];
    const B = [1, 2, 5][i % 3];
    const kind = ['plain', 'groups', 'depthwise'][Math.floor(i / 4) % 3];
    const k = randInt(rng, 1, 4);
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
    const L = randInt(rng, (k - 1) * dilation + 1, (k - 1) * dilation + 9);
    out.push({ B, C, L, O, K, k, bias: rng() < 0.5, depthwise: kind === 'depthwise', opts: { stride, dilation, padding, groups } });
  }
  return out;
}

/**
 * The oracle: for each sample, mix W_b = Σ_k α_bk W_k (and the bias) on the host in float64 and
 * run the plain conv1d op on that sample alone. Returns y [B, O, outL] as float64.
 */
export async function loopOracle1d(x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, opts: Conv1dOptions): Promise<Float64Array> {
  const [B, C, L] = x.shape;
  const [K, O] = experts.shape;
  const wSize = experts.size / K;
  const [xv, ev, rv] = [await read(x), await read(experts), await read(routing)];
  const bv = bias ? await read(bias) : null;
  const dtype: DType = x.dtype;
  const backend: AnyBackend = x.backend;
  const parts: Float64Array[] = [];
  for (let b = 0; b < B; b++) {
    const wb = new Float64Array(wSize);
    const bb = new Float64Array(O);
    for (let e = 0; e < K; e++) {
      const a = rv[b * K + e];
      for (let i = 0; i < wSize; i++) wb[i] += a * ev[e * wSize + i];
      if (bv) for (let o = 0; o < O; o++) bb[o] += a * bv[e * O + o];
    }
    const xb = mk(xv.subarray(b * C * L, (b + 1) * C * L), [1, C, L], dtype, backend);
    const yb = conv1d(xb, mk(wb, experts.shape.slice(1), dtype, backend), bv ? mk(bb, [O], dtype, backend) : null, opts);
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
