// TemperatureSchedule: DynamicConv's linear annealing of the softmax routers' temperature (30 → 1 over N epochs or steps).

import { CondgradError, checkFinite } from '../core/errors.js';
import type { Module } from './module.js';
import { SoftmaxRouter } from './router.js';

export interface TemperatureScheduleOptions {
  /** Temperature at t = 0 (default 30, as DynamicConv). */
  from?: number;
  /** Temperature from t = duration on (default 1). */
  to?: number;
  /** Length of the ramp, in whatever unit t counts (epochs or steps). */
  duration: number;
}

/**
 * T(t) = from + (to − from) · min(t / duration, 1). Call `apply(model, t)` at the start of each
 * epoch (or step) to set the temperature of every SoftmaxRouter in the model.
 */
export class TemperatureSchedule {
  readonly from: number;
  readonly to: number;
  readonly duration: number;

  constructor(opts: TemperatureScheduleOptions) {
    const op = 'TemperatureSchedule';
    if (opts === null || typeof opts !== 'object') throw new CondgradError(op, 'options must be an object with duration');
    this.from = checkFinite(op, 'from', opts.from ?? 30);
    this.to = checkFinite(op, 'to', opts.to ?? 1);
    this.duration = checkFinite(op, 'duration', opts.duration);
    if (this.from <= 0 || this.to <= 0) throw new CondgradError(op, `temperatures must be > 0, got from=${this.from} to=${this.to}`);
    if (this.duration <= 0) throw new CondgradError(op, `duration must be > 0, got ${this.duration}`);
  }

  /** The temperature at time t ≥ 0. */
  value(t: number): number {
    checkFinite('TemperatureSchedule', 't', t);
    if (t < 0) throw new CondgradError('TemperatureSchedule', `t must be >= 0, got ${t}`);
    return this.from + (this.to - this.from) * Math.min(t / this.duration, 1);
  }

  /** Sets every SoftmaxRouter in `model` to value(t); returns that temperature. */
  apply(model: Module, t: number): number {
    const T = this.value(t);
    for (const m of model.modules()) if (m instanceof SoftmaxRouter) m.setTemperature(T);
    return T;
  }
}
