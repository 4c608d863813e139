// CondConv path planning: shape validation and the cost model (MACs, memory writes, launches) that picks between the fused, moe and batch1 paths.

import { CondgradError, checkInt, fmtShape } from '../core/errors.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../kernels/geometry/conv.js';
import { conv1dGeometry, type Conv1dOptions } from '../kernels/geometry/conv1d.js';

/** The ways to compute a CondConv (all give the same numbers up to rounding). */
export type CondPath = 'fused' | 'moe' | 'batch1';
export type CondPathOption = CondPath | 'auto';

export const COND_PATHS: readonly CondPathOption[] = ['fused', 'moe', 'batch1', 'auto'];

export interface CondPathOptions {
  /** Which computation to run; 'auto' (the default) takes the cheapest by the cost model. */
  path?: CondPathOption;
}

export type CondConv2dOptions = Conv2dOptions & CondPathOptions;
export type CondConv1dOptions = Conv1dOptions & CondPathOptions;

/** Multiply-accumulates of each path; batch1 is null unless the batch is 1. */
export interface CondCosts {
  fused: number;
  moe: number;
  batch1: number | null;
}

/** What planCondConv / planCondLinear decided, and why. */
export interface CondPlan {
  readonly op: 'condConv2d' | 'condConv1d' | 'condLinear';
  readonly path: CondPath;
  readonly requested: CondPathOption;
  readonly costs: CondCosts;
  readonly reason: string;
  /** Batch, experts, elements of one kernel |W|, output channels and output pixels per channel. */
  readonly batch: number;
  readonly experts: number;
  readonly weightSize: number;
  readonly outC: number;
  readonly outPixels: number;
}

/** Formats a MAC count compactly: 2.4M, 301.99M, 850. */
export function fmtMacs(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(2)}k`;
  return String(n);
}

/** Throws unless `path` names a known path. */
export function checkPath(op: string, path: unknown): CondPathOption {
  if (path === undefined) return 'auto';
  if (!COND_PATHS.includes(path as CondPathOption)) {
    throw new CondgradError(op, `path must be one of ${COND_PATHS.map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(path)}`);
  }
  return path as CondPathOption;
}

/** MAC-equivalents charged per kernel launch (dispatch, packing and scheduling overhead). */
export const LAUNCH_COST = 16384;

/** MAC-equivalents per element a memory-bound step of condLinear streams (a weight read once for few rows, an output written and mixed). */
export const LINEAR_STREAM_COST = 72;
/** MAC-equivalents per expert element the mixing matmul reads ([B, K]×[K, |W|] reads each expert element once for all B rows). */
export const MIX_READ_COST = 19;

/**
 * condLinear's costs, where P = 1 leaves every matmul memory-bound: a step costs its MACs plus
 * LINEAR_STREAM_COST per weight element it reads and per output it writes and mixes, and the mix
 * MIX_READ_COST per expert element (fitted to bench --full --backend wasm, linear 1024→1024,
 * B = 1, 8, 32, K = 1..16: moe ≈ 1.4-1.7 ms per K·|W| million weights at B ≤ 8, the mix ≈ 0.3 ms
 * per million expert elements, a batched matrix-vector product ≈ 1.1 ms per sample's |W| million).
 *   fused  = (MIX_READ + B)·K·|W| + B·|W|·S + 2L    (mix B kernels; B matrix-vector products read them)
 *   batch1 = (MIX_READ + 1)·K·|W| + |W|·S + 2L       (B = 1: mix one kernel, one plain matmul)
 *   moe    = K·|W|·(S + B) + B·K·O·S + 2L            (one [B,in]×[in,K·out] matmul; K outputs mixed)
 * So moe wins at K = 1 and for larger batches (B = 32 up to K ≈ 40 at |W| = 1M), B = 1 takes
 * batch1 from K = 2, and B = 8 crosses to fused near K = 11.
 */
function linearCosts(B: number, K: number, W: number, O: number): CondCosts {
  const S = LINEAR_STREAM_COST;
  return {
    fused: (MIX_READ_COST + B) * K * W + B * W * S + 2 * LAUNCH_COST,
    moe: K * W * (S + B) + B * K * O * S + 2 * LAUNCH_COST,
    batch1: B === 1 ? (MIX_READ_COST + 1) * K * W + W * S + 2 * LAUNCH_COST : null,
  };
}

/**
 * The cost model, in MAC-equivalents. Mixing the kernels costs B·K·|W|; one conv pass over the
 * batch costs B·|W|·P (P = output pixels); every element a path writes to memory costs 1; every
 * kernel launch costs LAUNCH_COST (L).
 *   fused  = B·K·|W| + B·|W|·P + B·|W| + 2L          (mix, write the B mixed kernels, one pass)
 *   batch1 = K·|W| + |W|·P + |W| + 2L                 (B = 1 only)
 *   moe    = K·B·|W|·P + B·K·O·P + 2·K·B·O·P + (K+2)L  (K passes, write and stack K outputs, mix)
 * moe wins only where P is tiny (1×1 outputs) and |W| exceeds the K outputs it writes; fused
 * wins for any real spatial conv. Ties go to fused, then batch1. condLinear has its own,
 * memory-bound costs (linearCosts above).
 */
function choose(op: CondPlan['op'], requested: CondPathOption, B: number, K: number, W: number, O: number, P: number, moeLaunches = K + 2): CondPlan {
  const mix = B * K * W;
  const pass = B * W * P;
  const costs: CondCosts =
    op === 'condLinear'
      ? linearCosts(B, K, W, O)
      : {
          fused: mix + pass + B * W + 2 * LAUNCH_COST,
          moe: K * pass + B * K * O * P + 2 * K * B * O * P + moeLaunches * LAUNCH_COST,
          batch1: B === 1 ? K * W + W * P + W + 2 * LAUNCH_COST : null,
        };
  if (requested === 'batch1' && B !== 1) {
    throw new CondgradError(op, `path 'batch1' needs a batch of 1, got batch ${B}; use 'fused' or 'auto'`);
  }
  // Ties (at B = 1 the conv's fused and batch1 costs are equal) go to the per-sample conv kernel for
  // convs, which measured as fast as or faster than the plain conv on one sample in 38 of 40 B = 1 rows
  // (fused/batch1 0.61-1.05, wasm, bench --full); and to batch1 for condLinear (one plain matmul,
  // 1.11-1.23x faster than B = 1 batched matrix-vector products forward+backward).
  const order: CondPath[] = op === 'condLinear' ? ['batch1', 'fused', 'moe'] : ['fused', 'batch1', 'moe'];
  let path: CondPath = 'fused';
  if (requested !== 'auto') path = requested;
  else {
    for (const p of order) {
      const c = costs[p];
      if (c !== null && (c < (costs[path] as number) || (c === costs[path] && order.indexOf(p) < order.indexOf(path)))) path = p;
    }
  }
  // The reason is text for people: built on first read, not on every forward.
  const because = (): string => {
    if (requested !== 'auto') return `path '${requested}' requested`;
    const list = order
      .filter((p) => costs[p] !== null)
      .map((p) => `${p} ${fmtMacs(costs[p] as number)}`)
      .join(', ');
    const why =
      path === 'moe'
        ? `K separate passes are cheaper than mixing kernels here (P = ${P} output pixel(s), |W| = ${W}, K·O = ${K * O})`
        : `mixing kernels costs ${fmtMacs(path === 'batch1' ? K * W : mix)} MACs, less than the ${fmtMacs(costs.moe - pass)} of ${K - 1} extra conv pass(es), their outputs and output mixing`;
    return `auto chose '${path}': ${why} (cost in MAC-equivalents: ${list})`;
  };
  let reason: string | undefined;
  const plan = { op, path, requested, costs, batch: B, experts: K, weightSize: W, outC: O, outPixels: P } as CondPlan;
  Object.defineProperty(plan, 'reason', { enumerable: true, get: () => (reason ??= because()) });
  return plan;
}

/**
 * Validates CondConv shapes and returns the conv geometry of one kernel.
 * @param xShape [B, C, H, W] @param expertsShape [K, O, C/groups, kH, kW]
 */
export function condConvGeometry(op: string, xShape: readonly number[], expertsShape: readonly number[], opts: Conv2dOptions): Conv2dGeometry {
  if (xShape.length !== 4) throw new CondgradError(op, `x must be [B, C, H, W], got ${fmtShape(xShape)}`);
  if (expertsShape.length !== 5) {
    throw new CondgradError(op, `experts must be [K, O, C/groups, kH, kW], got ${fmtShape(expertsShape)} (x ${fmtShape(xShape)})`);
  }
  const C = xShape[1];
  const [, O, Cg] = expertsShape;
  const groups = checkInt(op, 'groups', opts.groups ?? 1, 1);
  if (C % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the input channels ${C} (x ${fmtShape(xShape)})`);
  if (O % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the output channels ${O} (experts ${fmtShape(expertsShape)})`);
  if (Cg !== C / groups) {
    throw new CondgradError(
      op,
      `experts must be [K, O, C/groups, kH, kW] with C/groups = ${C}/${groups} = ${C / groups}, got ${fmtShape(expertsShape)} (x ${fmtShape(xShape)})`,
    );
  }
  return conv2dGeometry(op, xShape, expertsShape.slice(1), opts);
}

/**
 * Picks the CondConv path for these shapes (see the cost model above) without running anything.
 * @param xShape [B, C, H, W]
 * @param expertsShape [K, O, C/groups, kH, kW]
 * @param opts conv options plus `path` ('auto' by default)
 */
export function planCondConv(xShape: readonly number[], expertsShape: readonly number[], opts: CondConv2dOptions = {}): CondPlan {
  return condConvPlan(xShape, expertsShape, opts).plan;
}

/** planCondConv plus the conv geometry of one kernel it validated on the way (condConv2d runs on it). Internal. */
export function condConvPlan(xShape: readonly number[], expertsShape: readonly number[], opts: CondConv2dOptions): { plan: CondPlan; g: Conv2dGeometry } {
  const op = 'condConv2d';
  const requested = checkPath(op, opts.path);
  const g = condConvGeometry(op, xShape, expertsShape, opts);
  return { plan: choose(op, requested, g.batch, expertsShape[0], g.weightSize, g.outC, g.outH * g.outW), g };
}

/**
 * Validates 1-D CondConv shapes (in 1-D terms) and returns the geometry of one kernel on a 1×L image.
 * @param xShape [B, C, L] @param expertsShape [K, O, C/groups, k]
 */
export function condConv1dGeometry(op: string, xShape: readonly number[], expertsShape: readonly number[], opts: Conv1dOptions): Conv2dGeometry {
  if (xShape.length !== 3) throw new CondgradError(op, `x must be [B, C, L], got ${fmtShape(xShape)}`);
  if (expertsShape.length !== 4) {
    throw new CondgradError(op, `experts must be [K, O, C/groups, k], got ${fmtShape(expertsShape)} (x ${fmtShape(xShape)})`);
  }
  const C = xShape[1];
  const [, O, Cg] = expertsShape;
  const groups = checkInt(op, 'groups', opts.groups ?? 1, 1);
  if (C % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the input channels ${C} (x ${fmtShape(xShape)})`);
  if (O % groups !== 0) throw new CondgradError(op, `groups ${groups} does not divide the output channels ${O} (experts ${fmtShape(expertsShape)})`);
  if (Cg !== C / groups) {
    throw new CondgradError(
      op,
      `experts must be [K, O, C/groups, k] with C/groups = ${C}/${groups} = ${C / groups}, got ${fmtShape(expertsShape)} (x ${fmtShape(xShape)})`,
    );
  }
  return conv1dGeometry(op, xShape, expertsShape.slice(1), opts);
}

/**
 * Picks the 1-D CondConv path by the same cost model as planCondConv (P = output length).
 * @param xShape [B, C, L]
 * @param expertsShape [K, O, C/groups, k]
 * @param opts 1-D conv options plus `path` ('auto' by default)
 */
export function planCondConv1d(xShape: readonly number[], expertsShape: readonly number[], opts: CondConv1dOptions = {}): CondPlan {
  const op = 'condConv1d';
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `opts must be an object, got ${String(opts)}`);
  const requested = checkPath(op, opts.path);
  const g = condConv1dGeometry(op, xShape, expertsShape, opts);
  return choose(op, requested, g.batch, expertsShape[0], g.weightSize, g.outC, g.outW);
}

/**
 * Picks the CondLinear path for these shapes (an FC layer is a conv with one output pixel).
 * @param xShape [B, in]
 * @param expertsShape [K, out, in]
 * @param opts `path` ('auto' by default)
 */
export function planCondLinear(xShape: readonly number[], expertsShape: readonly number[], opts: CondPathOptions = {}): CondPlan {
  const op = 'condLinear';
  const requested = checkPath(op, opts.path);
  if (xShape.length !== 2) throw new CondgradError(op, `x must be [B, in], got ${fmtShape(xShape)}`);
  if (expertsShape.length !== 3 || expertsShape[2] !== xShape[1]) {
    throw new CondgradError(op, `experts must be [K, out, in] with in = ${xShape[1]}, got ${fmtShape(expertsShape)} (x ${fmtShape(xShape)})`);
  }
  const [K, out, inF] = expertsShape;
  return choose(op, requested, xShape[0], K, out * inF, out, 1, 2);
}
