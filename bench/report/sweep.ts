// The CondConv benchmark sweep: the shapes, batches, expert counts, execution paths and modes it measures, and the quick/full presets.

import { conv2dGeometry } from '../../kernels/geometry/conv.js';
import { conv1dGeometry } from '../../kernels/geometry/conv1d.js';

/** How one CondConv layer is executed. `plain` is the reference: one ordinary conv (or matmul) with a single kernel. */
export type PathName = 'plain' | 'fused' | 'moe' | 'loop' | 'batch1' | 'auto';
/** The paths of the CondConv op itself, i.e. what `auto` chooses among. */
export type OpPath = 'fused' | 'moe' | 'batch1';
export type Mode = 'forward' | 'forward+backward';
export type ShapeKind = 'conv' | 'depthwise' | 'pointwise' | 'conv1d' | 'linear';

export const ALL_PATHS: readonly PathName[] = ['plain', 'fused', 'moe', 'loop', 'batch1', 'auto'];
export const CONDCONV_PATHS: readonly PathName[] = ['fused', 'moe', 'loop', 'batch1', 'auto'];
export const MODES: readonly Mode[] = ['forward', 'forward+backward'];

/**
 * One layer shape. Conv kinds: x [B, C, H, W], each expert [O, C/groups, k, k], stride 1, padding k/2.
 * `conv1d`: x [B, C, L] (H = 1, W = L), each expert [O, C/groups, k] (condConv1d).
 * `linear`: x [B, C], each expert [O, C] (H = W = k = 1).
 */
export interface ShapeCase {
  readonly name: string;
  readonly kind: ShapeKind;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly O: number;
  readonly k: number;
  readonly groups: number;
}

export interface SweepConfig {
  readonly preset: 'quick' | 'full' | 'custom';
  readonly shapes: readonly ShapeCase[];
  readonly batches: readonly number[];
  readonly Ks: readonly number[];
  readonly modes: readonly Mode[];
  readonly paths: readonly PathName[];
  /** Untimed calls before timing each path. */
  readonly warmup: number;
  /**
   * Before the first measurement of each shape, plain and fused run forward+backward for at least
   * this long, so that the JIT has compiled the conv kernels before anything is timed.
   */
  readonly jitWarmupMs?: number;
  /** Timed calls per path: at least minReps, more (up to maxReps) while the total stays under budgetMs. */
  readonly minReps: number;
  readonly maxReps: number;
  readonly budgetMs: number;
}

/** A regular k×k conv shape named like `conv3x3 C64 32x32 O64`. */
export function convShape(C: number, H: number, O: number, k = 3): ShapeCase {
  return { name: `conv${k}x${k} C${C} ${H}x${H} O${O}`, kind: k === 1 ? 'pointwise' : 'conv', C, H, W: H, O, k, groups: 1 };
}

/** A depthwise k×k shape (groups = C = O). */
export function depthwiseShape(C: number, H: number, k = 3): ShapeCase {
  return { name: `dw${k}x${k} C${C} ${H}x${H}`, kind: 'depthwise', C, H, W: H, O: C, k, groups: C };
}

/** A 1-D conv shape over length L (x [B, C, L], experts [K, O, C, k]) named like `conv1d k3 C32 L256 O32`. */
export function conv1dShape(C: number, L: number, O: number, k = 3): ShapeCase {
  return { name: `conv1d k${k} C${C} L${L} O${O}`, kind: 'conv1d', C, H: 1, W: L, O, k, groups: 1 };
}

/** A CondLinear shape in → out. */
export function linearShape(inF: number, outF: number): ShapeCase {
  return { name: `linear ${inF}→${outF}`, kind: 'linear', C: inF, H: 1, W: 1, O: outF, k: 1, groups: 1 };
}

/** The full sweep: five shapes (a 1-D one among them), three batches, K up to 16, both modes, every path. */
export const FULL: SweepConfig = {
  preset: 'full',
  shapes: [convShape(64, 32, 64), depthwiseShape(128, 32), convShape(128, 16, 128, 1), conv1dShape(64, 1024, 64), linearShape(1024, 1024)],
  batches: [1, 8, 32],
  Ks: [1, 2, 4, 8, 16],
  modes: MODES,
  paths: ALL_PATHS,
  warmup: 2,
  jitWarmupMs: 1500,
  minReps: 3,
  maxReps: 21,
  budgetMs: 1000,
};

/** The quick sweep (the default of `npm start`): one regular, one depthwise and one 1-D shape at B = 8, under a minute on two cores. */
export const QUICK: SweepConfig = {
  preset: 'quick',
  shapes: [convShape(32, 16, 32), depthwiseShape(64, 16), conv1dShape(32, 256, 32)],
  batches: [8],
  Ks: [1, 2, 4, 8, 16],
  modes: MODES,
  paths: ALL_PATHS,
  warmup: 1,
  jitWarmupMs: 400,
  minReps: 3,
  maxReps: 15,
  budgetMs: 100,
};

/** Whether a path runs for this batch: batch1 is the B = 1 special case only. */
export function pathApplies(path: PathName, batch: number): boolean {
  return path !== 'batch1' || batch === 1;
}

/** Kernel taps of one filter: k for a 1-D shape, k·k otherwise. */
export function taps(s: ShapeCase): number {
  return s.kind === 'conv1d' ? s.k : s.k * s.k;
}

/** Elements of one expert's kernel (= the plain layer's weight). */
export function weightSize(s: ShapeCase): number {
  return s.O * (s.C / s.groups) * taps(s);
}

/** Multiply-accumulates of the plain layer's forward pass over the batch (from the shared conv geometry). */
export function layerMacs(s: ShapeCase, batch: number): number {
  if (s.kind === 'linear') return batch * s.C * s.O;
  if (s.kind === 'conv1d')
    return conv1dGeometry('bench', [batch, s.C, s.W], [s.O, s.C / s.groups, s.k], { padding: Math.floor(s.k / 2), groups: s.groups }).macs;
  const g = conv2dGeometry('bench', [batch, s.C, s.H, s.W], [s.O, s.C / s.groups, s.k, s.k], { padding: Math.floor(s.k / 2), groups: s.groups });
  return g.macs;
}

/**
 * Nominal floating-point work of one call: the same count for every CondConv path, so GFLOP/s
 * compares paths on useful work. Forward: 2·macs for the conv plus 2·B·K·|W| for mixing the
 * kernels (none for plain). Forward+backward: three times that (dx and dW, dα and dexperts).
 */
export function nominalFlops(s: ShapeCase, batch: number, K: number | null, mode: Mode): number {
  const conv = 2 * layerMacs(s, batch);
  const mix = K === null ? 0 : 2 * batch * K * weightSize(s);
  return (mode === 'forward' ? 1 : 3) * (conv + mix);
}

/** Number of measurements (rows) per backend: one per path, mode, shape, batch and K, plain included (it is timed alongside each K). */
export function countMeasurements(cfg: SweepConfig): number {
  let n = 0;
  for (const b of cfg.batches) n += cfg.paths.filter((p) => pathApplies(p, b)).length;
  return n * cfg.shapes.length * cfg.modes.length * cfg.Ks.length;
}
