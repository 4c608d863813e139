// Learning-rate schedules: constant, step decay, cosine, linear warmup and their composition, applied per step or per epoch.

import { CondgradError, checkOptions, describeValue, isList } from '../../core/errors.js';
import type { Optimizer } from './optimizer.js';

export type ScheduleUnit = 'step' | 'epoch';

/** A learning rate as a function of t, the 0-based index of the current step or epoch (`per`). */
export interface LrSchedule {
  readonly per: ScheduleUnit;
  readonly name: string;
  at(t: number): number;
}

function pos(op: string, name: string, v: unknown, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new CondgradError(op, `${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${String(v)}`);
  }
  return v;
}

function unit(op: string, per: unknown): ScheduleUnit {
  if (per !== 'step' && per !== 'epoch') throw new CondgradError(op, `per must be 'step' or 'epoch', got ${String(per)}`);
  return per;
}

function make(name: string, per: ScheduleUnit, f: (t: number) => number): LrSchedule {
  return {
    per,
    name,
    at(t: number): number {
      if (!Number.isInteger(t) || t < 0) throw new CondgradError(name, `t must be a non-negative integer ${per} index, got ${t}`);
      return f(t);
    },
  };
}

/** lr at every t. */
export function constantLR(lr: number, opts: { per?: ScheduleUnit } = {}): LrSchedule {
  pos('constantLR', 'lr', lr, true);
  return make('constantLR', unit('constantLR', opts.per ?? 'epoch'), () => lr);
}

/** lr · gamma^⌊t / stepSize⌋ (PyTorch StepLR). */
export function stepLR(lr: number, opts: { stepSize: number; gamma?: number; per?: ScheduleUnit }): LrSchedule {
  const op = 'stepLR';
  opts = checkOptions(op, opts);
  pos(op, 'lr', lr, true);
  const stepSize = pos(op, 'stepSize', opts.stepSize);
  if (!Number.isInteger(stepSize)) throw new CondgradError(op, `stepSize must be an integer, got ${stepSize}`);
  const gamma = pos(op, 'gamma', opts.gamma ?? 0.1, true);
  return make(op, unit(op, opts.per ?? 'epoch'), (t) => lr * Math.pow(gamma, Math.floor(t / stepSize)));
}

/** minLr + (lr − minLr)·(1 + cos(π·min(t, total)/total))/2 (PyTorch CosineAnnealingLR, held at minLr after `total`). */
export function cosineLR(lr: number, opts: { total: number; minLr?: number; per?: ScheduleUnit }): LrSchedule {
  const op = 'cosineLR';
  opts = checkOptions(op, opts);
  pos(op, 'lr', lr, true);
  const total = pos(op, 'total', opts.total);
  const minLr = pos(op, 'minLr', opts.minLr ?? 0, true);
  if (minLr > lr) throw new CondgradError(op, `minLr ${minLr} exceeds lr ${lr}`);
  return make(op, unit(op, opts.per ?? 'step'), (t) => minLr + (lr - minLr) * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, total)) / total)));
}

/**
 * Linear warmup (PyTorch LinearLR): lr·(s + (1 − s)·min(t, warmup)/warmup) with s = startFactor
 * (default 1/warmup, so step 0 already moves), then lr.
 */
export function linearWarmupLR(lr: number, opts: { warmup: number; startFactor?: number; per?: ScheduleUnit }): LrSchedule {
  const op = 'linearWarmupLR';
  pos(op, 'lr', lr, true);
  const warmup = pos(op, 'warmup', opts.warmup);
  const s = opts.startFactor ?? 1 / warmup;
  if (!(s >= 0 && s <= 1)) throw new CondgradError(op, `startFactor must be in [0, 1], got ${s}`);
  return make(op, unit(op, opts.per ?? 'step'), (t) => lr * (s + ((1 - s) * Math.min(t, warmup)) / warmup));
}

/**
 * Runs schedules one after another (PyTorch SequentialLR): schedules[k] covers
 * [milestones[k−1], milestones[k]) and sees t − milestones[k−1]. All must share `per`.
 */
export function sequentialLR(schedules: readonly LrSchedule[], milestones: readonly number[]): LrSchedule {
  const op = 'sequentialLR';
  if (!isList(schedules) || !isList(milestones))
    throw new CondgradError(op, `schedules and milestones must be arrays, got ${describeValue(schedules)} and ${describeValue(milestones)}`);
  if (schedules.length === 0 || milestones.length !== schedules.length - 1) {
    throw new CondgradError(op, `needs k schedules and k−1 milestones, got ${schedules.length} and ${milestones.length}`);
  }
  const per = schedules[0].per;
  schedules.forEach((s, i) => {
    if (s.per !== per) throw new CondgradError(op, `schedules[${i}] (${s.name}) is per ${s.per}, schedules[0] is per ${per}`);
  });
  milestones.forEach((m, i) => {
    if (!Number.isInteger(m) || m <= (i > 0 ? milestones[i - 1] : 0))
      throw new CondgradError(op, `milestones must be increasing positive integers, got ${JSON.stringify(milestones)}`);
  });
  return make(schedules.map((s) => s.name).join('→'), per, (t) => {
    let k = 0;
    while (k < milestones.length && t >= milestones[k]) k++;
    return schedules[k].at(t - (k > 0 ? milestones[k - 1] : 0));
  });
}

/** Linear warmup over `warmup` units, then cosine decay to minLr by `total` (counted from 0). */
export function warmupCosineLR(lr: number, opts: { warmup: number; total: number; minLr?: number; startFactor?: number; per?: ScheduleUnit }): LrSchedule {
  opts = checkOptions('warmupCosineLR', opts);
  const per = opts.per ?? 'step';
  if (!(opts.total > opts.warmup)) throw new CondgradError('warmupCosineLR', `total (${opts.total}) must exceed warmup (${opts.warmup})`);
  return sequentialLR(
    [
      linearWarmupLR(lr, { warmup: opts.warmup, startFactor: opts.startFactor, per }),
      cosineLR(lr, { total: opts.total - opts.warmup, minLr: opts.minLr, per }),
    ],
    [opts.warmup],
  );
}

/** The schedule's time index for a (0-based) epoch and global step. */
export function scheduleIndex(s: LrSchedule, epoch: number, globalStep: number): number {
  return s.per === 'epoch' ? epoch : globalStep;
}

/** Sets opt.lr from the schedule for this epoch / global step; returns the lr. */
export function applySchedule(opt: Optimizer, s: LrSchedule, epoch: number, globalStep: number): number {
  if (opt === null || typeof opt !== 'object' || !('lr' in opt))
    throw new CondgradError('applySchedule', `opt must be an Optimizer, got ${describeValue(opt)}`);
  if (s === null || typeof s !== 'object' || typeof s.at !== 'function')
    throw new CondgradError('applySchedule', `schedule must be an LrSchedule (constantLR, cosineLR, ...), got ${describeValue(s)}`);
  opt.lr = s.at(scheduleIndex(s, epoch, globalStep));
  return opt.lr;
}
