// Module: the base class of layers and models — parameter, buffer and submodule registration, traversal, train/eval mode
// (loading state dicts and moving between backends live in nn/module_state.ts).

import { CondgradError, checkBool, describeValue, fmtShape } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import { Tensor } from '../core/tensor.js';
import type { AnyBackend, BackendName } from '../core/backend.js';
import { ownMembers, type MemberKind, type Members } from './members.js';
import { loadStateDictAsyncInto, loadStateDictInto, moveModule, moveModuleAsync, type LoadResult } from './module_state.js';
import { moduleTree, summary, type Macs, type Summary, type SummaryOptions } from './summary.js';

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

/**
 * The base class of every layer and model, in PyTorch's style. A subclass registers what it owns
 * with `registerParameter`, `registerBuffer` and `registerModule` (or simply assigns fields:
 * Module fields, arrays of Modules, and leaf tensors that require grad are found automatically,
 * in field order). Names are dotted paths such as `features.0.weight`; a module or tensor reached
 * along several paths (a router shared by the layers of a block) is listed once, under its first
 * path. Fields whose names start with `_` are private and never listed.
 */
export abstract class Module {
  /** Training mode (dropout, batch statistics, expert dropout); set with train() / eval(). */
  training = true;
  private readonly _registry = new Map<string, MemberKind>();

  /** The forward pass. x: the module's input (e.g. [B, C, H, W] for conv layers). */
  abstract forward(x: Tensor): Tensor;

  /**
   * Multiply-accumulates of one forward call that took `inputShape` to `outputShape` (whole batch),
   * not counting submodules. Layers that compute override this; summary() divides by the batch.
   */
  macs(_inputShape: readonly number[], _outputShape: readonly number[]): Macs {
    return 0;
  }

  /**
   * summary() files the MACs of this module and of everything it calls under this kind
   * (routers: 'routing'); null keeps each module's own kinds.
   */
  get macsGroup(): string | null {
    return null;
  }

  /** The type name shown by summary() and toString(). */
  get typeName(): string {
    return this.constructor.name;
  }

  /** One line of hyper-parameters for toString(), e.g. `16, 32, kernelSize=3`. */
  extraRepr(): string {
    return '';
  }

  /**
   * Replaces the module's own random generators (not its submodules') with fresh ones seeded by
   * `seedOf(stream)`; a module with more than one generator asks for a different small `stream`
   * constant for each. reseedEpoch calls this on every module; the default has none to replace.
   */
  reseed(_seedOf: (stream: number) => number): void {
    // No generator of its own.
  }

  // ---- registration ----

  /** Registers a parameter (a leaf tensor; it is marked requiresGrad) or null (absent, e.g. bias: false). */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    this.checkName(name);
    if (t !== null) {
      if (!(t instanceof Tensor)) throw new CondgradError('registerParameter', `'${name}' must be a Tensor or null`);
      if (t.node !== null)
        throw new CondgradError('registerParameter', `'${name}' ${fmtShape(t.shape)} is the result of an op; parameters must be leaf tensors (use detach())`);
      t.requiresGrad_(true);
    }
    this._registry.set(name, 'param');
    (this as Record<string, unknown>)[name] = t;
    return t;
  }

  /** Registers a buffer: state saved in stateDict but not trained (e.g. BatchNorm running statistics). */
  registerBuffer<T extends Tensor | null>(name: string, t: T): T {
    this.checkName(name);
    if (t !== null && !(t instanceof Tensor)) throw new CondgradError('registerBuffer', `'${name}' must be a Tensor or null`);
    this._registry.set(name, 'buffer');
    (this as Record<string, unknown>)[name] = t;
    return t;
  }

  /** Registers a submodule (or null). */
  registerModule<M extends Module | null>(name: string, m: M): M {
    this.checkName(name);
    if (m !== null && !(m instanceof Module)) throw new CondgradError('registerModule', `'${name}' must be a Module or null`);
    this._registry.set(name, 'module');
    (this as Record<string, unknown>)[name] = m;
    return m;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.') || name.startsWith('_') || name === 'training') {
      throw new CondgradError(
        this.typeName,
        `invalid member name '${String(name)}': it must be non-empty, contain no '.', not start with '_' and not be 'training'`,
      );
    }
  }

  /** This module's own entries, in order: registered names first, then discovered fields. */
  private ownEntries(): Members<Module> {
    return ownMembers(this, this._registry, (v): v is Module => v instanceof Module);
  }

  // ---- traversal ----

  /** Direct submodules with their names (array fields give `name.i`). */
  namedChildren(): [string, Module][] {
    return this.ownEntries().modules;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module (name `prefix`, '' by default) and every submodule, pre-order, each module once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, path: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [name, c] of m.namedChildren()) visit(c, join(path, name));
    };
    visit(this, prefix);
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter with its dotted name, module by module in pre-order, each tensor once. */
  namedParameters(): [string, Tensor][] {
    return this.collect('params');
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer with its dotted name. */
  namedBuffers(): [string, Tensor][] {
    return this.collect('buffers');
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  private collect(which: 'params' | 'buffers' | 'both'): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules()) {
      const e = m.ownEntries();
      const list = which === 'params' ? e.params : which === 'buffers' ? e.buffers : [...e.params, ...e.buffers];
      for (const [name, t] of list) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([join(path, name), t]);
      }
    }
    return out;
  }

  /** Parameters this module holds itself (not its submodules'). */
  ownParameters(): Tensor[] {
    return this.ownEntries().params.map(([, t]) => t);
  }

  /** Total number of parameter elements. */
  numParameters(onlyTrainable = false): number {
    return this.parameters()
      .filter((p) => !onlyTrainable || p.requiresGrad)
      .reduce((s, p) => s + p.size, 0);
  }

  /** The submodule at a dotted path ('' is this module). */
  getSubmodule(path: string): Module {
    const m = new Map(this.namedModules()).get(path);
    if (m === undefined) throw new CondgradError('getSubmodule', `no submodule '${path}' in ${this.typeName}`);
    return m;
  }

  /** Replaces the parameter at a dotted name with another tensor (no copy; for functional calls and tests). */
  setParameter(name: string, t: Tensor): void {
    const i = name.lastIndexOf('.');
    const owner = this.getSubmodule(i < 0 ? '' : name.slice(0, i));
    const field = name.slice(i + 1);
    if (!owner.ownEntries().params.some(([n]) => n === field)) throw new CondgradError('setParameter', `no parameter '${name}' in ${this.typeName}`);
    (owner as unknown as Record<string, unknown>)[field] = t;
  }

  // ---- state ----

  /** Parameters and buffers by dotted name, in module order (each module's parameters, then its buffers). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.collect('both'));
  }

  /**
   * Copies values from `sd` into this module's parameters and buffers (in place, so optimizers
   * holding them keep working). Shapes and dtypes must match. With `strict`, missing or
   * unexpected keys are an error; otherwise they are returned. Nothing is copied if any check fails.
   */
  loadStateDict(sd: Record<string, Tensor>, strict = true): LoadResult {
    return loadStateDictInto(this, sd, strict);
  }

  /**
   * loadStateDict for a state dict on a backend that reads asynchronously (gpu state into a cpu
   * model): each tensor is first moved to its destination's backend with toAsync, then
   * loadStateDict runs its checks and copies. Nothing is copied if a move or a check fails.
   */
  loadStateDictAsync(sd: Record<string, Tensor>, strict = true): Promise<LoadResult> {
    return loadStateDictAsyncInto(this, sd, strict);
  }

  // ---- modes and moves ----

  /** Sets training mode on this module and every submodule; returns this. */
  train(mode = true): this {
    checkBool(`${this.typeName}.train`, 'mode', mode);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Clears the `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * Moves every parameter and buffer to another backend, or casts them to another dtype
   * ('float32' | 'float64'), replacing the tensors (shared tensors stay shared). Optimizers
   * must be created after this. Returns this.
   */
  to(target: BackendName | AnyBackend | DType): this {
    const okName = target === 'cpu' || target === 'wasm' || target === 'gpu' || target === 'float32' || target === 'float64';
    if (!okName && (target === null || typeof target !== 'object' || typeof (target as unknown as { conv2d?: unknown }).conv2d !== 'function')) {
      throw new CondgradError(`${this.typeName}.to`, `target must be 'cpu', 'wasm', 'gpu', 'float32', 'float64' or a backend, got ${describeValue(target)}`);
    }
    moveModule(this, target);
    return this;
  }

  /**
   * to() for moves off a backend that reads asynchronously (`await model.toAsync('cpu')` for a
   * model on the gpu): every tensor is read with toAsync first, then all are replaced at once.
   */
  async toAsync(target: BackendName | AnyBackend | DType): Promise<this> {
    await moveModuleAsync(this, target);
    return this;
  }

  /** Replaces every parameter and buffer field by convert(tensor) (convert sees shared tensors once per path). */
  replaceTensors(convert: (t: Tensor) => Tensor): this {
    for (const m of this.modules()) {
      const e = m.ownEntries();
      const self = m as unknown as Record<string, unknown>;
      for (const [name, t] of [...e.params, ...e.buffers]) self[name] = convert(t);
    }
    return this;
  }

  // ---- reporting ----

  /** Per-layer output shapes, parameters and MACs per sample; `inputShape` excludes the batch dim (e.g. [1, 28, 28]). */
  summary(inputShape: readonly number[], opts: SummaryOptions = {}): Summary {
    return summary(this, inputShape, opts);
  }

  /** A PyTorch-style tree of the module and its submodules. */
  toString(): string {
    return moduleTree(this);
  }
}
