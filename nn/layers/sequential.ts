// Sequential: a chain of modules applied in order, named '0', '1', ...

import { CondgradError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { Module } from '../module.js';

/** Applies its modules in order: forward(x) = m_{n−1}(...m_1(m_0(x))). Children are named by index. */
export class Sequential extends Module {
  private _layers: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end; returns this. */
  append(m: Module): this {
    if (!(m instanceof Module)) throw new CondgradError('Sequential', `entry ${this._layers.length} must be a Module, got ${m === null ? 'null' : typeof m}`);
    this.registerModule(String(this._layers.length), m);
    this._layers.push(m);
    return this;
  }

  get length(): number {
    return this._layers.length;
  }

  /** The i-th module (negative i counts from the end). */
  at(i: number): Module {
    const m = this._layers.at(i);
    if (m === undefined) throw new CondgradError('Sequential', `index ${i} is out of range for ${this._layers.length} modules`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._layers[Symbol.iterator]();
  }

  override forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this._layers) h = m.forward(h);
    return h;
  }
}
