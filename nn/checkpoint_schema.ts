// The checkpoint header's schema: which JSON values a checkpoint may store, and the full check of a read header before any of it is used.

import { CondgradError, fmtShape } from '../core/errors.js';
import { bytesPerElement, isDType, type DType } from '../core/dtype.js';
import type { OptimizerState } from './optim/optimizer.js';

/** One tensor's place in the payload. */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  byteLength: number;
}

/** The run state a header carries. */
export interface HeaderState {
  epoch: number;
  step: number;
  seed: number;
  optimizer: OptimizerState['meta'] | null;
  extra: Record<string, unknown>;
}

/** The JSON header of a checkpoint file. */
export interface CheckpointHeader {
  version: number;
  config: Record<string, unknown>;
  state: HeaderState;
  tensors: TensorEntry[];
  payloadBytes: number;
}

/** Deeper JSON than this is refused (it would only come from a bug, and would overflow the stack). */
const MAX_DEPTH = 256;

/** Optimizer tensor names: `optimizer.<param index>.<buffer name>`. */
export const OPTIMIZER_TENSOR_RE = /^optimizer\.(\d+)\.(\w+)$/;

function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const ctor = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return ctor !== undefined && ctor !== 'Object' ? `a ${ctor}` : 'an object';
  }
  if (typeof v === 'function') return `a function (${v.name || 'anonymous'})`;
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `a ${typeof v} (${v.toString()})`;
  return typeof v === 'symbol' ? `a symbol (${v.description ?? ''})` : `a ${typeof v}`;
}

/** Whether v is a plain object (prototype Object.prototype or null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `v` survives JSON.stringify → JSON.parse unchanged: plain objects, arrays, strings,
 * booleans, null and finite numbers, no cycles. An object property that is `undefined` is
 * allowed (JSON leaves it out, as the key's absence reads back the same). Throws a CondgradError
 * naming the field, e.g. `config.schedule.total is a bigint (10)`.
 */
export function checkJsonValue(op: string, where: string, v: unknown, ancestors: unknown[] = []): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CondgradError(op, `${where} is ${v}, which JSON cannot hold (it would read back as null)`);
    return;
  }
  if (typeof v !== 'object') throw new CondgradError(op, `${where} is ${kindOf(v)}, which JSON cannot hold`);
  if (ancestors.includes(v)) throw new CondgradError(op, `${where} is a cycle: it refers back to an object that contains it`);
  if (ancestors.length >= MAX_DEPTH) throw new CondgradError(op, `${where} is nested deeper than ${MAX_DEPTH} levels`);
  const inner = [...ancestors, v];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] === undefined) throw new CondgradError(op, `${where}[${i}] is undefined, which JSON turns into null`);
      checkJsonValue(op, `${where}[${i}]`, v[i], inner);
    }
    return;
  }
  if (!isPlainObject(v))
    throw new CondgradError(op, `${where} is ${kindOf(v)}; only plain objects, arrays, strings, finite numbers, booleans and null can be stored`);
  for (const [k, x] of Object.entries(v)) {
    if (x !== undefined) checkJsonValue(op, `${where}.${k}`, x, inner);
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Checks an optimizer's meta (as stateDict() makes it); returns a message or null. */
function optimizerMetaProblem(m: unknown): string | null {
  if (!isPlainObject(m)) return `state.optimizer must be null or an object, got ${kindOf(m)}`;
  if (typeof m.kind !== 'string' || m.kind === '') return `state.optimizer.kind must be a non-empty string, got ${kindOf(m.kind)}`;
  if (typeof m.lr !== 'number' || !Number.isFinite(m.lr) || m.lr < 0) return `state.optimizer.lr must be a finite number >= 0, got ${kindOf(m.lr)}`;
  if (!isPlainObject(m.hyper)) return `state.optimizer.hyper must be an object, got ${kindOf(m.hyper)}`;
  for (const [k, h] of Object.entries(m.hyper)) {
    const ok =
      typeof h === 'boolean' ||
      (typeof h === 'number' && Number.isFinite(h)) ||
      (Array.isArray(h) && h.every((x) => typeof x === 'number' && Number.isFinite(x)));
    if (!ok) return `state.optimizer.hyper.${k} must be a finite number, a boolean or an array of finite numbers, got ${kindOf(h)}`;
  }
  if (!Array.isArray(m.steps) || !m.steps.every(isCount))
    return `state.optimizer.steps must be an array of non-negative integers, got ${JSON.stringify(m.steps)}`;
  return null;
}

/** Checks one tensor entry against the payload; returns a message or null. */
function entryProblem(e: unknown, i: number, payloadBytes: number): string | null {
  if (!isPlainObject(e)) return `tensors[${i}] must be an object, got ${kindOf(e)}`;
  const what = typeof e.name === 'string' ? `tensor '${e.name}'` : `tensors[${i}]`;
  if (typeof e.name !== 'string' || e.name === '') return `${what}: name must be a non-empty string, got ${kindOf(e.name)}`;
  if (!e.name.startsWith('model.') && !OPTIMIZER_TENSOR_RE.test(e.name)) return `${what}: the name must be model.<name> or optimizer.<index>.<buffer>`;
  if (!isDType(e.dtype)) return `${what}: dtype must be float32 or float64, got ${kindOf(e.dtype)}`;
  if (!Array.isArray(e.shape) || !e.shape.every(isCount)) return `${what}: shape must be an array of non-negative integers, got ${JSON.stringify(e.shape)}`;
  const size = e.shape.reduce((a: number, b: number) => a * b, 1);
  if (!Number.isSafeInteger(size * bytesPerElement(e.dtype))) return `${what}: shape ${fmtShape(e.shape)} is too large`;
  if (!isCount(e.offset) || e.offset % 8 !== 0) return `${what}: offset must be a non-negative multiple of 8, got ${kindOf(e.offset)}`;
  if (e.byteLength !== size * bytesPerElement(e.dtype)) {
    return `${what} ${e.dtype} ${fmtShape(e.shape)} needs ${size * bytesPerElement(e.dtype)} bytes, the entry says ${String(e.byteLength)}`;
  }
  if (e.offset + e.byteLength > payloadBytes) return `${what}: bytes ${e.offset}..${e.offset + e.byteLength} lie past the ${payloadBytes}-byte payload`;
  return null;
}

/**
 * Validates a parsed header completely (types, ranges, tensor names, shapes, offsets, overlaps,
 * run state and optimizer meta) before any of it is used; `payloadBytes` is the payload's real
 * size. Throws `bad(message)` for the first problem.
 */
export function validateHeader(h: unknown, payloadBytes: number, bad: (msg: string) => CondgradError): CheckpointHeader {
  if (!isPlainObject(h)) throw bad(`header must be a JSON object, got ${kindOf(h)}`);
  if (!isPlainObject(h.config)) throw bad(`header.config must be an object, got ${kindOf(h.config)}`);
  if (h.payloadBytes !== payloadBytes) throw bad(`payload is ${payloadBytes} bytes, header says ${String(h.payloadBytes)}`);
  const s = h.state;
  if (!isPlainObject(s)) throw bad(`header.state must be an object, got ${kindOf(s)}`);
  for (const k of ['epoch', 'step'] as const) if (!isCount(s[k])) throw bad(`state.${k} must be a non-negative integer, got ${kindOf(s[k])}`);
  if (typeof s.seed !== 'number' || !Number.isFinite(s.seed)) throw bad(`state.seed must be a finite number, got ${kindOf(s.seed)}`);
  if (s.optimizer !== null) {
    const p = optimizerMetaProblem(s.optimizer);
    if (p !== null) throw bad(p);
  }
  if (!isPlainObject(s.extra)) throw bad(`state.extra must be an object, got ${kindOf(s.extra)}`);
  if (!Array.isArray(h.tensors)) throw bad(`header.tensors must be an array, got ${kindOf(h.tensors)}`);
  const names = new Set<string>();
  h.tensors.forEach((e: unknown, i: number) => {
    const p = entryProblem(e, i, payloadBytes);
    if (p !== null) throw bad(p);
    const { name } = e as TensorEntry;
    if (names.has(name)) throw bad(`tensor '${name}' appears twice`);
    if (s.optimizer === null && name.startsWith('optimizer.')) throw bad(`tensor '${name}' is optimizer state, but the header holds no optimizer`);
    names.add(name);
  });
  const byOffset = [...(h.tensors as TensorEntry[])].filter((e) => e.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const [a, b] = [byOffset[i - 1], byOffset[i]];
    if (b.offset < a.offset + a.byteLength)
      throw bad(`tensors '${a.name}' (bytes ${a.offset}..${a.offset + a.byteLength}) and '${b.name}' (from ${b.offset}) overlap`);
  }
  return h as unknown as CheckpointHeader;
}
