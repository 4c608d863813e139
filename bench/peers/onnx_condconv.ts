// ONNX graphs of CondConv as others run it (timm's grouped fold, and the mixture-of-experts formulation), for the peer bench's CondConv table.

import { Graph, encodeModel } from '../../nn/onnx/graph.js';

export interface OnnxCondSpec {
  /** x: [B, C, H, W] */
  x: readonly [number, number, number, number];
  K: number;
  outC: number;
  k: number;
  /** groups = C (one filter per channel, outC = C). */
  depthwise: boolean;
  /** The K experts [K, O, C/groups, k, k], an initializer (weights are constants of the model). */
  experts: Float32Array;
}

const convAttrs = (k: number, group: number): Record<string, { ints: readonly number[] } | { i: number }> => {
  const p0 = Math.floor((k - 1) / 2),
    p1 = k - 1 - p0;
  return { kernel_shape: { ints: [k, k] }, pads: { ints: [p0, p0, p1, p1] }, strides: { ints: [1, 1] }, dilations: { ints: [1, 1] }, group: { i: group } };
};

/**
 * timm's CondConv2d exported: the routing weights R [B, K] mix the experts with one MatMul into B
 * kernels, and one Conv with group = B (B·C for depthwise) runs every sample against its own
 * kernel on x reshaped to [1, B·C, H, W]. Inputs "X", "R"; output "Y" [B, O, H, W].
 */
export function onnxCondFoldModel(s: OnnxCondSpec): Uint8Array {
  const [B, C, H, W] = s.x;
  const Cg = s.depthwise ? 1 : C;
  const g = new Graph('condconv_fold');
  g.input('X', s.x);
  g.input('R', [B, s.K]);
  const E = g.floats(s.experts, [s.K, s.outC * Cg * s.k * s.k], 'E');
  const mixed = g.node('MatMul', ['R', E]);
  const kernels = g.node('Reshape', [mixed, g.ints([B * s.outC, Cg, s.k, s.k])]);
  const x1 = g.node('Reshape', ['X', g.ints([1, B * C, H, W])]);
  const y1 = g.node('Conv', [x1, kernels], convAttrs(s.k, s.depthwise ? B * C : B));
  g.node('Reshape', [y1, g.ints([B, s.outC, H, W])], {}, ['Y']);
  g.output('Y', [B, s.outC, H, W]);
  return encodeModel(g, 'CondConv as a grouped-conv fold (timm) for the peer bench');
}

/**
 * The mixture-of-experts formulation: one Conv with K·O output channels computes every expert's
 * output y_k (for depthwise, K filters per channel), then Σ_k α_bk y_k with Mul and ReduceSum.
 * Inputs "X", "R"; output "Y" [B, O, H, W].
 */
export function onnxCondMoeModel(s: OnnxCondSpec): Uint8Array {
  const [B, C, H, W] = s.x;
  const { K, outC: O, k } = s;
  const g = new Graph('condconv_moe');
  g.input('X', s.x);
  g.input('R', [B, K]);
  let y: string;
  if (!s.depthwise) {
    const E = g.floats(s.experts, [K * O, C, k, k], 'E');
    const yk = g.node('Reshape', [g.node('Conv', ['X', E], convAttrs(k, 1)), g.ints([B, K, O * H * W])]);
    y = g.node('ReduceSum', [g.node('Mul', [yk, g.node('Reshape', ['R', g.ints([B, K, 1])])]), g.ints([1])], { keepdims: { i: 0 } });
  } else {
    // Experts [K, C, 1, k, k] reordered to [C, K, 1, k, k]: depthwise output channel c·K + j is expert j of channel c.
    const e = new Float32Array(s.experts.length);
    const kk = k * k;
    for (let j = 0; j < K; j++) for (let c = 0; c < C; c++) e.set(s.experts.subarray((j * C + c) * kk, (j * C + c + 1) * kk), (c * K + j) * kk);
    const E = g.floats(e, [C * K, 1, k, k], 'E');
    const yk = g.node('Reshape', [g.node('Conv', ['X', E], convAttrs(k, C)), g.ints([B, C, K, H * W])]);
    y = g.node('ReduceSum', [g.node('Mul', [yk, g.node('Reshape', ['R', g.ints([B, 1, K, 1])])]), g.ints([2])], { keepdims: { i: 0 } });
  }
  g.node('Reshape', [y, g.ints([B, O, H, W])], {}, ['Y']);
  g.output('Y', [B, O, H, W]);
  return encodeModel(g, 'CondConv as a mixture of experts for the peer bench');
}
