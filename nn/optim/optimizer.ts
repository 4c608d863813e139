// The optimizer base: parameter list, per-parameter state tensors kept on the parameters' backend, zeroGrad, and state dicts.

import { CondgradError, fmtShape, describeValue } from '../../core/errors.js';
import { noGrad } from '../../core/engine.js';
import { keep, tidy } from '../../core/scope.js';
import { Tensor } from '../../core/tensor.js';
import { zeros } from '../../core/creation.js';
import { sameShape } from '../../core/shape.js';

/** Hyperparameters as plain JSON values. */
export type Hyper = Record<string, number | boolean | number[]>;

/**
 * An optimizer's resumable state. `meta` is plain JSON (kind, hyperparameters, per-parameter step
 * counts); `tensors` holds the state buffers keyed `<paramIndex>.<name>` (e.g. `3.exp_avg`).
 */
export interface OptimizerState {
  meta: { kind: string; lr: number; hyper: Hyper; steps: number[] };
  tensors: Record<string, Tensor>;
}

/** Checks a non-negative finite hyperparameter. */
export function checkHyper(op: string, name: string, v: unknown, lo = 0, hi = Infinity, openHi = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi || (openHi && v === hi)) {
    throw new CondgradError(op, `${name} must be a finite number in [${lo}, ${hi}${openHi ? ')' : ']'}, got ${String(v)}`);
  }
  return v;
}

/**
 * Base class. Subclasses implement `update(p, grad, state, step)` with ops (run under noGrad and
 * tidy by `step()`) and return the new parameter value; buffers in `state` are replaced in place
 * with `Tensor.assign`, so everything stays on the parameters' backend (no host round-trips).
 */
export abstract class Optimizer {
  readonly params: readonly Tensor[];
  /** The current learning rate; schedules overwrite it before each step. */
  lr: number;
  /** Per-parameter step counts (PyTorch keeps them per parameter: a parameter without a grad is skipped). */
  protected steps: number[];
  protected state: Map<string, Tensor>[];
  abstract readonly kind: string;

  constructor(op: string, params: Iterable<Tensor>, lr: number) {
    if (params === null || typeof params !== 'object' || typeof (params as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw new CondgradError(op, `params must be an iterable of tensors (model.parameters()), got ${describeValue(params)}`);
    }
    const ps = [...params];
    if (ps.length === 0) throw new CondgradError(op, 'params is empty: pass model.parameters()');
    const seen = new Set<Tensor>();
    ps.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new CondgradError(op, `params[${i}] must be a Tensor, got ${typeof p}`);
      if (seen.has(p)) throw new CondgradError(op, `params[${i}] ${fmtShape(p.shape)} appears twice`);
      if (p.node !== null) {
        throw new CondgradError(
          op,
          `params[${i}] ${fmtShape(p.shape)} is not a leaf (it was computed by '${p.node.opName}'): an optimizer updates leaf tensors; pass model.parameters() or a detach()ed copy`,
        );
      }
      if (p.isDisposed) throw new CondgradError(op, `params[${i}] ${fmtShape(p.shape)} was disposed`);
      seen.add(p);
    });
    this.params = ps;
    this.lr = checkHyper(op, 'lr', lr);
    this.steps = ps.map(() => 0);
    this.state = ps.map(() => new Map<string, Tensor>());
  }

  /** Hyperparameters other than lr, for stateDict. */
  protected abstract hyper(): Hyper;

  /** One parameter's update: returns the new value of p (a fresh tensor). */
  protected abstract update(p: Tensor, grad: Tensor, i: number, step: number): Tensor;

  /** Drops every parameter's gradient (frees it now; PyTorch's set_to_none). */
  zeroGrad(): void {
    for (const p of this.params) {
      if (p.grad !== null) {
        const g = p.grad;
        p.grad = null;
        g.dispose();
      }
    }
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    noGrad(() => {
      this.params.forEach((p, i) => {
        const g = p.grad;
        if (g === null) return;
        if (g.isDisposed) throw new CondgradError(`${this.kind}.step`, `gradient of params[${i}] ${fmtShape(p.shape)} was disposed`);
        const step = ++this.steps[i];
        tidy(() => {
          const next = this.update(p, g, i, step);
          p.assign(next);
        });
      });
    });
  }

  /** The state buffer `name` of params[i], created as zeros on first use. */
  protected buffer(i: number, name: string): Tensor {
    let b = this.state[i].get(name);
    if (b === undefined) {
      const p = this.params[i];
      b = keep(zeros(p.shape, { dtype: p.dtype, backend: p.backend }));
      this.state[i].set(name, b);
    }
    return b;
  }

  protected hasBuffer(i: number, name: string): boolean {
    return this.state[i].has(name);
  }

  /** Replaces buffer `name` of params[i] in place with `value` (which it takes over). */
  protected setBuffer(i: number, name: string, value: Tensor): void {
    const b = this.state[i].get(name);
    if (b === undefined) {
      const p = this.params[i];
      const fresh = keep(new Tensor(p.backend.zeros(p.dtype, p.size), p.shape, p.backend));
      fresh.assign(value);
      this.state[i].set(name, fresh);
    } else {
      b.assign(value);
    }
  }

  /** The resumable state: hyperparameters, step counts and (shared, not copied) state buffers. */
  stateDict(): OptimizerState {
    const tensors: Record<string, Tensor> = {};
    this.state.forEach((m, i) => {
      for (const [name, t] of m) tensors[`${i}.${name}`] = t;
    });
    return { meta: { kind: this.kind, lr: this.lr, hyper: this.hyper(), steps: [...this.steps] }, tensors };
  }

  /**
   * Restores a state from stateDict() (copying the buffers onto the parameters' backend). The
   * kind, parameter count, step counts, hyperparameters and every buffer's name, shape and dtype
   * are all checked first: on any failure the optimizer is left exactly as it was.
   */
  loadStateDict(sd: OptimizerState): void {
    const op = `${this.kind}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || sd.meta === null || typeof sd.meta !== 'object')
      throw new CondgradError(op, 'state must be an object from stateDict()');
    const { meta } = sd;
    if (meta.kind !== this.kind) throw new CondgradError(op, `state is for optimizer '${String(meta.kind)}', this is '${this.kind}'`);
    if (!Array.isArray(meta.steps) || meta.steps.length !== this.params.length) {
      throw new CondgradError(
        op,
        `state has step counts for ${Array.isArray(meta.steps) ? meta.steps.length : 'no'} parameters, this optimizer has ${this.params.length}`,
      );
    }
    meta.steps.forEach((s, i) => {
      if (!Number.isSafeInteger(s) || s < 0) throw new CondgradError(op, `steps[${i}] must be a non-negative integer, got ${String(s)}`);
    });
    const lr = checkHyper(op, 'lr', meta.lr);
    if (sd.tensors === null || typeof sd.tensors !== 'object') throw new CondgradError(op, 'state.tensors must be an object of tensors');
    const incoming: Map<string, Tensor>[] = this.params.map(() => new Map<string, Tensor>());
    for (const [key, t] of Object.entries(sd.tensors)) {
      const m = /^(\d+)\.(\w+)$/.exec(key);
      const i = m ? Number(m[1]) : -1;
      if (!m || i >= this.params.length) throw new CondgradError(op, `unexpected state tensor '${key}' (${this.params.length} parameters)`);
      if (!(t instanceof Tensor) || t.isDisposed) throw new CondgradError(op, `state tensor '${key}' must be a live Tensor`);
      const p = this.params[i];
      if (!sameShape(t.shape, p.shape)) {
        throw new CondgradError(op, `state tensor '${key}' has shape ${fmtShape(t.shape)} but params[${i}] has ${fmtShape(p.shape)}`);
      }
      if (t.dtype !== p.dtype) throw new CondgradError(op, `state tensor '${key}' is ${t.dtype} but params[${i}] is ${p.dtype}`);
      incoming[i].set(m[2], t);
    }
    // Moved first, so a backend that cannot be read synchronously fails before anything changes.
    const onBackend = incoming.map((m, i) =>
      [...m].map(([name, t]) => [name, t, t.backend === this.params[i].backend ? t : t.to(this.params[i].backend)] as const),
    );
    // applyHyper validates as it sets: on failure, put the previous values back (and drop the moved copies).
    const previous = this.hyper();
    try {
      this.applyHyper(meta.hyper ?? {});
    } catch (e) {
      this.applyHyper(previous);
      for (const list of onBackend) for (const [, t, moved] of list) if (moved !== t) moved.dispose();
      throw e;
    }
    this.lr = lr;
    this.disposeState();
    onBackend.forEach((list, i) => {
      for (const [name, t, moved] of list) {
        this.state[i].set(name, keep(moved.detach()));
        if (moved !== t) moved.dispose();
      }
    });
    this.steps = [...meta.steps];
  }

  /**
   * loadStateDict for buffers on a backend that reads asynchronously (a gpu optimizer's state
   * loaded into a cpu one): each buffer is first moved to its parameter's backend with toAsync,
   * then loadStateDict runs its checks and copies.
   */
  async loadStateDictAsync(sd: OptimizerState): Promise<void> {
    if (sd === null || typeof sd !== 'object' || sd.tensors === null || typeof sd.tensors !== 'object') return this.loadStateDict(sd);
    const tensors: Record<string, Tensor> = { ...sd.tensors };
    const temps: Tensor[] = [];
    try {
      for (const [key, t] of Object.entries(sd.tensors)) {
        const p = this.params[Number(/^(\d+)\./.exec(key)?.[1] ?? -1)];
        if (p === undefined || !(t instanceof Tensor) || t.isDisposed || t.backend === p.backend || t.dtype !== p.dtype) continue;
        tensors[key] = await t.toAsync(p.backend);
        temps.push(tensors[key]);
      }
      this.loadStateDict({ ...sd, tensors });
    } finally {
      for (const t of temps) t.dispose();
    }
  }

  /** Sets hyperparameters from a state dict (validated by the subclass). */
  protected abstract applyHyper(h: Hyper): void;

  /** Frees all state buffers (the optimizer starts fresh on the next step). */
  disposeState(): void {
    for (const m of this.state) {
      for (const t of m.values()) t.dispose();
      m.clear();
    }
  }
}
