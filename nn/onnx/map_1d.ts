// ONNX nodes for condgrad's 1-D ops (NCL): conv1d and depthwise as 1-D Convs, pools, and per-sample / CondConv 1-D as their 2-D forms on 1×L.

import type { Conv2dGeometry } from '../../kernels/geometry/conv.js';
import { conv1dGeometry, type Conv1dOptions } from '../../kernels/geometry/conv1d.js';
import type { Pool2dGeometry } from '../../kernels/geometry/pool.js';
import { fixed } from './emitter.js';
import type { Attr } from './graph.js';
import { condConvNodes, perSampleConv } from './map_cond.js';
import type { OpMapper } from './map_elementwise.js';

/** Conv attributes of a 1×L geometry, as a 1-D Conv (pads [left, right]). */
function conv1dAttrs(g: Conv2dGeometry): Record<string, Attr> {
  return {
    kernel_shape: { ints: [g.kW] },
    strides: { ints: [g.strideW] },
    pads: { ints: [g.padLeft, g.padRight] },
    dilations: { ints: [g.dilationW] },
    group: { i: g.groups },
  };
}

const conv1d: OpMapper = (e, op) => {
  const { g } = op.plan as unknown as { g: Conv2dGeometry };
  return e.g.node('Conv', [e.value(op.inputs[0]), e.value(op.inputs[1])], conv1dAttrs(g));
};

function pool1d(onnx: 'MaxPool' | 'AveragePool'): OpMapper {
  return (e, op) => {
    const { g } = op.plan as unknown as { g: Pool2dGeometry };
    // The right pad that the last window needs (windows never start in the right padding).
    const right = Math.max(0, (g.outW - 1) * g.strideW + g.kW - g.inW - g.padLeft);
    const attrs: Record<string, Attr> = { kernel_shape: { ints: [g.kW] }, strides: { ints: [g.strideW] }, pads: { ints: [g.padLeft, right] } };
    if (onnx === 'AveragePool') attrs.count_include_pad = { i: g.countIncludePad ? 1 : 0 };
    return e.g.node(onnx, [e.value(op.inputs[0])], attrs);
  };
}

/** [B, C, L] ↔ [B, C, 1, L] around a 2-D formulation. */
const to2d = (e: Parameters<OpMapper>[0], x: string): string => e.g.node('Unsqueeze', [x, e.g.ints([2])]);
const to1d = (e: Parameters<OpMapper>[0], y: string): string => e.g.node('Squeeze', [y, e.g.ints([2])]);

const conv1dPerSample: OpMapper = (e, op) => {
  const { g } = op.plan as unknown as { g: Conv2dGeometry };
  const kernels = e.reshape(e.value(op.inputs[1]), [{ b: 1 }, g.weightSize]);
  const how = e.condConv === 'moe' ? 'scan' : e.condConv;
  return to1d(e, perSampleConv(e, to2d(e, e.value(op.inputs[0])), kernels, g, how));
};

const condConv1d: OpMapper = (e, op) => {
  const [K, O, Cg, k] = fixed('condConv1d experts', op.inShapes[1]);
  const { path: _p, ...convOpts } = op.attrs as Conv1dOptions & { path?: string };
  const g = conv1dGeometry('condConv1d', op.inConcrete[0]!, [O, Cg, k], convOpts);
  return to1d(e, condConvNodes(e, op, g, to2d(e, e.value(op.inputs[0])), [K, O, Cg, 1, k]));
};

export const ONE_D: Record<string, OpMapper> = {
  conv1d,
  depthwiseConv1d: conv1d,
  conv1dPerSample,
  condConv1d,
  maxPool1d: pool1d('MaxPool'),
  avgPool1d: pool1d('AveragePool'),
};
