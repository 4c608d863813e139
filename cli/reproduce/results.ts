// The reproduction's results file (results.json): its shape, the machine it ran on, and the file names the report writes.

import { arch, cpus, platform, release } from 'node:os';
import type { Claim } from './claims.js';
import type { Settings } from './plan.js';
import type { VariantSummary } from './stats.js';
import type { LatencyResult, RunResult } from './worker.js';

export const RESULTS_FORMAT = 'condgrad-reproduction';
export const RESULTS_VERSION = 1;

/** The files written into the output directory (besides runs/). */
export const FILES = {
  results: 'results.json',
  report: 'REPORT.md',
  accuracyMacs: 'accuracy-vs-macs.svg',
  accuracyExperts: 'accuracy-vs-experts.svg',
  routing: 'routing-per-class.svg',
  /** Hand-written findings on expert dropout (cli/reproduce/expert_dropout.ts), shown in the report when present. */
  expertDropout: 'expert-dropout.md',
} as const;

export interface Machine {
  cpuModel: string;
  cores: number;
  node: string;
  os: string;
}

export function machine(): Machine {
  const cs = cpus();
  return { cpuModel: cs[0]?.model.trim() ?? 'unknown', cores: cs.length, node: process.version, os: `${platform()} ${release()} ${arch()}` };
}

/** Everything results.json holds. */
export interface Results {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  preset: Settings['preset'];
  createdAt: string;
  machine: Machine;
  /** Parallel child processes, and wasm threads in each. */
  jobs: number;
  threadsPerRun: number;
  /** Wall time of the whole command, and how many runs came from an earlier invocation's files. */
  wallSeconds: number;
  reusedRuns: number;
  settings: Settings;
  /** The MAC-matched wider baseline: its width and MACs against the CondConv target (null when not in the plan). */
  wide: { width: number; macs: number; targetVariant: string; targetMacs: number } | null;
  variants: VariantSummary[];
  claims: Claim[];
  /** The run whose routing the heatmap shows and the two routers drawn (null without a CondConv run with ≥ 2 block routers). */
  routingPlot: { run: string; early: string; late: string } | null;
  latency: LatencyResult | null;
  runs: RunResult[];
  failed: { id: string; error: string }[];
}
