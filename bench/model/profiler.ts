// A training-step profiler: self time per op (forward kernels and backward closures) through core/op's profiler hook, grouped into op kinds.

import type { OpProfiler } from '../../core/op.js';
import { median } from '../report/timing.js';

/** The op kinds a step's time is reported in (plus 'allocation/other', the step time outside every op). */
export const OP_KINDS = [
  'conv (plain)',
  'conv (per-sample, CondConv)',
  'mixing (mixExperts)',
  'routers',
  'BatchNorm',
  'elementwise',
  'reductions',
  'pooling',
  'matmul (linear layers)',
  'layout (reshape, permute, pad, ...)',
  'loss',
  'optimizer (Adam)',
  'other ops',
] as const;
export type OpKind = (typeof OP_KINDS)[number] | 'allocation/other';

const CONV_PLAIN = new Set(['conv2d', 'depthwiseConv2d', 'conv1d', 'depthwiseConv1d']);
const CONV_PER_SAMPLE = new Set(['conv2dPerSample', 'conv1dPerSample']);
const ELEMENTWISE = new Set([
  'binary',
  'unary',
  'add',
  'sub',
  'mul',
  'div',
  'abs',
  'affine',
  'clamp',
  'exp',
  'log',
  'neg',
  'powScalar',
  'relu',
  'relu6',
  'sigmoid',
  'sign',
  'silu',
  'sqrt',
  'square',
  'tanh',
  'cast',
  'maximum',
  'minimum',
]);
const REDUCTIONS = new Set(['reduce', 'sum', 'mean', 'max', 'min', 'expand']);
const POOLING = new Set(['maxPool2d', 'avgPool2d', 'maxPool1d', 'avgPool1d']);
const LAYOUT = new Set(['reshape', 'permute', 'slice', 'pad', 'concat']);

/** Regions whose ops count under the region's kind whatever the op (a router's matmuls count as 'routers'). */
const REGION_KIND: Record<string, OpKind> = { router: 'routers', batchnorm: 'BatchNorm', loss: 'loss', optimizer: 'optimizer (Adam)' };

/** The kind of op `name` run inside `region` (the innermost labelled module or step part, or null). */
export function opKind(name: string, region: string | null): OpKind {
  if (region !== null && REGION_KIND[region] !== undefined) return REGION_KIND[region];
  if (CONV_PLAIN.has(name)) return 'conv (plain)';
  if (CONV_PER_SAMPLE.has(name)) return 'conv (per-sample, CondConv)';
  if (name === 'mixExperts') return 'mixing (mixExperts)';
  if (name === 'matmul') return 'matmul (linear layers)';
  if (ELEMENTWISE.has(name)) return 'elementwise';
  if (REDUCTIONS.has(name)) return 'reductions';
  if (POOLING.has(name)) return 'pooling';
  if (LAYOUT.has(name)) return 'layout (reshape, permute, pad, ...)';
  return 'other ops';
}

/** Milliseconds and calls of one (kind, op, phase) key. */
export interface ProfileEntry {
  kind: OpKind;
  op: string;
  phase: 'forward' | 'backward';
  ms: number;
  calls: number;
}

/**
 * Times ops by self time (a backward closure that runs other ops is charged only for what its
 * nested ops do not take), each under the region open when the op ran, or, for a backward
 * closure, when its tape node was made. `now` is injectable for tests.
 */
export class StepProfiler implements OpProfiler {
  private readonly regions: string[] = [];
  /** Child time of each open frame. */
  private readonly frames: number[] = [];
  private readonly entries = new Map<string, ProfileEntry>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Runs `fn` with `name` as the innermost region. */
  region<T>(name: string, fn: () => T): T {
    this.regions.push(name);
    try {
      return fn();
    } finally {
      this.regions.pop();
    }
  }

  forward<T>(name: string, fn: () => T): T {
    return this.timed(name, 'forward', this.current(), fn);
  }

  backward<D, G>(name: string, fn: (dy: D) => G): (dy: D) => G {
    const region = this.current();
    return (dy) => this.timed(name, 'backward', region, () => this.region(region ?? '', () => fn(dy)));
  }

  /** Self milliseconds per (kind, op, phase) so far. */
  result(): ProfileEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  reset(): void {
    this.entries.clear();
  }

  private current(): string | null {
    for (let i = this.regions.length - 1; i >= 0; i--) if (this.regions[i] !== '') return this.regions[i];
    return null;
  }

  private timed<T>(name: string, phase: 'forward' | 'backward', region: string | null, fn: () => T): T {
    this.frames.push(0);
    const t0 = this.now();
    try {
      return fn();
    } finally {
      const total = this.now() - t0;
      const child = this.frames.pop()!;
      if (this.frames.length > 0) this.frames[this.frames.length - 1] += total;
      const kind = opKind(name, region);
      const key = `${kind}\u0000${name}\u0000${phase}`;
      const e = this.entries.get(key) ?? { kind, op: name, phase, ms: 0, calls: 0 };
      e.ms += total - child;
      e.calls++;
      this.entries.set(key, e);
    }
  }
}

/** One row of the per-kind table: milliseconds per step and share of the step's wall time. */
export interface KindShare {
  kind: OpKind;
  msPerStep: number;
  share: number;
}

/** Sums entries by kind over `steps` steps of total wall time `wallMs`; the rest of the wall time is 'allocation/other'. Sorted by time, largest first. */
export function kindShares(entries: readonly ProfileEntry[], wallMs: number, steps: number): KindShare[] {
  const byKind = new Map<OpKind, number>();
  let inOps = 0;
  for (const e of entries) {
    byKind.set(e.kind, (byKind.get(e.kind) ?? 0) + e.ms);
    inOps += e.ms;
  }
  byKind.set('allocation/other', Math.max(0, wallMs - inOps));
  return [...byKind.entries()]
    .map(([kind, ms]) => ({ kind, msPerStep: ms / steps, share: wallMs > 0 ? ms / wallMs : 0 }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
}

/** Per kind, the median over steps of its ms (a kind missing from a step counts 0 there) and of its share; sorted by time, largest first. */
export function medianShares(perStep: readonly (readonly KindShare[])[]): KindShare[] {
  const kinds = [...new Set(perStep.flatMap((s) => s.map((k) => k.kind)))];
  const at = (s: readonly KindShare[], kind: OpKind): KindShare | undefined => s.find((k) => k.kind === kind);
  return kinds
    .map((kind) => ({
      kind,
      msPerStep: median(perStep.map((s) => at(s, kind)?.msPerStep ?? 0)),
      share: median(perStep.map((s) => at(s, kind)?.share ?? 0)),
    }))
    .sort((a, b) => b.msPerStep - a.msPerStep);
}
