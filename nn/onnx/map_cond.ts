// ONNX formulations of CondConv with a dynamic batch: per-sample kernels by one MatMul, then Scan, Loop or unfold+MatMul; and the moe contrast.

import type { Conv2dOptions } from '../../kernels/geometry/conv.js';
import { conv2dGeometry, type Conv2dGeometry } from '../../kernels/geometry/conv.js';
import { Emitter, fixed } from './emitter.js';
import { BOOL, INT64 } from './graph.js';
import { convAttrs } from './map_layers.js';
import type { OpMapper } from './map_elementwise.js';
import type { TracedOp } from './trace.js';

/** The conv of one sample ([C, H, W] in, kernel [S] flat) as a body graph: Unsqueeze, Reshape the kernel, Conv, Squeeze. */
function sampleBody(e: Emitter, g: Conv2dGeometry, name: string, head: (body: Emitter['g']) => [string, string]): Emitter['g'] {
  const body = e.g.sub(name);
  const [xb, wb] = head(body);
  const x4 = body.node('Unsqueeze', [xb, body.ints([0])]);
  const w4 = body.node('Reshape', [wb, body.ints([g.outC, g.inCPerGroup, g.kH, g.kW])]);
  const y = body.node('Conv', [x4, w4], convAttrs(g));
  const out = body.node('Squeeze', [y, body.ints([0])]);
  body.output(out, [g.outC, g.outH, g.outW]);
  return body;
}

/**
 * y[b] = conv(x[b], kernels[b]) for x [B, C, H, W] and kernels [B, |W|], without freezing B
 * into a group attribute: a Scan (or Loop) over the batch running one Conv per sample with the
 * sample's kernel as a graph value, or im2col by a one-hot depthwise Conv and one batched MatMul.
 */
export function perSampleConv(e: Emitter, x: string, kernels: string, g: Conv2dGeometry, how: 'scan' | 'loop' | 'unfold'): string {
  const G = g.groups;
  const Og = g.outCPerGroup;
  const kk = g.kH * g.kW;
  const P = g.outH * g.outW;
  if (how === 'scan') {
    const body = sampleBody(e, g, 'sample_conv', (b) => [b.input(b.fresh('x_b'), [g.inC, g.inH, g.inW]), b.input(b.fresh('w_b'), [g.weightSize])]);
    return e.g.node('Scan', [x, kernels], { body: { g: body }, num_scan_inputs: { i: 2 } });
  }
  if (how === 'loop') {
    const body = sampleBody(e, g, 'sample_conv', (b) => {
      const iter = b.input(b.fresh('iter'), [], INT64);
      const cond = b.input(b.fresh('cond'), [], BOOL);
      b.output(b.node('Identity', [cond]), [], BOOL);
      return [b.node('Gather', [x, iter], { axis: { i: 0 } }), b.node('Gather', [kernels, iter], { axis: { i: 0 } })];
    });
    const trips = e.g.node('Squeeze', [e.batch(), e.g.ints([0])]);
    return e.g.node('Loop', [trips, ''], { body: { g: body } });
  }
  let cols: string;
  if (kk === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop + g.padBottom + g.padLeft + g.padRight === 0) {
    cols = e.reshape(x, [{ b: 1 }, G, g.inCPerGroup, P]);
  } else {
    // im2col as a conv: output channel c·kk + j copies input channel c at kernel offset j.
    const eye = new Float32Array(g.inC * kk * kk);
    for (let c = 0; c < g.inC; c++) for (let j = 0; j < kk; j++) eye[(c * kk + j) * kk + j] = 1;
    const w = e.g.floats(eye, [g.inC * kk, 1, g.kH, g.kW]);
    const unfolded = e.g.node('Conv', [x, w], { ...convAttrs({ ...g, groups: g.inC }) });
    cols = e.reshape(unfolded, [{ b: 1 }, G, g.inCPerGroup * kk, P]);
  }
  const wk = e.reshape(kernels, [{ b: 1 }, G, Og, g.inCPerGroup * kk]);
  return e.reshape(e.g.node('MatMul', [wk, cols]), [{ b: 1 }, g.outC, g.outH, g.outW]);
}

/** Σ_k α_bk bias_k as [B, O, 1, 1], added to y. */
function addMixedBias(e: Emitter, y: string, routing: string, bias: string, O: number): string {
  return e.g.node('Add', [y, e.reshape(e.g.node('MatMul', [routing, bias]), [{ b: 1 }, O, 1, 1])]);
}

/**
 * The moe formulation for contrast: all K experts as one Conv with K·O output channels (the
 * experts reordered at export so each group's K·O/g channels are contiguous), then the K
 * outputs mixed per sample by α with a broadcast MatMul.
 */
function moe(e: Emitter, op: TracedOp, g: Conv2dGeometry, x: string, dims: readonly [number, number, number, number, number]): string {
  const [K, O, Cg, kH, kW] = dims;
  const src = e.data(op.inputs[1]);
  const G = g.groups;
  const Og = O / G;
  const per = Cg * kH * kW;
  let w: string;
  if (src !== null) {
    const dst = new Float32Array(K * O * per);
    for (let j = 0; j < G; j++)
      for (let k = 0; k < K; k++)
        for (let o = 0; o < Og; o++) {
          const from = (k * O + j * Og + o) * per;
          dst.set(Array.prototype.slice.call(src, from, from + per) as number[], ((j * K + k) * Og + o) * per);
        }
    w = e.g.floats(dst, [G * K * Og, Cg, kH, kW]);
  } else {
    const t = e.g.node('Transpose', [e.g.node('Reshape', [e.value(op.inputs[1]), e.g.ints([K, G, Og, per])])], { perm: { ints: [1, 0, 2, 3] } });
    w = e.g.node('Reshape', [t, e.g.ints([G * K * Og, Cg, kH, kW])]);
  }
  const z = e.reshape(e.g.node('Conv', [x, w], convAttrs(g)), [{ b: 1 }, G, K, Og * g.outH * g.outW]);
  const alpha = e.reshape(e.value(op.inputs[2]), [{ b: 1 }, 1, 1, K]);
  return e.reshape(e.g.node('MatMul', [alpha, z]), [{ b: 1 }, O, g.outH, g.outW]);
}

/**
 * A traced condConv2d / condConv1d on x [B, C, H, W] (a 1-D one as 1×L) with experts read as
 * `dims` = [K, O, C/g, kH, kW]: per-sample kernels then the chosen formulation, plus mixed bias.
 */
export function condConvNodes(e: Emitter, op: TracedOp, g: Conv2dGeometry, x: string, dims: readonly [number, number, number, number, number]): string {
  const [K, O] = dims;
  const routing = e.value(op.inputs[2]);
  let y: string;
  if (e.condConv === 'moe') {
    y = moe(e, op, g, x, dims);
  } else {
    const flat = e.g.node('Reshape', [e.value(op.inputs[1]), e.g.ints([K, g.weightSize])]);
    y = perSampleConv(e, x, e.g.node('MatMul', [routing, flat]), g, e.condConv);
  }
  return op.inputs[3] ? addMixedBias(e, y, routing, e.value(op.inputs[3]), O) : y;
}

const condConv2d: OpMapper = (e, op) => {
  const [K, O, Cg, kH, kW] = fixed('condConv2d experts', op.inShapes[1]);
  const { path: _p, ...convOpts } = op.attrs as Conv2dOptions & { path?: string };
  const g = conv2dGeometry('condConv2d', op.inConcrete[0]!, [O, Cg, kH, kW], convOpts);
  return condConvNodes(e, op, g, e.value(op.inputs[0]), [K, O, Cg, kH, kW]);
};

const conv2dPerSample: OpMapper = (e, op) => {
  const { g } = op.plan as unknown as { g: Conv2dGeometry };
  const kernels = e.reshape(e.value(op.inputs[1]), [{ b: 1 }, g.weightSize]);
  return perSampleConv(e, e.value(op.inputs[0]), kernels, g, e.condConv === 'moe' ? 'scan' : e.condConv);
};

/**
 * CondLinear as x·[W_1 … W_K]ᵀ then the K outputs mixed by α: for an FC layer the per-sample
 * weight matrices are as large as the work, so this (moe) form is the cheap one.
 */
const condLinear: OpMapper = (e, op) => {
  const [K, out, inF] = fixed('condLinear experts', op.inShapes[1]);
  const w = e.g.node('Reshape', [e.value(op.inputs[1]), e.g.ints([K * out, inF])]);
  let z = e.g.node('MatMul', [e.value(op.inputs[0]), e.g.node('Transpose', [w], { perm: { ints: [1, 0] } })]);
  if (op.inputs[3]) z = e.g.node('Add', [z, e.g.node('Reshape', [e.value(op.inputs[3]), e.g.ints([K * out])])]);
  const alpha = e.reshape(e.value(op.inputs[2]), [{ b: 1 }, 1, K]);
  const y = e.g.node('MatMul', [alpha, e.reshape(z, [{ b: 1 }, K, out])]);
  return e.reshape(y, [{ b: 1 }, out]);
};

export const COND: Record<string, (e: Emitter, op: TracedOp) => string> = { condConv2d, condLinear, conv2dPerSample };
