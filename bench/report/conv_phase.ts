// Bench helper: one phase of a float32 conv (forward, input gradient, filter gradient) on seeded inputs, for the kernel benches.

import type { Backend, Storage } from '../../core/backend.js';
import type { Conv2dGeometry } from '../../kernels/geometry/conv.js';
import { mulberry32, randArray } from '../../test/helpers/rng.js';

export type ConvPhase = 'forward' | 'backwardInput' | 'backwardFilter';
export const CONV_PHASES: readonly ConvPhase[] = ['forward', 'backwardInput', 'backwardFilter'];

/**
 * Seeded x [B, C, H, W], w ([B,] O, C/g, kH, kW) and dy [B, O, outH, outW] on `be` (the same
 * numbers on every backend for one seed), a call that runs `phase` once and returns its output
 * (the caller disposes it), and free() for the inputs.
 */
export function convPhaseCall<S extends Storage>(be: Backend<S>, g: Conv2dGeometry, phase: ConvPhase, seed: number): { call: () => S; free: () => void } {
  const rng = mulberry32(seed);
  const x = be.fromArray(randArray(rng, g.batch * g.inC * g.inH * g.inW, 'float32'));
  const w = be.fromArray(randArray(rng, g.weightSize * (g.perSampleWeights ? g.batch : 1), 'float32'));
  const dy = be.fromArray(randArray(rng, g.batch * g.outC * g.outH * g.outW, 'float32'));
  const call = (): S =>
    phase === 'forward' ? be.conv2d(x, w, g) : phase === 'backwardInput' ? be.conv2dBackwardInput(dy, w, g) : be.conv2dBackwardFilter(x, dy, g);
  return { call, free: () => [x, w, dy].forEach((s) => be.dispose(s)) };
}
