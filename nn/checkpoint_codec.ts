// Checkpoint bytes: encodes tensors and JSON run state into the versioned, checksummed format and decodes and verifies it (no file system, so the browser build uses it as is).

import { CondgradError, fmtShape } from '../core/errors.js';
import { allocArray, bytesPerElement, type DType, type FloatArray } from '../core/dtype.js';
import { sha256 } from '../core/platform/sha256.js';
import { Tensor } from '../core/tensor.js';
import { checkJsonValue, isPlainObject, validateHeader, type CheckpointHeader, type TensorEntry } from './checkpoint_schema.js';
import type { OptimizerState } from './optim/optimizer.js';

export type { TensorEntry } from './checkpoint_schema.js';

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
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CondgradError(op, `${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * The frame of a checkpoint for `header` (any JSON value) and the payload `chunks` (already laid
 * out at the header's offsets): the prelude with magic, version, header length and the SHA-256 of
 * header ‖ payload, then the header and the payload. Returns the chunks and the hex checksum.
 * encodeCheckpoint builds on it; tests use it to write headers encodeCheckpoint never would.
 */
export function encodeCheckpointFrame(header: unknown, chunks: readonly Uint8Array[]): { chunks: Uint8Array[]; sha256: string } {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const digest = sha256([json, ...chunks]);
  const prelude = new Uint8Array(PRELUDE);
  const dv = new DataView(prelude.buffer);
  for (let i = 0; i < 8; i++) prelude[i] = CHECKPOINT_MAGIC.charCodeAt(i);
  dv.setUint32(8, CHECKPOINT_VERSION, true);
  dv.setUint32(12, json.byteLength, true);
  prelude.set(digest, 16);
  return { chunks: [prelude, json, ...chunks], sha256: hex(digest) };
}

/**
 * The checkpoint as bytes (see the file layout above), with its SHA-256 (hex). Config, extra and
 * optimizer meta must be plain JSON (a cycle, a BigInt, NaN, a function or a class instance is a
 * CondgradError naming the field). `op` names the caller in errors. In the browser,
 * `new Blob([bytes])` makes a download of it.
 */
export async function encodeCheckpoint(data: CheckpointData, op = 'encodeCheckpoint'): Promise<{ bytes: Uint8Array; sha256: string }> {
  if (data === null || typeof data !== 'object') throw new CondgradError(op, `data must be an object, got ${String(data)}`);
  checkCount(op, 'epoch', data.epoch);
  checkCount(op, 'step', data.step);
  if (typeof data.seed !== 'number' || !Number.isFinite(data.seed)) throw new CondgradError(op, `seed must be a finite number, got ${String(data.seed)}`);
  if (!isPlainObject(data.config)) throw new CondgradError(op, `config must be a plain object, got ${data.config === null ? 'null' : typeof data.config}`);
  checkJsonValue(op, 'config', data.config);
  if (data.extra !== undefined && !isPlainObject(data.extra))
    throw new CondgradError(op, `extra must be a plain object, got ${data.extra === null ? 'null' : typeof data.extra}`);
  if (data.extra !== undefined) checkJsonValue(op, 'extra', data.extra);
  if (data.model === null || typeof data.model !== 'object') throw new CondgradError(op, 'model must be an object of tensors (model.stateDict())');
  if (data.optimizer !== undefined) checkJsonValue(op, 'optimizer.meta', data.optimizer.meta);
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
  const header: CheckpointHeader = {
    version: CHECKPOINT_VERSION,
    config: data.config,
    state: { epoch: data.epoch, step: data.step, seed: data.seed, optimizer: data.optimizer?.meta ?? null, extra: data.extra ?? {} },
    tensors: entries,
    payloadBytes: offset,
  };
  const frame = encodeCheckpointFrame(header, chunks);
  const out = new Uint8Array(frame.chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of frame.chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return { bytes: out, sha256: frame.sha256 };
}

/**
 * Verifies and decodes checkpoint bytes (magic, version, sizes, checksum, then the header's whole schema: run state, optimizer meta, every tensor's name, dtype, shape, offset and extent, no overlaps); `name`
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(buf.subarray(PRELUDE, PRELUDE + headerLen)));
  } catch (e) {
    throw bad(`header is not valid JSON: ${(e as Error).message}`);
  }
  const payload = buf.subarray(PRELUDE + headerLen);
  const h = validateHeader(parsed, payload.byteLength, bad);
  if (h.version !== version) throw bad(`header says format version ${String(h.version)}, the prelude ${version}`);
  const tensors: LoadedCheckpoint['tensors'] = new Map();
  for (const e of h.tensors) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: fromBytes(payload.subarray(e.offset, e.offset + e.byteLength), e.dtype) });
  }
  const s = h.state;
  return { version, config: h.config, epoch: s.epoch, step: s.step, seed: s.seed, optimizerMeta: s.optimizer, extra: s.extra, tensors };
}
