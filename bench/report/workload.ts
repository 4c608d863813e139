// Benchmark workloads: the tensors of one (backend, shape, batch, K) case and one call of each execution path, forward or forward+backward.

import { noGrad } from '../../core/engine.js';
import { ones, rand, randn } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import type { AnyBackend } from '../../core/backend.js';
import { matmul } from '../../ops/matmul.js';
import { concat, slice } from '../../ops/shape.js';
import { conv2d } from '../../ops/conv.js';
import { conv1d } from '../../ops/conv1d.js';
import { condConv2d, condLinear } from '../../ops/cond_conv.js';
import { condConv1d } from '../../ops/cond_conv1d.js';
import { mixExperts } from '../../ops/cond_mix.js';
import { planCondConv, planCondConv1d, planCondLinear, type CondPlan } from '../../ops/cond_plan.js';
import { taps, type Mode, type PathName, type ShapeCase } from './sweep.js';

/** One case's tensors and the calls the bench times. */
export interface Workload {
  /** Runs one call synchronously and returns its results: [y] forward, the input gradients forward+backward. */
  run(path: PathName, mode: Mode): Tensor[];
  /** Drops the input gradients a forward+backward call left on the leaves (and frees them). */
  resetGrads(): void;
  /** The auto path's plan for this case (null for the plain workload). */
  readonly plan: CondPlan | null;
  dispose(): void;
}

/** Conv options of a shape: stride 1, "same" padding k/2, its groups. */
function convOpts(s: ShapeCase): { padding: number; groups: number } {
  return { padding: Math.floor(s.k / 2), groups: s.groups };
}

/**
 * The tensors of one case, float32 on `backend`, drawn from `seed`. With K null, the plain layer:
 * x and one weight [O, C/groups, k, k] (1-D: [O, C/groups, k]; linear: [O, C]). Otherwise x,
 * experts [K, O, C/groups, k, k] (1-D: [K, O, C/groups, k]; linear: [K, O, C]) and routing
 * [B, K] uniform in [0, 1).
 */
export function makeWorkload(backend: AnyBackend, s: ShapeCase, batch: number, K: number | null, seed: number): Workload {
  const lin = s.kind === 'linear';
  const seq = s.kind === 'conv1d';
  const xShape = lin ? [batch, s.C] : seq ? [batch, s.C, s.W] : [batch, s.C, s.H, s.W];
  const kernelShape = lin ? [s.O, s.C] : seq ? [s.O, s.C / s.groups, s.k] : [s.O, s.C / s.groups, s.k, s.k];
  const yShape = lin ? [batch, s.O] : seq ? [batch, s.O, s.W] : [batch, s.O, s.H, s.W];
  const fanIn = (s.C / s.groups) * taps(s);
  const opts = { backend, dtype: 'float32' as const, requiresGrad: true };
  const x = randn(xShape, { ...opts, seed });
  const w = randn(K === null ? kernelShape : [K, ...kernelShape], { ...opts, seed: seed + 1, std: 1 / Math.sqrt(fanIn) });
  const routing = K === null ? null : rand([batch, K], { ...opts, seed: seed + 2 });
  const dy = ones(yShape, { backend, dtype: 'float32' });
  const leaves = routing === null ? [x, w] : [x, w, routing];
  const copts = convOpts(s);
  const plan = K === null ? null : lin ? planCondLinear(xShape, w.shape) : seq ? planCondConv1d(xShape, w.shape, copts) : planCondConv(xShape, w.shape, copts);
  /** The plain layer on x or one sample of it. */
  const plainLayer = (xb: Tensor, kernel: Tensor): Tensor =>
    lin ? matmul(xb, kernel, { transB: true }) : seq ? conv1d(xb, kernel, null, copts) : conv2d(xb, kernel, null, copts);

  /** Per-sample loop of the plain layer: mix sample b's kernel, run it on x[b], concatenate. */
  const loop = (): Tensor => {
    const r = routing!;
    const ys: Tensor[] = [];
    for (let b = 0; b < batch; b++) {
      const kernel = mixExperts(slice(r, [b, 0], [1, K!]), w, kernelShape);
      const xb = slice(x, [b, ...xShape.slice(1).map(() => 0)], [1, ...xShape.slice(1)]);
      ys.push(plainLayer(xb, kernel));
    }
    return ys.length === 1 ? ys[0] : concat(ys, 0);
  };

  const forward = (path: PathName): Tensor => {
    if (path === 'plain') {
      if (K !== null) throw new Error(`workload: path plain needs the plain workload (K = null), got K = ${K}`);
      return plainLayer(x, w);
    }
    if (routing === null) throw new Error(`workload: path ${path} needs experts (K), got the plain workload`);
    if (path === 'loop') return loop();
    if (lin) return condLinear(x, w, routing, null, { path });
    return seq ? condConv1d(x, w, routing, null, { ...copts, path }) : condConv2d(x, w, routing, null, { ...copts, path });
  };

  return {
    plan,
    run(path, mode) {
      if (mode === 'forward') return [noGrad(() => forward(path))];
      const y = forward(path);
      y.backward(dy);
      return leaves.map((l) => l.grad!);
    },
    resetGrads() {
      for (const l of leaves) {
        l.grad?.dispose();
        l.grad = null;
      }
    },
    dispose() {
      this.resetGrads();
      for (const t of [...leaves, dy]) t.dispose();
    },
  };
}
