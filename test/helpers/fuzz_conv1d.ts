// Fuzz generators for the 1-D ops (conv1d, condConv1d, maxPool1d/avgPool1d), valid and invalid, against the naive 1-D references.

import type { Tensor } from '../../core/tensor.js';
import type { Padding1d } from '../../kernels/geometry/conv1d.js';
import { condConv1d } from '../../ops/cond_conv1d.js';
import { conv1d } from '../../ops/conv1d.js';
import { avgPool1d, maxPool1d } from '../../ops/pool1d.js';
import { naiveConv1d } from './cond1d.js';
import { dtypes, fmt, hostInput, randDim, randInt2, randShape, tolFor, toTensor, type FuzzCase, type FuzzContext } from './fuzz_core.js';
import { arr, type Arr } from './naive.js';
import { tfSamePads } from './naive_conv.js';
import { pick, randInt } from './rng.js';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isPos = (v: unknown): v is number => isInt(v) && v >= 1;

function randPadding1d(rng: () => number): Padding1d | undefined {
  return pick(rng, [undefined, 0, 1, 2, -1, NaN, [1, 0], [0, 2], [2, 1], [1, 0, 0, 1], 'same', 'valid'] as unknown as (Padding1d | undefined)[]);
}

/** [left, right] of a valid padding spec, or null when it is invalid. */
function pads1d(p: Padding1d | undefined, L: number, k: number, s: number, d: number): [number, number] | null {
  if (p === undefined || p === 'valid') return [0, 0];
  if (p === 'same') return tfSamePads(L, k, s, d);
  if (typeof p === 'number') return isInt(p) && p >= 0 ? [p, p] : null;
  return Array.isArray(p) && p.length === 2 && p.every((v) => isInt(v) && v >= 0) ? [p[0], p[1]] : null;
}

/** One conv1d (K = null) or condConv1d call with random, sometimes invalid, shapes and options. */
function convCase1d(cond: boolean) {
  return (ctx: FuzzContext): FuzzCase => {
    const { rng } = ctx;
    const [dt, dt2] = dtypes(ctx);
    const groups = rng() < 0.03 ? pick(rng, [0, NaN, 1.5]) : randInt(rng, 1, 2);
    const g = isPos(groups) ? groups : 1;
    const inC = g * randInt(rng, 0, 2) + (rng() < 0.05 ? 1 : 0);
    const outC = g * randInt(rng, 1, 2) + (rng() < 0.05 ? 1 : 0);
    const cg = rng() < 0.05 ? Math.floor(inC / g) + 1 : Math.floor(inC / g);
    const K = cond ? (rng() < 0.03 ? 0 : randInt(rng, 1, 3)) : 0;
    const xs = rng() < 0.04 ? randShape(rng, 2, 4) : [randDim(rng, 3), inC, randDim(rng, 9)];
    const ws = [...(cond ? [K] : []), outC, cg, randInt(rng, rng() < 0.05 ? 0 : 1, 4)];
    const B = xs[0];
    const hx = hostInput(rng, xs, dt);
    const hw = hostInput(rng, ws, dt2);
    const rs = cond ? (rng() < 0.05 ? [B, K + 1] : [B, K]) : [];
    const hr = cond ? hostInput(rng, rs, dt, 0, 1) : null;
    const hb = rng() < 0.3 ? hostInput(rng, cond ? [K, outC] : [outC], dt) : null;
    const stride = rng() < 0.6 ? randInt2(rng, 1, 3) : pick(rng, [1, 2, [1, 2]] as unknown as number[]);
    const dilation = rng() < 0.7 ? 1 : randInt2(rng, 1, 3);
    const padding = randPadding1d(rng);
    const path = cond ? pick(rng, ['fused', 'moe', 'auto', 'batch1'] as const) : undefined;
    const opts = cond ? { stride, dilation, padding, groups, path } : { stride, dilation, padding, groups };
    const leaves: Tensor[] = [];
    const name = cond ? 'condConv1d' : 'conv1d';
    return {
      desc: `${name} x=${fmt(xs)} w=${fmt(ws)}${cond ? ` routing=${fmt(rs)}` : ''} ${dt}/${dt2} bias=${hb ? 'yes' : 'no'} ${fmt(opts)}`,
      tol: tolFor(dt, 5e-4),
      leaves,
      run: () => {
        const x = toTensor(ctx, hx, leaves);
        const w = toTensor(ctx, hw, leaves);
        const b = hb && toTensor(ctx, hb, leaves);
        return cond ? condConv1d(x, w, toTensor(ctx, hr!, leaves), b, opts) : conv1d(x, w, b, opts);
      },
      want: (): Arr | null => {
        if (!hx.arr || !hw.arr || (hr && !hr.arr) || xs.length !== 3 || dt !== dt2 || !isPos(groups)) return null;
        const [, C, L] = xs;
        const k = ws[ws.length - 1];
        if ([...xs, ...ws].some((v) => v < 1)) return null;
        if (C % groups !== 0 || outC % groups !== 0 || cg !== C / groups) return null;
        if (cond && (rs[1] !== K || (path === 'batch1' && B !== 1))) return null;
        if (!isPos(stride) || !isPos(dilation)) return null;
        const pad = pads1d(padding, L, k, stride, dilation);
        if (pad === null || L + pad[0] + pad[1] < (k - 1) * dilation + 1) return null;
        const o = { stride, dilation, padding: pad, groups };
        const wv = hw.arr.data;
        const kernel = new Float64Array(B * outC * cg * k);
        const bias = new Float64Array(B * outC);
        for (let b = 0; b < B; b++) {
          for (let e = 0; e < Math.max(K, 1); e++) {
            const a = cond ? hr!.arr!.data[b * K + e] : 1;
            for (let i = 0; i < outC * cg * k; i++) kernel[b * outC * cg * k + i] += a * wv[e * outC * cg * k + i];
            if (hb) for (let c = 0; c < outC; c++) bias[b * outC + c] += a * hb.arr!.data[e * outC + c];
          }
        }
        const y = naiveConv1d(hx.arr.data, kernel, xs, [B, outC, cg, k], o, true);
        const outL = y.length / (B * outC);
        for (let i = 0; i < y.length; i++) y[i] += bias[Math.floor(i / outL)];
        return arr([B, outC, outL], y);
      },
    };
  };
}

/** One maxPool1d / avgPool1d call. */
function poolCase1d(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt] = dtypes(ctx);
  const shape = rng() < 0.05 ? randShape(rng, 2, 4) : [randDim(rng, 2), randDim(rng, 3), randDim(rng, 9)];
  const h = hostInput(rng, shape, dt);
  const kernelSize = rng() < 0.95 ? randInt2(rng, 1, 4) : ([2, 2] as unknown as number);
  const stride = rng() < 0.4 ? undefined : randInt2(rng, 1, 3);
  const padding = randPadding1d(rng);
  const countIncludePad = rng() < 0.5;
  const mode = pick(rng, ['max', 'avg'] as const);
  const opts = { kernelSize, stride, padding, countIncludePad };
  const leaves: Tensor[] = [];
  return {
    desc: `${mode}Pool1d x=${fmt(shape)} ${fmt(opts)} ${dt}`,
    tol: tolFor(dt),
    leaves,
    run: () => (mode === 'max' ? maxPool1d : avgPool1d)(toTensor(ctx, h, leaves), opts),
    want: (): Arr | null => {
      if (!h.arr || shape.length !== 3 || shape[2] === 0) return null;
      const [B, C, L] = shape;
      const s = stride ?? kernelSize;
      if (!isPos(kernelSize) || !isPos(s)) return null;
      const pad = pads1d(padding, L, kernelSize, s, 1);
      if (pad === null || pad[0] >= kernelSize || pad[1] >= kernelSize || L + pad[0] + pad[1] < kernelSize) return null;
      const outL = Math.floor((L + pad[0] + pad[1] - kernelSize) / s) + 1;
      const y = new Float64Array(B * C * outL);
      for (let p = 0; p < B * C; p++) {
        for (let t = 0; t < outL; t++) {
          let acc = mode === 'max' ? -Infinity : 0;
          let n = 0;
          for (let j = 0; j < kernelSize; j++) {
            const l = t * s - pad[0] + j;
            if (l < 0 || l >= L) continue;
            const v = h.arr.data[p * L + l];
            acc = mode === 'max' ? Math.max(acc, v) : acc + v;
            n++;
          }
          y[p * outL + t] = mode === 'max' ? acc : acc / (countIncludePad ? kernelSize : n);
        }
      }
      return arr([B, C, outL], y);
    },
  };
}

/** The 1-D generators with their relative frequency. */
export const CONV1D_GENERATORS: [number, (ctx: FuzzContext) => FuzzCase][] = [
  [2, convCase1d(false)],
  [2, convCase1d(true)],
  [1, poolCase1d],
];
