// The Tensor: shape, dtype, backend storage, and its place on the autograd tape.

import { CondgradError, checkBool, describeValue, fmtShape } from './errors.js';
import type { DType, FloatArray } from './dtype.js';
import type { AnyBackend, BackendName, Storage } from './backend.js';
import { sizeOf, sameShape } from './shape.js';
import { getBackend } from './engine.js';
import { track } from './scope.js';
import { backpropagate, type TapeNodeOf, type TapeTensor } from './autograd.js';
import { allocArray } from './dtype.js';
import { binaryGeometry, broadcastView } from '../kernels/geometry/broadcast.js';

/** How a tensor was made: the op, its inputs and what its backward needs. */
export type TapeNode = TapeNodeOf<Tensor>;

/** Gradient accumulation: a + b (one shape, or one a broadcast of the other's), straight on the backend (never recorded). */
function addGrads(a: Tensor, b: Tensor): Tensor {
  const g = binaryGeometry('backward', a.shape, b.shape);
  return new Tensor(a.backend.binary(a.storage, b.storage, 'add', g), g.outShape, a.backend);
}

/** A broadcast gradient materialised at `shape` (one gather, as expand's). */
function expandGrad(g: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(g.backend.gather(g.storage, broadcastView(g.shape, shape)), shape, g.backend);
}

let nextId = 0;

/** An n-dimensional array of float32 or float64 on one backend, optionally recorded for autograd. */
export class Tensor implements TapeTensor<Tensor> {
  readonly __isTensor = true;
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly backend: AnyBackend;
  private _storage: Storage | null;
  private _version = 0;
  /** Whether gradients flow to (and, for leaves, accumulate in) this tensor. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf after backward(); freed with the leaf, replaced (and freed) when backward accumulates. */
  grad: Tensor | null = null;
  /** The op that produced this tensor while recording; null for leaves. */
  node: TapeNode | null;
  /** Set when this tensor is another tensor's `.grad`. */
  gradOwner: Tensor | null = null;
  name?: string;

  constructor(storage: Storage, shape: readonly number[], backend: AnyBackend, requiresGrad = false, node: TapeNode | null = null) {
    if (storage.size !== sizeOf(shape)) {
      throw new CondgradError('Tensor', `storage of ${storage.size} elements cannot hold shape ${fmtShape(shape)}`);
    }
    this.id = nextId++;
    this._storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = storage.dtype;
    this.backend = backend;
    this.requiresGrad = requiresGrad;
    this.node = node;
    track(this);
  }

  get size(): number {
    return this._storage ? this._storage.size : sizeOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Bumped by every in-place write of the data (assign, optimizer steps); backward() compares it with the tape's record. */
  get version(): number {
    return this._version;
  }

  get isDisposed(): boolean {
    return this._storage === null;
  }

  /** The backend storage; throws if the tensor was disposed. */
  get storage(): Storage {
    if (this._storage === null) throw new CondgradError('Tensor', `tensor #${this.id} ${fmtShape(this.shape)} was disposed`);
    return this._storage;
  }

  /** Synchronous copy of the data (cpu and wasm backends). */
  dataSync(): FloatArray {
    return this.backend.readSync(this.storage);
  }

  /** Copy of the data; the only read-back path on the gpu backend. */
  data(): Promise<FloatArray> {
    return this.backend.read(this.storage);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new CondgradError('item', `tensor has ${this.size} elements (shape ${fmtShape(this.shape)}), item() needs exactly 1`);
    return this.dataSync()[0];
  }

  /** Nested JS arrays (synchronous backends). */
  toArray(): unknown {
    const d = this.dataSync();
    if (this.shape.length === 0) return d[0];
    const build = (dim: number, off: number): unknown => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return Array.from(d.subarray(off, off + n));
      const step = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => build(dim + 1, off + i * step));
    };
    return build(0, 0);
  }

  /** Frees the storage now, and the gradient this tensor owns. Later use of the tensor throws. */
  dispose(): void {
    if (this._storage === null) return;
    this.backend.dispose(this._storage);
    this._storage = null;
    // A leaf's grad belongs to the leaf: it goes with it (whichever scope made it).
    const g = this.grad;
    if (g !== null && g.gradOwner === this) {
      this.grad = null;
      g.dispose();
    }
  }

  /** True while this tensor is the `.grad` of a live tensor (tidy() then leaves it alone). */
  isGradOfOuter(): boolean {
    return this.gradOwner !== null && this.gradOwner.grad === this;
  }

  /**
   * Backpropagates from this tensor: `grad` defaults to 1 for a one-element tensor. Leaf tensors
   * with requiresGrad accumulate into `.grad`; the tape is kept, so backward can run again.
   */
  backward(grad?: Tensor): void {
    if (grad !== undefined && !(grad instanceof Tensor))
      throw new CondgradError('backward', `grad must be a Tensor, got ${describeValue(grad)} (root ${fmtShape(this.shape)})`);
    if (grad !== undefined && grad.isDisposed) throw new CondgradError('backward', `grad ${fmtShape(grad.shape)} was disposed`);
    if (this.isDisposed) throw new CondgradError('backward', `tensor #${this.id} ${fmtShape(this.shape)} was disposed`);
    if (this.isGradOfOuter())
      throw new CondgradError(
        'backward',
        `tensor ${fmtShape(this.shape)} is the .grad of another tensor: gradients are first-order and cannot be backpropagated`,
      );
    if (!this.requiresGrad)
      throw new CondgradError('backward', `tensor ${fmtShape(this.shape)} does not require grad (no input had requiresGrad, or it was made under noGrad)`);
    let seed = grad;
    if (seed === undefined) {
      if (this.size !== 1) throw new CondgradError('backward', `grad must be given for a non-scalar root of shape ${fmtShape(this.shape)}`);
      const one = allocArray(this.dtype, 1);
      one[0] = 1;
      seed = new Tensor(this.backend.fromArray(one), this.shape, this.backend);
    } else if (!sameShape(seed.shape, this.shape) || seed.dtype !== this.dtype || seed.backend !== this.backend) {
      throw new CondgradError('backward', `grad ${fmtShape(seed.shape)} ${seed.dtype} does not match root ${fmtShape(this.shape)} ${this.dtype}`);
    }
    backpropagate<Tensor>(this, seed, addGrads, expandGrad, nextId);
    // The seed made here (a leaf takes a copy of it, never the seed itself) is not needed any more.
    if (grad === undefined) seed.dispose();
  }

  /** Marks this leaf as requiring gradients; returns this. */
  requiresGrad_(flag = true): this {
    checkBool('requiresGrad_', 'flag', flag);
    if (this.node !== null && !flag) throw new CondgradError('requiresGrad_', 'cannot turn off gradients of a non-leaf tensor; use detach()');
    this.requiresGrad = flag;
    return this;
  }

  /** A new leaf sharing nothing with the tape (the data is copied on backends where storage is immutable anyway). */
  detach(): Tensor {
    const b = this.backend;
    return new Tensor(b.gather(this.storage, { dims: [this.size], strides: [1], offset: 0 }), this.shape, b, false);
  }

  /**
   * Replaces this tensor's data with `src`'s, in place (same shape, dtype and backend), taking over
   * src's storage; src is left disposed. Used by optimizers; not recorded on the tape.
   */
  assign(src: Tensor): this {
    if (!(src instanceof Tensor)) throw new CondgradError('assign', `source must be a Tensor, got ${describeValue(src)} (target ${fmtShape(this.shape)})`);
    if (src.isDisposed) throw new CondgradError('assign', `source ${fmtShape(src.shape)} was disposed`);
    if (src.backend !== this.backend || src.dtype !== this.dtype || !sameShape(src.shape, this.shape)) {
      throw new CondgradError(
        'assign',
        `source ${fmtShape(src.shape)} ${src.dtype} on ${src.backend.name} does not match target ${fmtShape(this.shape)} ${this.dtype} on ${this.backend.name}`,
      );
    }
    if (src === this) return this;
    const s = src.storage;
    if (this._storage !== null && this._storage !== s) this.backend.dispose(this._storage);
    this._storage = s;
    src._storage = null;
    this._version++;
    return this;
  }

  /** A copy on another backend (explicit; ops never move data between backends). */
  to(target: BackendName | AnyBackend): Tensor {
    const b = typeof target === 'string' ? getBackend(target) : target;
    if (b === this.backend) return this;
    if (!b.dtypes.includes(this.dtype)) throw new CondgradError('to', `backend '${b.name}' does not store ${this.dtype} (tensor ${fmtShape(this.shape)})`);
    let data: FloatArray;
    try {
      data = this.dataSync();
    } catch (e) {
      if (!(e instanceof CondgradError)) throw e;
      throw new CondgradError(
        'to',
        `tensor ${fmtShape(this.shape)} on '${this.backend.name}' cannot be read synchronously (${e.message}); use \`await t.toAsync(target)\` (for a module, \`await model.toAsync(target)\`)`,
      );
    }
    return new Tensor(b.fromArray(data), this.shape, b, this.requiresGrad && this.node === null);
  }

  /** A copy on another backend, read asynchronously: works off every backend, the gpu included. */
  async toAsync(target: BackendName | AnyBackend): Promise<Tensor> {
    const b = typeof target === 'string' ? getBackend(target) : target;
    if (b === this.backend) return this;
    if (!b.dtypes.includes(this.dtype)) throw new CondgradError('toAsync', `backend '${b.name}' does not store ${this.dtype} (tensor ${fmtShape(this.shape)})`);
    return new Tensor(b.fromArray(await this.data()), this.shape, b, this.requiresGrad && this.node === null);
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${this.backend.name}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}
