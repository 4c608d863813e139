// The state of one export: traced values → ONNX value names, parameters as initializers, and batch-symbolic shape tensors.

import { CondgradError } from '../../core/errors.js';
import { Graph } from './graph.js';
import type { Dim, Ref, Trace, TracedOp } from './trace.js';

/** How the per-sample convolution of CondConv is written in ONNX (see nn/onnx/cond.ts). */
export type CondConvFormulation = 'scan' | 'loop' | 'unfold' | 'moe';
export const COND_CONV_FORMULATIONS: readonly CondConvFormulation[] = ['scan', 'loop', 'unfold', 'moe'];

export const INPUT = 'input';
export const OUTPUT = 'output';

export const isBatch = (d: Dim): d is Exclude<Dim, number> => typeof d !== 'number';

export class Emitter {
  readonly g = new Graph('condgrad');
  private readonly values = new Map<number, string>();
  private readonly params = new Map<string, string>();
  private batchName: string | null = null;

  constructor(
    readonly trace: Trace,
    readonly condConv: CondConvFormulation,
  ) {}

  /** The ONNX value holding a traced tensor (parameters become named initializers on first use). */
  value(r: Ref | null): string {
    if (r === null) throw new CondgradError('exportOnnx', 'internal: a required input is missing');
    switch (r.kind) {
      case 'input':
        return INPUT;
      case 'op': {
        const v = this.values.get(r.index);
        if (v === undefined) throw new CondgradError('exportOnnx', `internal: op ${r.index} has not been emitted`);
        return v;
      }
      case 'param': {
        let v = this.params.get(r.name);
        if (v === undefined) {
          v = this.g.floats(r.tensor.dataSync(), r.tensor.shape, r.name);
          this.params.set(r.name, v);
        }
        return v;
      }
      case 'const':
        return this.g.floats(r.data, r.shape);
    }
  }

  /** The host data of a parameter or constant (null for values computed in the graph). */
  data(r: Ref | null): ArrayLike<number> | null {
    if (r === null) return null;
    if (r.kind === 'param') return r.tensor.dataSync();
    if (r.kind === 'const') return r.data;
    return null;
  }

  set(op: TracedOp, name: string): void {
    this.values.set(op.index, name);
  }

  /** The batch size as an int64 [1] tensor, read from the graph input's shape. */
  batch(): string {
    if (this.batchName === null) this.batchName = this.g.node('Shape', [INPUT], { start: { i: 0 }, end: { i: 1 } });
    return this.batchName;
  }

  /**
   * An int64 shape tensor for `dims`: a constant where no dim depends on the batch, or where
   * one does and `minusOne` lets Reshape infer it (-1); otherwise computed from the batch size.
   */
  shape(dims: readonly Dim[], minusOne = true): string {
    const sym = dims.filter(isBatch);
    if (sym.length === 0) return this.g.ints(dims as number[]);
    if (sym.length === 1 && minusOne) return this.g.ints(dims.map((d) => (isBatch(d) ? -1 : d)));
    const parts = dims.map((d) => {
      if (!isBatch(d)) return this.g.ints([d]);
      return d.b === 1 ? this.batch() : this.g.node('Mul', [this.batch(), this.g.ints([d.b])]);
    });
    return this.g.node('Concat', parts, { axis: { i: 0 } });
  }

  /** Reshape of `v` to `dims` (batch-symbolic). */
  reshape(v: string, dims: readonly Dim[]): string {
    return this.g.node('Reshape', [v, this.shape(dims)]);
  }
}

/** Fixed dims of a symbolic shape; throws (naming `what`) where one depends on the batch. */
export function fixed(what: string, dims: readonly Dim[] | null): number[] {
  if (dims === null) throw new CondgradError('exportOnnx', `internal: ${what} is missing`);
  return dims.map((d, i) => {
    if (isBatch(d)) throw new CondgradError('exportOnnx', `${what} dim ${i} depends on the batch size; only the batch dim of activations may`);
    return d;
  });
}
