// The benchmark's result model: one row per measured (backend, shape, batch, K, mode, path), and the report that holds them.

import type { WasmSimd } from '../../core/wasm_simd.js';
import type { Mode, OpPath, PathName, ShapeKind, SweepConfig } from './sweep.js';

/** One measurement. Times are in milliseconds; null where the path failed (see `error`). */
export interface BenchRow {
  backend: string;
  shape: string;
  kind: ShapeKind;
  batch: number;
  /** Number of experts. The plain reference has none: its rows carry the K of the paths it was timed alongside. */
  K: number | null;
  mode: Mode;
  path: PathName;
  /** Median of `times`. */
  ms: number | null;
  /** Every timed call, in order. */
  times: number[];
  /** Nominal useful work of one call (see nominalFlops). */
  flops: number;
  gflops: number | null;
  /** ms / (plain ms on the same backend, shape, batch, K and mode, timed in the same interleaved rounds). */
  ratio: number | null;
  /** backend.memory().bytesAllocated delta over one call: every byte the call allocated (cumulative, not the peak), outputs included. */
  allocBytes: number | null;
  /** allocBytes minus the bytes of what the call returns (y, or the input gradients): the op's scratch. */
  scratchBytes: number | null;
  /** Process RSS after the call minus before it (after a GC). Noisy; the allocator may reuse pages. */
  rssDeltaBytes: number | null;
  /** For path `auto`: the path the planner chose. */
  autoChoice?: OpPath;
  /** For path `auto`: the planner's cost estimate per candidate path, as it reports them. */
  autoCosts?: Record<string, number>;
  error?: string;
  /** The error's class name: 'CondgradError' for a limit or bad input the library reports, anything else is a bug. */
  errorType?: string;
}

/** A backend the run tried: available with its description, or not with the reason. */
export interface BackendStatus {
  name: string;
  available: boolean;
  /** Adapter, threads, or whatever the backend reports about itself. */
  info?: Record<string, unknown>;
  reason?: string;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  node: string;
  os: string;
  /** The wasm kernel build a backend started without a simd option runs here ('relaxed' or 'simd128'; see core/wasm_simd.ts). */
  wasmSimd?: WasmSimd;
}

/** Everything one run of the bench wrote: the JSON file's content. */
export interface BenchReport {
  version: 1;
  startedAt: string;
  wallSeconds: number;
  machine: MachineInfo;
  packages: Record<string, string>;
  backends: BackendStatus[];
  config: SweepConfig;
  /** How times were taken (warm-up, median, what a gpu call waits for). */
  method: string;
  rows: BenchRow[];
}
