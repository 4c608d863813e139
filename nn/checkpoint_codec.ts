// Checkpoint bytes: encodes tensors and JSON run state into the versioned, checksummed format and decodes and verifies it (no file system, so the browser build uses it as is).

import { CondgradError, fmtShape } from '../core/errors.js';
import { allocArray, bytesPerElement, isDType, type DType, type FloatArray } from '../core/dtype.js';
import { sha256 } from '../core/platform/sha256.js';
import { Tensor } from '../core/tensor.js';
import { sizeOf } from '../core/shape.js';
import type { OptimizerState } from './optim/optimizer.js';

/**
 * File layout (all integers little-endian):
 *   0  magic "CONDGRAD" (8 bytes)
 *   8  format version (u32)
 *  12  header length H in bytes (u32)
 *  16  SHA-256 of header ‖ payload (32 bytes)
 *  48  header: UTF-8 JSON {version, config, state, tensors: [{name, dtype, shape, offset, byteLength}], payloadBytes}
 *  48+H payload: each tensor's raw little-endian elements at its offset (8-byte aligned)
 */
export const CHECKPOINT_MAGIC = 'CONDGRAD';
export const CHECKPOINT_VERSION = 1;
export const PRELUDE = 48;

/** What a checkpoint holds. Tensors are read back from any backend (async, so gpu works too). */
export interface CheckpointData {
  /** Model and run configuration (plain JSON), enough to rebuild the model. */
  config: Record<string, unknown>;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps completed. */
  step: number;
  /** The run seed; every random stream of epoch e derives from (seed, e). */
  seed: number;
  model: Record<string, Tensor>;
  optimizer?: OptimizerState;
  /** Any other JSON state (e.g. the epoch log so far). */
  extra?: Record<string, unknown>;
}

export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  byteLength: number;
}

/** A verified checkpoint on the host: JSON state plus tensor data by name (`model.*`, `optimizer.*`). */
export interface LoadedCheckpoint {
  version: number;
  config: Record<string, unknown>;
  epoch: number;
  step: number;
  seed: number;
  optimizerMeta: OptimizerState['meta'] | null;
  extra: Record<string, unknown>;
  tensors: Map<string, { dtype: DType; shape: number[]; data: FloatArray }>;
}

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toBytes(a: FloatArray): Uint8Array {
  if (LE) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  a.forEach((v, i) => (a instanceof Float32Array ? dv.setFloat32(i * 4, v, true) : dv.setFloat64(i * 8, v, true)));
  return out;
}

function fromBytes(bytes: Uint8Array, dtype: DType): FloatArray {
  const n = bytes.byteLength / bytesPerElement(dtype);
  const out = allocArray(dtype, n);
  if (LE) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = dtype === 'float32' ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
  }
  return out;
}

export function checkCount(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new CondgradError(op, `${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * The checkpoint as bytes (see the file layout above), with its SHA-256 (hex). `op` names the
 * caller in errors. In the browser, `new Blob([bytes])` makes a download of it.
 */
export async function encodeCheckpoint(data: CheckpointData, op = 'encodeCheckpoint'): Promise<{ bytes: Uint8Array; sha256: string }> {
  checkCount(op, 'epoch', data.epoch);
  checkCount(op, 'step', data.step);
  if (typeof data.seed !== 'number' || !Number.isFinite(data.seed)) throw new CondgradError(op, `seed must be a finite number, got ${String(data.seed)}`);
  const named: [string, Tensor][] = [
    ...Object.entries(data.model).map(([k, t]) => [`model.${k}`, t] as [string, Tensor]),
    ...Object.entries(data.optimizer?.tensors ?? {}).map(([k, t]) => [`optimizer.${k}`, t] as [string, Tensor]),
  ];
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of named) {
    if (!(t instanceof Tensor)) throw new CondgradError(op, `'${name}' must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.isDisposed) throw new CondgradError(op, `'${name}' ${fmtShape(t.shape)} was disposed`);
    const bytes = toBytes(await t.data());
    const pad = (8 - (offset % 8)) % 8;
    if (pad > 0) chunks.push(new Uint8Array(pad));
    offset += pad;
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset, byteLength: bytes.byteLength });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const header = new TextEncoder().encode(JSON.stringify({
    version: CHECKPOINT_VERSION,
    config: data.config,
    state: { epoch: data.epoch, step: data.step, seed: data.seed, optimizer: data.optimizer?.meta ?? null, extra: data.extra ?? {} },
    tensors: entries,
    payloadBytes: offset,
  }));
  const digest = sha256([header, ...chunks]);
  const out = new Uint8Array(PRELUDE + header.byteLength + offset);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  dv.setUint32(8, CHECKPOINT_VERSION, true);
  dv.setUint32(12, header.byteLength, true);
  out.set(digest, 16);
  let at = PRELUDE;
  for (const c of [header, ...chunks]) {
    out.set(c, at);
    at += c.byteLength;
  }
  return { bytes: out, sha256: hex(digest) };
}

/**
 * Verifies and decodes checkpoint bytes (magic, version, sizes, checksum, tensor index); `name`
 * (a file name, say) prefixes every error. Data stays on the host.
 */
export function decodeCheckpoint(bytes: Uint8Array | ArrayBuffer, name = 'checkpoint', op = 'loadCheckpoint'): LoadedCheckpoint {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const bad = (msg: string): CondgradError => new CondgradError(op, `${name}: ${msg}`);
  if (buf.byteLength < PRELUDE) throw bad(`truncated: ${buf.byteLength} bytes is shorter than the ${PRELUDE}-byte prelude`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (String.fromCharCode(...buf.subarray(0, 8)) !== CHECKPOINT_MAGIC) throw bad('not a condgrad checkpoint (bad magic)');
  const version = dv.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw bad(`unsupported format version ${version} (this build reads version ${CHECKPOINT_VERSION})`);
  const headerLen = dv.getUint32(12, true);
  if (PRELUDE + headerLen > buf.byteLength) throw bad(`truncated: header needs ${PRELUDE + headerLen} bytes, file has ${buf.byteLength}`);
  const digest = hex(sha256([buf.subarray(PRELUDE)]));
  const stored = hex(buf.subarray(16, 48));
  if (digest !== stored) {
    throw bad(`checksum mismatch (stored ${stored.slice(0, 16)}…, computed ${digest.slice(0, 16)}…): the file is corrupted or truncated`);
  }
  let h: { version: number; config: Record<string, unknown>; state: Record<string, unknown>; tensors: TensorEntry[]; payloadBytes: number };
  try {
    h = JSON.parse(new TextDecoder().decode(buf.subarray(PRELUDE, PRELUDE + headerLen))) as typeof h;
  } catch (e) {
    throw bad(`header is not valid JSON: ${(e as Error).message}`);
  }
  const payload = buf.subarray(PRELUDE + headerLen);
  if (h.payloadBytes !== payload.byteLength) throw bad(`payload is ${payload.byteLength} bytes, header says ${h.payloadBytes}`);
  const tensors: LoadedCheckpoint['tensors'] = new Map();
  for (const e of h.tensors) {
    if (!isDType(e.dtype) || !Array.isArray(e.shape) || e.byteLength !== sizeOf(e.shape) * bytesPerElement(e.dtype) || e.offset % 8 !== 0 || e.offset + e.byteLength > payload.byteLength) {
      throw bad(`tensor '${e.name}' ${e.dtype} ${fmtShape(e.shape ?? [])} has an inconsistent entry (offset ${e.offset}, ${e.byteLength} bytes, payload ${payload.byteLength})`);
    }
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: fromBytes(payload.subarray(e.offset, e.offset + e.byteLength), e.dtype) });
  }
  const s = h.state;
  return {
    version,
    config: h.config,
    epoch: checkCount(op, 'epoch', s.epoch),
    step: checkCount(op, 'step', s.step),
    seed: s.seed as number,
    optimizerMeta: (s.optimizer as OptimizerState['meta'] | null) ?? null,
    extra: (s.extra as Record<string, unknown>) ?? {},
    tensors,
  };
}
