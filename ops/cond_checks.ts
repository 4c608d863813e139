// Argument checks every CondConv op shares (condConv1d, condConv2d, condLinear): routing [B, K] against x and experts, bias [K, O].

import { CondgradError, fmtShape } from '../core/errors.js';
import { checkInputs } from '../core/op.js';
import type { Tensor } from '../core/tensor.js';

/** Checks the tensors CondConv and CondLinear share: routing [B, K] against x and experts, bias [K, O]. */
export function checkCondCommon(op: string, x: Tensor, experts: Tensor, routing: Tensor, bias: Tensor | null, outAxis: number): void {
  const ts = bias ? [x, experts, routing, bias] : [x, experts, routing];
  checkInputs(op, ts, ['x', 'experts', 'routing', 'bias']);
  const B = x.shape[0];
  const K = experts.shape[0];
  const shapes = `(x ${fmtShape(x.shape)}, experts ${fmtShape(experts.shape)})`;
  if (routing.rank !== 2 || routing.shape[0] !== B) {
    throw new CondgradError(op, `routing must be [B, K] = [${B}, ${K}], got ${fmtShape(routing.shape)} ${shapes}`);
  }
  if (routing.shape[1] !== K) {
    throw new CondgradError(op, `experts has K = ${K} but routing has K = ${routing.shape[1]}: routing ${fmtShape(routing.shape)} ${shapes}`);
  }
  if (K < 1) throw new CondgradError(op, `needs at least one expert, got K = 0 ${shapes}`);
  const O = experts.shape[outAxis];
  if (bias && (bias.rank !== 2 || bias.shape[0] !== K || bias.shape[1] !== O)) {
    throw new CondgradError(op, `bias must be [K, O] = [${K}, ${O}], got ${fmtShape(bias.shape)} ${shapes}`);
  }
}
