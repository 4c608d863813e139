// Argument checks every CondConv op shares (condConv1d, condConv2d, condLinear): routing [B, K] against x and experts, bias [K, O].

import { CondgradError, fmtShape } from '../core/errors.js';
import { checkInputs } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';

/** Checks the tensors CondConv and CondLinear share: routing [B, K] against x and experts, bias [K, O]. */
export function checkCondCommon(op: string, x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, outAxis: number): void {
  checkCondTensors(op, x, experts, routing, bias);
  checkCondShapes(op, x, experts, routing, bias, outAxis);
}

/** checkInputs for x, experts, routing and bias (if any): live tensors on one backend, of one dtype. */
export function checkCondTensors(op: string, x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null): void {
  checkInputs(op, bias ? [x, experts, routing, bias] : [x, experts, routing], ['x', 'experts', 'routing', 'bias']);
}

/** The shape half of checkCondCommon, for callers that ran checkCondTensors first. */
export function checkCondShapes(op: string, x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, outAxis: number): void {
  const B = x.shape[0];
  const K = experts.shape[0];
  // Message text is built only on the way to a throw.
  const shapes = (): string => `(x ${fmtShape(x.shape)}, experts ${fmtShape(experts.shape)})`;
  if (routing.rank !== 2 || routing.shape[0] !== B) {
    throw new CondgradError(op, `routing must be [B, K] = [${B}, ${K}], got ${fmtShape(routing.shape)} ${shapes()}`);
  }
  if (routing.shape[1] !== K) {
    throw new CondgradError(op, `experts has K = ${K} but routing has K = ${routing.shape[1]}: routing ${fmtShape(routing.shape)} ${shapes()}`);
  }
  if (K < 1) throw new CondgradError(op, `needs at least one expert, got K = 0 ${shapes()}`);
  const O = experts.shape[outAxis];
  if (bias && (bias.rank !== 2 || bias.shape[0] !== K || bias.shape[1] !== O)) {
    throw new CondgradError(op, `bias must be [K, O] = [${K}, ${O}], got ${fmtShape(bias.shape)} ${shapes()}`);
  }
}
