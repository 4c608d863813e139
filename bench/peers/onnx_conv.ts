// A one-node ONNX Conv model for the peer bench, built with the exporter's graph encoder (protobufjs and the official onnx.proto).

import { Graph, encodeModel } from '../../nn/onnx/graph.js';

export interface OnnxConvSpec {
  /** x: [N, C, H, W] */
  x: readonly number[];
  /** w: [O, C/group, kH, kW] */
  w: readonly number[];
  group: number;
  /** [top, left, bottom, right] as ONNX orders them. */
  pads: readonly number[];
  /** The kernel as an initializer (pre-packed by ORT), or null to feed it as input "W" at run time. */
  weights: Float32Array | null;
}

/** ModelProto bytes of y = Conv(X, W) (stride 1, dilation 1), output "Y". */
export function onnxConvModel(s: OnnxConvSpec, yDims: readonly number[]): Uint8Array {
  const g = new Graph('conv_graph');
  g.input('X', s.x);
  if (s.weights !== null) g.floats(s.weights, s.w, 'W');
  else g.input('W', s.w);
  g.node(
    'Conv',
    ['X', 'W'],
    {
      kernel_shape: { ints: s.w.slice(2) },
      pads: { ints: s.pads },
      strides: { ints: [1, 1] },
      dilations: { ints: [1, 1] },
      group: { i: s.group },
    },
    ['Y'],
  );
  g.output('Y', yDims);
  return encodeModel(g, 'one Conv for the peer bench');
}
