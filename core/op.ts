// The op abstraction: one typed object per op (plan = validate + output shape, forward, backward) and the runner that records it on the tape.

import { CondgradError, fmtShape } from './errors.js';
import type { AnyBackend, Storage } from './backend.js';
import { isGradEnabled } from './engine.js';
import { checkAllocation } from './limits.js';
import { Tensor } from './tensor.js';

/** What an op's plan must provide: the output shape (plus whatever forward/backward need). */
export interface OpPlan {
  readonly shape: readonly number[];
}

export interface OpContext<A, P extends OpPlan> {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly attrs: A;
  readonly plan: P;
}

/**
 * One op. `plan` validates inputs and attributes (throwing a CondgradError that names the op, the
 * argument and the shapes) and returns the output shape plus any geometry. `forward` runs kernels
 * on the inputs' backend. `backward` returns one gradient per input (null where none flows); ops
 * without it are not differentiable.
 *
 * Gradients are first-order. Backward is written with other ops where that is natural (reshape,
 * arithmetic, reductions) and directly with backend kernels where a fused kernel exists (conv
 * input and filter gradients, max and average pooling, the unary ops' derivative, the expert
 * mixing), and the whole backward pass runs with recording off, so no gradient is itself on the
 * tape. To keep that from silently giving a wrong second derivative, a `.grad` tensor may not
 * enter a recorded op (runOp throws a CondgradError) and cannot be backpropagated;
 * `.grad.detach()` is a plain constant.
 */
export interface Op<A, P extends OpPlan> {
  readonly name: string;
  plan(inputs: readonly Tensor[], attrs: A): P;
  forward(backend: AnyBackend, inputs: readonly Storage[], plan: P, attrs: A): Storage;
  backward?(dy: Tensor, ctx: OpContext<A, P>): readonly (Tensor | null)[];
  /**
   * Whose data backward reads (default true: every input and the output). Ops whose backward
   * needs only dy and shapes (add, reshape, sum, ...) say false, and an op that reads some of
   * them names those (`inputs` by index, and whether the output), so that an in-place write to a
   * tensor backward does not read, between forward and backward, is not reported as an error.
   */
  savesData?(attrs: A): boolean | SavedData;
}

/** The tensors an op's backward reads: inputs by index, and whether the output. */
export interface SavedData {
  readonly inputs: readonly number[];
  readonly output: boolean;
}

/** The tensors whose versions a tape node checks before its backward runs (see Op.savesData). */
function savedTensors<A>(op: Op<A, OpPlan>, inputs: readonly Tensor[], out: Tensor, attrs: A): Tensor[] {
  const s = op.savesData === undefined ? true : op.savesData(attrs);
  if (s === true) return [...inputs, out];
  if (s === false) return [];
  const kept = s.inputs.filter((i) => i < inputs.length).map((i) => inputs[i]);
  return s.output ? [...kept, out] : kept;
}

/** Checks that every input is a live tensor, all on one backend, all of one dtype. */
export function checkInputs(op: string, inputs: readonly unknown[], names?: readonly string[]): readonly Tensor[] {
  const ts = inputs as Tensor[];
  ts.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new CondgradError(op, `${names?.[i] ?? `input ${i}`} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    }
    if (t.isDisposed) throw new CondgradError(op, `${names?.[i] ?? `input ${i}`} ${fmtShape(t.shape)} was disposed`);
  });
  for (let i = 1; i < ts.length; i++) {
    const name = (j: number): string => names?.[j] ?? `input ${j}`;
    if (ts[i].backend !== ts[0].backend) {
      throw new CondgradError(
        op,
        `${name(0)} ${fmtShape(ts[0].shape)} is on the '${ts[0].backend.name}' backend but ${name(i)} ${fmtShape(ts[i].shape)} is on '${ts[i].backend.name}'; move one with .to()`,
      );
    }
    if (ts[i].dtype !== ts[0].dtype) {
      throw new CondgradError(
        op,
        `${name(0)} ${fmtShape(ts[0].shape)} is ${ts[0].dtype} but ${name(i)} ${fmtShape(ts[i].shape)} is ${ts[i].dtype}; cast one explicitly`,
      );
    }
  }
  return ts;
}

/** Sees every op run while installed with setOpTracer (ONNX export records a forward pass this way). */
export interface OpTracer {
  record(name: string, inputs: readonly (Tensor | null)[], attrs: unknown, plan: OpPlan, output: Tensor): void;
}

let tracer: OpTracer | null = null;

/** Installs (or, with null, removes) the op tracer; returns the previous one. */
export function setOpTracer(t: OpTracer | null): OpTracer | null {
  const prev = tracer;
  tracer = t;
  return prev;
}

/** Whether an op tracer is installed (a fused op then runs as the ops the tracer knows). */
export function isTracing(): boolean {
  return tracer !== null;
}

/**
 * Wraps every op's forward kernels and backward closure while installed with setOpProfiler
 * (bench/model_profile.ts times a training step by op this way). With none installed, runOp pays
 * one null check per op.
 */
export interface OpProfiler {
  /** Runs `fn` (op `name`'s forward kernels) and returns its result. */
  forward<T>(name: string, fn: () => T): T;
  /** Returns the backward closure to record for op `name` (called when the tape node is made). */
  backward<D, G>(name: string, fn: (dy: D) => G): (dy: D) => G;
}

let profiler: OpProfiler | null = null;

/** Installs (or, with null, removes) the op profiler; returns the previous one. */
export function setOpProfiler(p: OpProfiler | null): OpProfiler | null {
  const prev = profiler;
  profiler = p;
  return prev;
}

/** Runs `fn`, a kernel called outside runOp (the optimizers' fused steps), as op `name` for an installed profiler. */
export function profiledKernel<T>(name: string, fn: () => T): T {
  return profiler === null ? fn() : profiler.forward(name, fn);
}

/**
 * Runs `fn` as one composite op: while a tracer is installed it is recorded once under `name`
 * (with `inputs` and `attrs`) and the ops inside it are not; `fn` learns whether it is traced.
 */
export function traceComposite(name: string, inputs: readonly (Tensor | null)[], attrs: unknown, fn: (tracing: boolean) => Tensor): Tensor {
  const t = tracer;
  if (t === null) return fn(false);
  tracer = null;
  let out: Tensor;
  try {
    out = fn(true);
  } finally {
    tracer = t;
  }
  t.record(name, inputs, attrs, { shape: out.shape }, out);
  return out;
}

/** Gradients are first-order (see Op): a `.grad` in a recorded op would be differentiated as a constant. */
function checkFirstOrder(op: string, inputs: readonly Tensor[]): void {
  inputs.forEach((t, i) => {
    if (t.isGradOfOuter()) {
      throw new CondgradError(
        op,
        `input ${i} ${fmtShape(t.shape)} is the .grad of another tensor; gradients are first-order (the backward pass is not recorded), so an op on it cannot be differentiated. Use .grad.detach() to treat it as a constant, or run the op under noGrad`,
      );
    }
  });
}

/** Runs an op: validates, plans, computes on the inputs' backend and records the tape node. */
export function runOp<A, P extends OpPlan>(op: Op<A, P>, inputs: readonly Tensor[], attrs: A, names?: readonly string[]): Tensor {
  if (inputs.length === 0) throw new CondgradError(op.name, 'needs at least one tensor input');
  checkInputs(op.name, inputs, names);
  return runCheckedOp(op, inputs, attrs, names);
}

/**
 * runOp for inputs a composite op has already put through checkInputs (live tensors, one backend,
 * one dtype), so a fused call validates them once: plans, computes and records the tape node.
 */
export function runCheckedOp<A, P extends OpPlan>(op: Op<A, P>, inputs: readonly Tensor[], attrs: A, names?: readonly string[]): Tensor {
  const record = isGradEnabled() && op.backward !== undefined && inputs.some((t) => t.requiresGrad);
  if (record) checkFirstOrder(op.name, inputs);
  const plan = op.plan(inputs, attrs);
  checkAllocation(op.name, plan.shape, inputs[0].dtype, () =>
    inputs.length > 4 ? `${inputs.length} inputs` : inputs.map((t, i) => `${names?.[i] ?? `input ${i}`} ${fmtShape(t.shape)}`).join(', '),
  );
  const backend = inputs[0].backend;
  const prof = profiler;
  const storage =
    prof === null
      ? op.forward(
          backend,
          inputs.map((t) => t.storage),
          plan,
          attrs,
        )
      : prof.forward(op.name, () =>
          op.forward(
            backend,
            inputs.map((t) => t.storage),
            plan,
            attrs,
          ),
        );
  const out = new Tensor(storage, plan.shape, backend, record);
  tracer?.record(op.name, inputs, attrs, plan, out);
  if (record) {
    const backward = op.backward!.bind(op);
    const saved = savedTensors(op, inputs, out, attrs);
    const run = (dy: Tensor): readonly (Tensor | null)[] => backward(dy, { inputs, output: out, attrs, plan });
    out.node = {
      opName: op.name,
      inputs,
      backward: prof === null ? run : prof.backward(op.name, run),
      saved,
      savedVersions: saved.map((t) => t.version),
    };
  }
  return out;
}
