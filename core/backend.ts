// The typed backend interface: every op reaches its kernels through these methods, on every backend.

// core/ names the kernels' argument types (kernels/geometry, kernels/elementwise: plain data and index
// math) but never imports a backend implementation; backends register themselves with core/engine.

import type { DType, FloatArray } from './dtype.js';
import type { BinaryGeometry } from '../kernels/geometry/broadcast.js';
import type { Conv2dGeometry } from '../kernels/geometry/conv.js';
import type { BatchNormGeometry } from '../kernels/geometry/norm.js';
import type { MatmulGeometry } from '../kernels/geometry/matmul.js';
import type { ConcatGeometry, PadGeometry } from '../kernels/geometry/movement.js';
import type { Pool2dGeometry } from '../kernels/geometry/pool.js';
import type { ReduceGeometry } from '../kernels/geometry/reduce.js';
import type { StridedView } from '../kernels/geometry/strided.js';
import type { BinaryOp, ReduceOp, UnaryOp } from '../kernels/elementwise.js';

export type BackendName = 'cpu' | 'wasm' | 'gpu';

/** A backend's handle to a flat, contiguous buffer of `size` elements of `dtype`. */
export interface Storage {
  readonly dtype: DType;
  readonly size: number;
}

/** Allocation counters, for memory tests and benches. `live*` is null where the backend cannot know (GC-managed). */
export interface MemoryStats {
  allocations: number;
  bytesAllocated: number;
  liveBuffers: number | null;
  liveBytes: number | null;
}

/** One Adam/AdamW step's scalars (PyTorch's update at step t >= 1; nn/optim/adam.ts spells it out). */
export interface AdamStepHyper {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** AdamW (decay p ← p·(1 − lr·wd)) rather than Adam (g ← g + wd·p). */
  readonly decoupled: boolean;
  readonly step: number;
}

/**
 * A compute backend. Kernels are pure: they read their input storages and return a new storage
 * (in the inputs' dtype unless stated), never mutating an input. Geometry objects are computed
 * once in kernels/geometry and are the only index math a kernel needs.
 *
 * A backend that lacks a kernel for a dtype throws a `CondgradError` naming the kernel; it never
 * silently falls back to another device.
 */
export interface Backend<S extends Storage = Storage> {
  readonly name: BackendName;
  /** The dtypes this backend stores. */
  readonly dtypes: readonly DType[];

  // ---- memory ----
  /** Copies host data into a new storage. */
  fromArray(data: FloatArray): S;
  zeros(dtype: DType, size: number): S;
  /** Copies the storage back to the host. */
  read(s: S): Promise<FloatArray>;
  /** Synchronous read-back; throws on backends that can only read asynchronously. */
  readSync(s: S): FloatArray;
  /** Frees the storage now (GC-managed backends may make this a no-op). Idempotent. */
  dispose(s: S): void;
  memory(): MemoryStats;
  /**
   * Releases what the backend holds (worker threads, a GPU device) so the process can exit; its
   * storages are invalid afterwards. Backends that hold nothing resolve at once. Idempotent.
   */
  destroy(): Promise<void>;

  // ---- elementwise and reductions ----
  cast(x: S, dtype: DType): S;
  unary(x: S, op: UnaryOp): S;
  /** dx = dy * f'(x) with y = f(x) given, for the same op. */
  unaryBackward(x: S, y: S, dy: S, op: UnaryOp): S;
  binary(a: S, b: S, op: BinaryOp, g: BinaryGeometry): S;
  /** Output has g.outSize elements (the kept dims, in order). */
  reduce(x: S, op: ReduceOp, g: ReduceGeometry): S;

  // ---- movement ----
  /** Materialises a strided view of x as a contiguous storage of the view's size. */
  gather(x: S, view: StridedView): S;
  pad(x: S, g: PadGeometry): S;
  concat(xs: readonly S[], g: ConcatGeometry): S;

  // ---- linear algebra ----
  matmul(a: S, b: S, g: MatmulGeometry): S;

  // ---- convolution (plain, grouped, depthwise, and per-sample weights) ----
  /** y: [B, outC, outH, outW]. w: [outC, inCPerGroup, kH, kW], or [B, ...] when g.perSampleWeights. */
  conv2d(x: S, w: S, g: Conv2dGeometry): S;
  /** dx: [B, inC, inH, inW]. */
  conv2dBackwardInput(dy: S, w: S, g: Conv2dGeometry): S;
  /** dw: [outC, inCPerGroup, kH, kW] summed over the batch, or [B, ...] per sample when g.perSampleWeights. */
  conv2dBackwardFilter(x: S, dy: S, g: Conv2dGeometry): S;

  // ---- pooling ----
  maxPool2d(x: S, g: Pool2dGeometry): S;
  /** Routes dy to the first maximum of each window (recomputed from x). */
  maxPool2dBackward(x: S, dy: S, g: Pool2dGeometry): S;
  avgPool2d(x: S, g: Pool2dGeometry): S;
  avgPool2dBackward(dy: S, g: Pool2dGeometry): S;

  // ---- optimizer (optional: without it, Adam runs as elementwise ops) ----
  /** One fused Adam/AdamW step of parameter p with gradient g and moments m, v (all one dtype and size): the new [p, m, v]. */
  adamStep?(p: S, g: S, m: S, v: S, h: AdamStepHyper): [S, S, S];

  // ---- batch normalisation in training (optional: ops/norm.ts composes other ops where a backend lacks them) ----
  /**
   * Per-channel statistics of x [B, C, H, W] over (B, H, W), accumulated in float64: stats
   * [3, C] = mean, biased variance, invstd = 1/√(variance + eps).
   */
  batchNormStats?(x: S, g: BatchNormGeometry, eps: number): S;
  /** y = (x − mean)·invstd·weight + bias per channel: [B, C, H, W]; stats [3, C] from batchNormStats; weight, bias [C] (null: 1, 0). */
  batchNormForward?(x: S, stats: S, weight: S | null, bias: S | null, g: BatchNormGeometry): S;
  /**
   * With x̂ = (x − mean)·invstd and n = B·H·W: dBias = Σ dy and dWeight = Σ dy·x̂ ([C], float64
   * sums), and, when wantDx, dx = weight·invstd·(dy − dBias/n − x̂·dWeight/n) [B, C, H, W].
   */
  batchNormBackward?(x: S, dy: S, stats: S, weight: S | null, g: BatchNormGeometry, wantDx: boolean): { dx: S | null; dWeight: S; dBias: S };
}

/** Any backend, with its storage type erased: what tensors and ops hold. */
export type AnyBackend = Backend<Storage>;

/** What initBackend passes a backend factory (only the wasm backend reads `threads`, already checked). */
export interface BackendStartOptions {
  readonly threads?: number;
}

/** Starts a backend that needs asynchronous set-up; registered with core/engine by the module that provides it. */
export type BackendFactory = (opts: BackendStartOptions) => Promise<AnyBackend>;
