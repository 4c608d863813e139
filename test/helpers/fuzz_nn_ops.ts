// Fuzz generators for pooling, softmax, losses, batch norm, dropout and (when present) conv2d, with references and validity rules.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import type { Padding } from '../../kernels/geometry/conv.js';
import { dropout } from '../../ops/dropout.js';
import { batchNorm2d } from '../../ops/norm.js';
import { avgPool2d, globalAvgPool2d, maxPool2d } from '../../ops/pool.js';
import { crossEntropy, logSoftmax, nllLoss, softmax } from '../../ops/softmax.js';
import { dtypes, fmt, hostInput, randDim, randInt2, randShape, tolFor, toTensor, type FuzzCase, type FuzzContext } from './fuzz_core.js';
import { arr, naiveReduce, naiveUnary } from './naive.js';
import { naiveConv2d, tfSamePads, type NaiveConvParams } from './naive_conv.js';
import { naiveBatchNorm, naiveBatchNormEval, naiveCrossEntropy, naivePool, naiveSoftmax } from './naive_nn.js';
import { pick, randInt } from './rng.js';

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function randPadding(rng: () => number): Padding | undefined {
  return pick(rng, [undefined, 0, 1, 2, -1, NaN, [1, 0], [0, 2], [1, 0, 0, 1], [2, 1, 0, 0], 'same', 'valid'] as (Padding | undefined)[]);
}

/** Explicit [top, bottom, left, right] pads, or null when the padding spec is invalid. */
function resolvePads(p: Padding | undefined, H: number, W: number, k: number[], s: number[], d: number[]): [number, number, number, number] | null {
  if (p === undefined) return [0, 0, 0, 0];
  if (p === 'valid') return [0, 0, 0, 0];
  if (p === 'same') return [...tfSamePads(H, k[0], s[0], d[0]), ...tfSamePads(W, k[1], s[1], d[1])] as [number, number, number, number];
  const v = typeof p === 'number' ? [p, p, p, p] : p.length === 2 ? [p[0], p[0], p[1], p[1]] : [...p];
  return v.every((x) => isInt(x) && x >= 0) ? (v as [number, number, number, number]) : null;
}

const pairOf = (v: number | readonly number[]): number[] => (typeof v === 'number' ? [v, v] : [...v]);

function poolCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt] = dtypes(ctx);
  const shape = rng() < 0.05 ? randShape(rng, 3, 3) : [randDim(rng, 2), randDim(rng, 2), randDim(rng, 6), randDim(rng, 6)];
  const h = hostInput(rng, shape, dt);
  const kernelSize = rng() < 0.7 ? randInt2(rng, 1, 4) : ([randInt2(rng, 1, 3), randInt2(rng, 1, 3)] as [number, number]);
  const stride = rng() < 0.4 ? undefined : rng() < 0.7 ? randInt2(rng, 1, 3) : ([randInt2(rng, 1, 2), randInt2(rng, 1, 3)] as [number, number]);
  const padding = randPadding(rng);
  const countIncludePad = rng() < 0.5;
  const mode = pick(rng, ['max', 'avg', 'global'] as const);
  const leaves: Tensor[] = [];
  if (mode === 'global') {
    return {
      desc: `globalAvgPool2d x=${fmt(shape)} ${dt}`,
      tol: tolFor(dt),
      leaves,
      run: () => globalAvgPool2d(toTensor(ctx, h, leaves)),
      want: () => (h.arr && shape.length === 4 && shape[2] * shape[3] > 0 ? naiveReduce(h.arr, [2, 3], false, 'mean') : null),
    };
  }
  const opts = { kernelSize, stride, padding, countIncludePad };
  const want = (): ReturnType<typeof naivePool> => {
    if (!h.arr || shape.length !== 4 || shape[2] === 0 || shape[3] === 0) return null;
    const k = pairOf(kernelSize);
    const s = pairOf(stride ?? kernelSize);
    if (![...k, ...s].every((v) => isInt(v) && v >= 1)) return null;
    const pads = resolvePads(padding, shape[2], shape[3], k, s, [1, 1]);
    return pads && naivePool(h.arr, { k: k as [number, number], stride: s as [number, number], pad: pads, mode, countIncludePad });
  };
  return {
    desc: `${mode}Pool2d x=${fmt(shape)} ${fmt(opts)} ${dt}`,
    tol: tolFor(dt),
    leaves,
    want,
    run: () => (mode === 'max' ? maxPool2d : avgPool2d)(toTensor(ctx, h, leaves), opts),
  };
}

function softmaxCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt] = dtypes(ctx);
  const h = hostInput(rng, randShape(rng, 0, 3), dt, -4, 4);
  const r = h.shape.length;
  const axis = randInt2(rng, -r, r - 1, 0.1);
  const T = pick(rng, [1, 1, 0.5, 2, 0.1, 0, -1, NaN, Infinity]);
  const log = rng() < 0.5;
  const ok = r > 0 && isInt(axis) && axis >= -r && axis < r && Number.isFinite(T) && T > 0;
  const leaves: Tensor[] = [];
  return {
    desc: `${log ? 'logSoftmax' : 'softmax'} x=${fmt(h.shape)} axis=${axis} T=${T} ${dt}`,
    tol: tolFor(dt, 5e-4),
    leaves,
    run: () => (log ? logSoftmax : softmax)(toTensor(ctx, h, leaves), axis, T),
    want: () => (ok && h.arr ? naiveSoftmax(h.arr, axis, T, log) : null),
  };
}

function lossCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt] = dtypes(ctx);
  const shape = rng() < 0.05 ? randShape(rng, 1, 3) : [randDim(rng, 4), randDim(rng, 5)];
  const h = hostInput(rng, shape, dt, -3, 3);
  const [B, C] = [shape[0] ?? 0, shape[1] ?? 0];
  const n = isInt(B) && B >= 0 ? B + (rng() < 0.05 ? 1 : 0) : 1;
  const labels: number[] = Array.from({ length: n }, () => (rng() < 0.03 ? pick(rng, [-1, C, 0.5, NaN]) : randInt(rng, 0, Math.max(C - 1, 0))));
  const typed = rng() < 0.3 && labels.every(isInt);
  const reduction = pick(rng, ['mean', 'sum', 'mean', 'sum', 'none'] as const);
  const smoothing = pick(rng, [0, 0, 0.1, 0.5, 1, -0.1, 1.5, NaN]);
  const nll = rng() < 0.25;
  const valid =
    h.arr !== null &&
    shape.length === 2 &&
    labels.length === B &&
    labels.every((l) => isInt(l) && l >= 0 && l < C) &&
    reduction !== 'none' &&
    !(reduction === 'mean' && B === 0) &&
    (nll || (C > 0 && smoothing >= 0 && smoothing <= 1));
  const leaves: Tensor[] = [];
  const ls = typed ? Int32Array.from(labels) : labels;
  const desc = `${nll ? 'nllLoss' : 'crossEntropy'} logits=${fmt(shape)} labels=${fmt(labels)} ${reduction} ε=${nll ? '-' : smoothing} ${dt}`;
  return {
    desc,
    tol: tolFor(dt, 5e-4),
    leaves,
    run: () =>
      nll
        ? nllLoss(toTensor(ctx, h, leaves), ls, { reduction: reduction as 'mean' })
        : crossEntropy(toTensor(ctx, h, leaves), ls, { reduction: reduction as 'mean', labelSmoothing: smoothing }),
    want: () => {
      if (!valid) return null;
      if (!nll) return arr([], [naiveCrossEntropy(h.arr, labels, smoothing, reduction)]);
      const total = labels.reduce((s, l, b) => s - h.arr!.data[b * C + l], 0);
      return arr([], [reduction === 'mean' ? total / B : total]);
    },
  };
}

function batchNormCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt, dt2] = dtypes(ctx);
  const shape = rng() < 0.05 ? randShape(rng, 3, 3) : [randDim(rng, 3), randDim(rng, 3), randDim(rng, 3), randDim(rng, 3)];
  const h = hostInput(rng, shape, dt);
  const C = shape[1] ?? 0;
  const cdim = (): number[] => [rng() < 0.05 ? C + 1 : C];
  const w = rng() < 0.6 ? hostInput(rng, cdim(), dt2, 0.5, 1.5) : null;
  const b = rng() < 0.6 ? hostInput(rng, cdim(), dt, -1, 1) : null;
  const rm = rng() < 0.8 ? hostInput(rng, cdim(), dt, -1, 1) : null;
  const rv = rng() < 0.8 ? hostInput(rng, cdim(), dt, 0.5, 2) : null;
  const training = rng() < 0.5;
  const momentum = pick(rng, [0.1, 0.1, 0.5, NaN, 2]);
  const eps = pick(rng, [1e-5, 1e-5, 1e-3, 0, -1]);
  const leaves: Tensor[] = [];
  const chan = [w, b, rm, rv];
  const n = shape[0] * shape[2] * shape[3];
  const valid =
    h.arr !== null &&
    shape.length === 4 &&
    chan.every((t) => t === null || (t.shape[0] === C && t.dtype === dt && t.arr !== null)) &&
    momentum >= 0 &&
    momentum <= 1 &&
    eps > 0 &&
    (training ? n > 1 : rm !== null && rv !== null);
  const desc = `batchNorm2d x=${fmt(shape)} ${training ? 'train' : 'eval'} ${chan.map((t) => (t ? fmt(t.shape) + t.dtype : '-')).join(' ')} m=${momentum} eps=${eps} ${dt}`;
  return {
    desc,
    tol: tolFor(dt, 2e-3),
    leaves,
    run: () => {
      const t = (x: typeof w): Tensor | null => (x === null ? null : toTensor(ctx, x, leaves));
      return batchNorm2d(toTensor(ctx, h, leaves), { weight: t(w), bias: t(b), runningMean: t(rm), runningVar: t(rv), training, momentum, eps });
    },
    want: () => {
      if (!valid) return null;
      const wd = w?.arr?.data ?? null;
      const bd = b?.arr?.data ?? null;
      return training ? naiveBatchNorm(h.arr, wd, bd, eps).y : naiveBatchNormEval(h.arr, rm!.arr!.data, rv!.arr!.data, wd, bd, eps);
    },
  };
}

function dropoutCase(ctx: FuzzContext): FuzzCase {
  const { rng } = ctx;
  const [dt] = dtypes(ctx);
  const h = hostInput(rng, randShape(rng), dt);
  const p = pick(rng, [0, 0.1, 0.5, 0.9, 1, -0.1, NaN]);
  const training = rng() < 0.8;
  const seed = randInt(rng, 0, 1000);
  const leaves: Tensor[] = [];
  return {
    desc: `dropout x=${fmt(h.shape)} p=${p} training=${training} seed=${seed} ${dt}`,
    tol: tolFor(dt),
    leaves,
    run: () => dropout(toTensor(ctx, h, leaves), p, { training, seed }),
    want: () => {
      if (!h.arr || !(p >= 0 && p < 1)) return null;
      if (!training || p === 0) return h.arr;
      const r = new Rng(seed);
      const keep = dt === 'float32' ? Math.fround(1 / (1 - p)) : 1 / (1 - p);
      return naiveUnary(h.arr, (v) => (r.next() < p ? 0 : v * keep));
    },
  };
}

type Conv2dFn = (x: Tensor, w: Tensor, bias?: Tensor | null, opts?: object) => Tensor;

function convCase(conv2d: Conv2dFn) {
  return (ctx: FuzzContext): FuzzCase => {
    const { rng } = ctx;
    const [dt, dt2] = dtypes(ctx);
    const groups = rng() < 0.03 ? pick(rng, [0, NaN, 1.5]) : randInt(rng, 1, 2);
    const g = isInt(groups) && groups > 0 ? groups : 1;
    const inC = g * randInt(rng, 0, 2) + (rng() < 0.05 ? 1 : 0);
    const outC = g * randInt(rng, 1, 2) + (rng() < 0.05 ? 1 : 0);
    const cg = rng() < 0.05 ? Math.floor(inC / g) + 1 : Math.floor(inC / g);
    // Zero sizes are drawn too: conv2d rejects any empty dim of x or weight.
    const xs = rng() < 0.03 ? randShape(rng, 3, 3) : [randDim(rng, 2), inC, randDim(rng, 6), randDim(rng, 6)];
    const ws = [outC, cg, randInt(rng, rng() < 0.05 ? 0 : 1, 3), randInt(rng, 1, 3)];
    const hx = hostInput(rng, xs, dt);
    const hw = hostInput(rng, ws, dt2);
    const hb = rng() < 0.3 ? hostInput(rng, [outC], dt) : null;
    const stride = rng() < 0.5 ? randInt2(rng, 1, 2) : [randInt2(rng, 1, 2), randInt2(rng, 1, 2)];
    const dilation = rng() < 0.7 ? 1 : randInt2(rng, 1, 2);
    const padding = randPadding(rng);
    const opts = { stride, dilation, padding, groups };
    const leaves: Tensor[] = [];
    return {
      desc: `conv2d x=${fmt(xs)} w=${fmt(ws)} ${dt}/${dt2} bias=${hb ? 'yes' : 'no'} ${fmt(opts)}`,
      tol: tolFor(dt, 5e-4),
      leaves,
      run: () => conv2d(toTensor(ctx, hx, leaves), toTensor(ctx, hw, leaves), hb && toTensor(ctx, hb, leaves), opts),
      want: () => {
        if (!hx.arr || !hw.arr || xs.length !== 4 || dt !== dt2 || !isInt(groups) || groups < 1) return null;
        const [B, C, H, W] = xs;
        if ([...xs, ...ws].some((v) => v < 1)) return null;
        if (C % groups !== 0 || outC % groups !== 0 || cg !== C / groups) return null;
        const s = pairOf(stride);
        const d = pairOf(dilation);
        if (![...s, ...d].every((v) => isInt(v) && v >= 1)) return null;
        const pad = resolvePads(padding, H, W, [ws[2], ws[3]], s, d);
        if (pad === null || H + pad[0] + pad[1] < (ws[2] - 1) * d[0] + 1 || W + pad[2] + pad[3] < (ws[3] - 1) * d[1] + 1) return null;
        const p: NaiveConvParams = {
          batch: B,
          inC: C,
          inH: H,
          inW: W,
          outC,
          kH: ws[2],
          kW: ws[3],
          stride: s as [number, number],
          dilation: d as [number, number],
          pad,
          groups,
          perSampleWeights: false,
        };
        const oH = Math.floor((H + pad[0] + pad[1] - (ws[2] - 1) * d[0] - 1) / s[0]) + 1;
        const oW = Math.floor((W + pad[2] + pad[3] - (ws[3] - 1) * d[1] - 1) / s[1]) + 1;
        const out = arr([B, outC, oH, oW], naiveConv2d(hx.arr.data, hw.arr.data, p));
        if (hb) for (let i = 0; i < out.data.length; i++) out.data[i] += hb.arr!.data[Math.floor(i / (oH * oW)) % outC];
        return out;
      },
    };
  };
}

/** conv2d from ops/conv.ts when that file exists (it is loaded lazily so the fuzz runs without it). */
async function loadConv(): Promise<Conv2dFn | null> {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ops', 'conv.ts');
  if (!existsSync(file)) return null;
  const mod = (await import(pathToFileURL(file).href)) as { conv2d?: Conv2dFn };
  return mod.conv2d ?? null;
}

/** Generators with their relative frequency (conv2d included when ops/conv.ts exists). */
export async function nnGenerators(): Promise<[number, (ctx: FuzzContext) => FuzzCase][]> {
  const gens: [number, (ctx: FuzzContext) => FuzzCase][] = [
    [3, poolCase],
    [2, softmaxCase],
    [2, lossCase],
    [2, batchNormCase],
    [1, dropoutCase],
  ];
  const conv = await loadConv();
  if (conv) gens.push([3, convCase(conv)]);
  return gens;
}
