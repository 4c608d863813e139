// ONNX nodes for condgrad's compute ops: conv2d and depthwise, matmul, expert mixing, pooling and reductions.

import { pair, resolvePadding, type Conv2dGeometry } from '../../kernels/geometry/conv.js';
import type { Pool2dGeometry, Pool2dOptions } from '../../kernels/geometry/pool.js';
import type { ReduceGeometry } from '../../kernels/geometry/reduce.js';
import type { Attr } from './graph.js';
import type { Emitter } from './emitter.js';
import { fixed } from './emitter.js';
import type { OpMapper } from './map_elementwise.js';

/** Conv attributes of a conv geometry (ONNX pads are [top, left, bottom, right]). */
export function convAttrs(g: Conv2dGeometry): Record<string, Attr> {
  return {
    kernel_shape: { ints: [g.kH, g.kW] },
    strides: { ints: [g.strideH, g.strideW] },
    pads: { ints: [g.padTop, g.padLeft, g.padBottom, g.padRight] },
    dilations: { ints: [g.dilationH, g.dilationW] },
    group: { i: g.groups },
  };
}

const conv: OpMapper = (e, op) => {
  const { g } = op.plan as unknown as { g: Conv2dGeometry };
  return e.g.node('Conv', [e.value(op.inputs[0]), e.value(op.inputs[1])], convAttrs(g));
};

/** a·b with condgrad's transA / transB as Transposes of the last two dims; batch dims broadcast as in ONNX MatMul. */
const matmul: OpMapper = (e, op) => {
  const { transA, transB } = op.attrs as { transA: boolean; transB: boolean };
  const t = (v: string, rank: number): string => {
    const perm = Array.from({ length: rank }, (_, i) => i);
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
    return e.g.node('Transpose', [v], { perm: { ints: perm } });
  };
  let a = e.value(op.inputs[0]);
  let b = e.value(op.inputs[1]);
  if (transA) a = t(a, op.inShapes[0]!.length);
  if (transB) b = t(b, op.inShapes[1]!.length);
  return e.g.node('MatMul', [a, b]);
};

/** out = routing [B, K] · experts read as [K, S], laid out as the traced output shape. */
const mixExperts: OpMapper = (e, op) => {
  const es = fixed('mixExperts experts', op.inShapes[1]);
  const K = es[0];
  const flat = e.g.node('Reshape', [e.value(op.inputs[1]), e.g.ints([K, es.reduce((a, b) => a * b, 1) / K])]);
  return e.reshape(e.g.node('MatMul', [e.value(op.inputs[0]), flat]), op.shape);
};

function pool(onnx: 'MaxPool' | 'AveragePool'): OpMapper {
  return (e, op) => {
    const { g } = op.plan as unknown as { g: Pool2dGeometry };
    const opts = op.attrs as Pool2dOptions;
    const k = pair(op.name, 'kernelSize', opts.kernelSize, 1, 1);
    const s = pair(op.name, 'stride', opts.stride ?? opts.kernelSize, 1, 1);
    const [, pb, , pr] = resolvePadding(op.name, opts.padding, g.inH, g.inW, k, s, [1, 1]);
    const attrs: Record<string, Attr> = {
      kernel_shape: { ints: [g.kH, g.kW] },
      strides: { ints: [g.strideH, g.strideW] },
      pads: { ints: [g.padTop, g.padLeft, pb, pr] },
    };
    if (onnx === 'AveragePool') attrs.count_include_pad = { i: g.countIncludePad ? 1 : 0 };
    return e.g.node(onnx, [e.value(op.inputs[0])], attrs);
  };
}

/** ReduceSum takes its axes as an input (opset 13); ReduceMean/Max/Min as an attribute (until opset 18). */
const reduce: OpMapper = (e: Emitter, op) => {
  const { g } = op.plan as unknown as { g: ReduceGeometry };
  const { op: kind, keepDims } = op.attrs as { op: 'sum' | 'mean' | 'max' | 'min'; keepDims: boolean };
  const x = e.value(op.inputs[0]);
  const keepdims = { i: keepDims ? 1 : 0 };
  if (g.axes.length === 0) return e.g.node('Identity', [x]);
  if (kind === 'sum') return e.g.node('ReduceSum', [x, e.g.ints([...g.axes])], { keepdims });
  return e.g.node(kind === 'mean' ? 'ReduceMean' : kind === 'max' ? 'ReduceMax' : 'ReduceMin', [x], { axes: { ints: [...g.axes] }, keepdims });
};

export const LAYERS: Record<string, OpMapper> = {
  conv2d: conv,
  depthwiseConv2d: conv,
  matmul,
  mixExperts,
  maxPool2d: pool('MaxPool'),
  avgPool2d: pool('AveragePool'),
  reduce,
};
