// Records a module's eval-mode forward pass as a list of ops, twice (batch 2 and 3), and derives which dims scale with the batch.

import { noGrad } from '../../core/engine.js';
import { CondgradError, fmtShape } from '../../core/errors.js';
import { setOpTracer, type OpPlan } from '../../core/op.js';
import { tidy } from '../../core/scope.js';
import { randn } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import type { Module } from '../module.js';
import { sameShape } from '../../core/shape.js';

/** A dim of a traced value: a fixed size, or `b` times the batch size. */
export type Dim = number | { readonly b: number };

/** Where an op's input comes from. */
export type Ref =
  | { readonly kind: 'input' }
  | { readonly kind: 'param'; readonly name: string; readonly tensor: Tensor }
  | { readonly kind: 'op'; readonly index: number }
  | { readonly kind: 'const'; readonly shape: readonly number[]; readonly data: Float64Array };

/** One recorded op of the batch-2 pass, with the symbolic shapes both passes agree on. */
export interface TracedOp {
  readonly index: number;
  readonly name: string;
  readonly inputs: readonly (Ref | null)[];
  /** Symbolic shapes of the inputs (null where an input is null). */
  readonly inShapes: readonly (readonly Dim[] | null)[];
  readonly attrs: unknown;
  readonly plan: OpPlan;
  /** Concrete input shapes of the batch-2 pass. */
  readonly inConcrete: readonly (readonly number[] | null)[];
  readonly shape: readonly Dim[];
  /** The innermost module whose forward ran the op: its path in the model ('' for the root) and class. */
  readonly module: string;
}

export interface Trace {
  readonly ops: readonly TracedOp[];
  readonly input: readonly Dim[];
  readonly output: Ref;
  readonly outputShape: readonly Dim[];
  /** The batch size of the pass whose attributes the ops carry. */
  readonly batch: number;
}

interface Pass {
  ops: {
    module: string;
    name: string;
    inputs: (Ref | null)[];
    inShapes: (readonly number[] | null)[];
    attrs: unknown;
    plan: OpPlan;
    shape: readonly number[];
  }[];
  output: Ref;
  outShape: readonly number[];
}

const copy = (t: Tensor): Float64Array => Float64Array.from(t.dataSync());

/** Wraps each module's forward (on the instance, removed afterwards) so ops know which module ran them. */
function withModuleStack<T>(model: Module, stack: string[], fn: () => T): T {
  const mods = model.namedModules();
  const own = mods.map(([, m]) => Object.getOwnPropertyDescriptor(m, 'forward'));
  for (const [path, m] of mods) {
    // The forward as the instance sees it (own field or prototype method), called with the instance as `this`.
    const inner = Reflect.get(m, 'forward', m) as (...a: unknown[]) => unknown;
    const label = `${path === '' ? '(root)' : `'${path}'`} ${m.constructor.name}`;
    Object.defineProperty(m, 'forward', {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        stack.push(label);
        try {
          return Reflect.apply(inner, m, args);
        } finally {
          stack.pop();
        }
      },
    });
  }
  try {
    return fn();
  } finally {
    for (let i = mods.length - 1; i >= 0; i--) {
      const m = mods[i][1];
      const d = own[i];
      if (d === undefined) delete (m as { forward?: unknown }).forward;
      else Object.defineProperty(m, 'forward', d);
    }
  }
}

function runPass(model: Module, inputShape: readonly number[], batch: number, params: Map<Tensor, string>, like: Tensor | undefined): Pass {
  const stack: string[] = [];
  return tidy(() =>
    withModuleStack(model, stack, () => {
      const x = randn([batch, ...inputShape], { seed: 7 + batch, dtype: like?.dtype, backend: like?.backend });
      const made = new Map<Tensor, number>();
      const ref = (t: Tensor): Ref => {
        if (t === x) return { kind: 'input' };
        const p = params.get(t);
        if (p !== undefined) return { kind: 'param', name: p, tensor: t };
        const i = made.get(t);
        if (i !== undefined) return { kind: 'op', index: i };
        return { kind: 'const', shape: t.shape, data: copy(t) };
      };
      const pass: Pass = { ops: [], output: { kind: 'input' }, outShape: [] };
      const prev = setOpTracer({
        record(name, inputs, attrs, plan, output) {
          pass.ops.push({
            module: stack[stack.length - 1] ?? '(root)',
            name,
            inputs: inputs.map((t) => (t === null ? null : ref(t))),
            inShapes: inputs.map((t) => t?.shape ?? null),
            attrs,
            plan,
            shape: output.shape,
          });
          made.set(output, pass.ops.length - 1);
        },
      });
      let y: unknown;
      try {
        y = noGrad(() => model.forward(x));
      } finally {
        setOpTracer(prev);
      }
      if (y === null || typeof y !== 'object' || !('__isTensor' in y))
        throw new CondgradError('exportOnnx', `the model's forward must return one Tensor, got ${typeof y}`);
      const out = y as Tensor;
      pass.output = ref(out);
      pass.outShape = out.shape;
      if (pass.output.kind !== 'op')
        throw new CondgradError(
          'exportOnnx',
          `the model's forward returns its ${pass.output.kind} ${fmtShape(out.shape)} unchanged; there is nothing to export`,
        );
      return pass;
    }),
  );
}

/** Symbolic dims from the same value's shape at batch 2 (a) and batch 3 (b). */
function symbolic(what: string, a: readonly number[], b: readonly number[]): Dim[] {
  if (a.length !== b.length) throw new CondgradError('exportOnnx', `${what} has rank ${a.length} at batch 2 but ${b.length} at batch 3`);
  return a.map((d, i) => {
    if (d === b[i]) return d;
    const c = b[i] - d;
    if (c > 0 && d === 2 * c) return { b: c };
    throw new CondgradError('exportOnnx', `${what} dim ${i} is ${d} at batch 2 and ${b[i]} at batch 3: not a multiple of the batch`);
  });
}

function sameRef(a: Ref | null, b: Ref | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'op') return a.index === (b as typeof a).index;
  if (a.kind === 'param') return a.name === (b as typeof a).name;
  if (a.kind === 'const') {
    const c = b as typeof a;
    return sameShape(a.shape, c.shape) && a.data.every((v, i) => Object.is(v, c.data[i]));
  }
  return true;
}

/**
 * Traces `model.forward` in eval mode (restoring each module's mode afterwards) on random
 * inputs [2, ...inputShape] and [3, ...inputShape], checks both passes ran the same ops on the
 * same parameters and constants, and returns the batch-2 pass with symbolic shapes.
 */
export function traceModel(model: Module, inputShape: readonly number[]): Trace {
  const params = new Map<Tensor, string>();
  for (const [n, t] of [...model.namedParameters(), ...model.namedBuffers()]) if (!params.has(t)) params.set(t, n);
  const like = params.keys().next().value;
  const modes = model.modules().map((m) => [m, m.training] as const);
  model.eval();
  let a: Pass;
  let b: Pass;
  try {
    a = runPass(model, inputShape, 2, params, like);
    b = runPass(model, inputShape, 3, params, like);
  } finally {
    for (const [m, t] of modes) m.training = t;
  }
  if (a.ops.length !== b.ops.length || a.ops.some((o, i) => o.name !== b.ops[i].name)) {
    const i = a.ops.findIndex((o, j) => o.name !== b.ops[j]?.name);
    throw new CondgradError(
      'exportOnnx',
      `the forward pass runs different ops at batch 2 and batch 3 (op ${i}: ${a.ops[i]?.name ?? 'none'} vs ${b.ops[i]?.name ?? 'none'}); export needs a forward that does not branch on the batch size`,
    );
  }
  const ops = a.ops.map((o, i): TracedOp => {
    const ob = b.ops[i];
    o.inputs.forEach((r, j) => {
      if (!sameRef(r, ob.inputs[j])) {
        const why =
          r?.kind === 'const' ? `a tensor not made by an op, a parameter or a buffer ${fmtShape(r.shape)} that differs between passes` : 'different tensors';
        throw new CondgradError('exportOnnx', `input ${j} of op ${i} (${o.name}) is ${why}; register it as a parameter or buffer, or compute it with ops`);
      }
    });
    const what = `op ${i} (${o.name})`;
    return {
      index: i,
      name: o.name,
      module: o.module,
      inputs: o.inputs,
      attrs: o.attrs,
      plan: o.plan,
      inConcrete: o.inShapes,
      inShapes: o.inShapes.map((s, j) => (s === null ? null : symbolic(`${what} input ${j}`, s, ob.inShapes[j]!))),
      shape: symbolic(`${what} output`, o.shape, ob.shape),
    };
  });
  return {
    ops,
    batch: 2,
    output: a.output,
    input: [{ b: 1 }, ...inputShape],
    outputShape: symbolic('the output', a.outShape, b.outShape),
  };
}
