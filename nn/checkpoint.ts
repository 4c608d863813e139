// Checkpoints: a versioned, checksummed binary file of model and optimizer tensors plus JSON run state, written atomically and verified on load.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { CondgradError, fmtShape } from '../core/errors.js';
import { allocArray, bytesPerElement, type DType, type FloatArray } from '../core/dtype.js';
import { tensor } from '../core/creation.js';
import { Tensor } from '../core/tensor.js';
import type { AnyBackend, BackendName } from '../core/backend.js';
import { writeFileAtomic } from './atomic_write.js';
import { checkJsonValue, isPlainObject, validateHeader, type CheckpointHeader, type TensorEntry } from './checkpoint_schema.js';
import type { Module } from './module.js';
import type { Optimizer, OptimizerState } from './optim/optimizer.js';

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
const PRELUDE = 48;

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

function checkCount(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new CondgradError(op, `${name} must be a non-negative integer, got ${String(v)}`);
  return v;
}

/**
 * The bytes of a checkpoint file for `header` and the payload `chunks` (already laid out at the
 * header's offsets): prelude with magic, version, header length and the SHA-256 of header ‖
 * payload, then the header and the payload. Returns the chunks and the hex checksum.
 */
export function encodeCheckpoint(header: unknown, chunks: readonly Uint8Array[]): { chunks: Uint8Array[]; sha256: string } {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const hash = createHash('sha256').update(json);
  for (const c of chunks) hash.update(c);
  const digest = hash.digest();
  const prelude = Buffer.alloc(PRELUDE);
  prelude.write(CHECKPOINT_MAGIC, 0, 'latin1');
  prelude.writeUInt32LE(CHECKPOINT_VERSION, 8);
  prelude.writeUInt32LE(json.byteLength, 12);
  digest.copy(prelude, 16);
  return { chunks: [prelude, json, ...chunks], sha256: digest.toString('hex') };
}

/**
 * Writes a checkpoint atomically: to a temp file in the same directory, fsync, then rename over
 * `file` (then fsync of the directory). If anything fails, `file` keeps its previous contents and
 * the temp file is removed. Config, extra and optimizer meta must be plain JSON (a cycle, a
 * BigInt, NaN, a function or a class instance is a CondgradError naming the field). Returns the
 * file size and checksum.
 */
export async function saveCheckpoint(file: string, data: CheckpointData): Promise<{ bytes: number; sha256: string }> {
  const op = 'saveCheckpoint';
  if (typeof file !== 'string' || file === '') throw new CondgradError(op, `file must be a non-empty path, got ${String(file)}`);
  if (data === null || typeof data !== 'object') throw new CondgradError(op, `data must be an object, got ${String(data)}`);
  checkCount(op, 'epoch', data.epoch);
  checkCount(op, 'step', data.step);
  if (typeof data.seed !== 'number' || !Number.isFinite(data.seed)) throw new CondgradError(op, `seed must be a finite number, got ${String(data.seed)}`);
  if (!isPlainObject(data.config)) throw new CondgradError(op, `config must be a plain object, got ${data.config === null ? 'null' : typeof data.config}`);
  checkJsonValue(op, 'config', data.config);
  if (data.extra !== undefined && !isPlainObject(data.extra)) throw new CondgradError(op, `extra must be a plain object, got ${data.extra === null ? 'null' : typeof data.extra}`);
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
  const encoded = encodeCheckpoint(header, chunks);
  writeFileAtomic(op, file, encoded.chunks);
  return { bytes: encoded.chunks.reduce((n, c) => n + c.byteLength, 0), sha256: encoded.sha256 };
}

/**
 * Reads and verifies a checkpoint: magic, version, sizes, checksum, then the header's whole
 * schema (run state, optimizer meta, every tensor's name, dtype, shape, offset and extent, no
 * overlaps). Data stays on the host.
 */
export function readCheckpoint(file: string): LoadedCheckpoint {
  const op = 'loadCheckpoint';
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new CondgradError(op, `cannot read ${file}: ${(e as Error).message}`);
  }
  const bad = (msg: string): CondgradError => new CondgradError(op, `${file}: ${msg}`);
  if (buf.byteLength < PRELUDE) throw bad(`truncated: ${buf.byteLength} bytes is shorter than the ${PRELUDE}-byte prelude`);
  if (buf.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) throw bad('not a condgrad checkpoint (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== CHECKPOINT_VERSION) throw bad(`unsupported format version ${version} (this build reads version ${CHECKPOINT_VERSION})`);
  const headerLen = buf.readUInt32LE(12);
  if (PRELUDE + headerLen > buf.byteLength) throw bad(`truncated: header needs ${PRELUDE + headerLen} bytes, file has ${buf.byteLength}`);
  const digest = createHash('sha256').update(buf.subarray(PRELUDE)).digest();
  if (!digest.equals(buf.subarray(16, 48))) {
    throw bad(`checksum mismatch (stored ${buf.subarray(16, 48).toString('hex').slice(0, 16)}…, computed ${digest.toString('hex').slice(0, 16)}…): the file is corrupted or truncated`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', PRELUDE, PRELUDE + headerLen));
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

/**
 * Restores a verified checkpoint into a model (and optimizer): every model tensor must be present
 * with the same shape and dtype, and no others; the optimizer state must fit the optimizer. All
 * of it is checked before anything is written, so a failed restore leaves the model and the
 * optimizer as they were.
 */
export function restoreCheckpoint(ck: LoadedCheckpoint, model: Module, optimizer?: Optimizer, file = 'checkpoint'): void {
  const op = 'loadCheckpoint';
  const own = new Map(Object.entries(model.stateDict()));
  const problems: string[] = [];
  for (const [k, t] of own) {
    const e = ck.tensors.get(`model.${k}`);
    if (e === undefined) problems.push(`missing '${k}' ${fmtShape(t.shape)}`);
    else if (fmtShape(e.shape) !== fmtShape(t.shape) || e.dtype !== t.dtype) problems.push(`'${k}' is ${fmtShape(e.shape)} ${e.dtype} in the file but ${fmtShape(t.shape)} ${t.dtype} in the model`);
  }
  for (const name of ck.tensors.keys()) {
    if (name.startsWith('model.') && !own.has(name.slice(6))) problems.push(`unexpected '${name.slice(6)}'`);
  }
  if (problems.length > 0) throw new CondgradError(op, `${file} does not match the model: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  if (optimizer !== undefined && ck.optimizerMeta === null) throw new CondgradError(op, `${file} holds no optimizer state`);
  const made: Tensor[] = [];
  const mk = (name: string, backend: AnyBackend | BackendName): Tensor => {
    const e = ck.tensors.get(name)!;
    const t = tensor(e.data, e.shape, { dtype: e.dtype, backend });
    made.push(t);
    return t;
  };
  try {
    const sd = Object.create(null) as Record<string, Tensor>;
    for (const [k, t] of own) sd[k] = mk(`model.${k}`, t.backend);
    if (optimizer !== undefined) {
      const tensors = Object.create(null) as Record<string, Tensor>;
      for (const name of ck.tensors.keys()) {
        if (!name.startsWith('optimizer.')) continue;
        const i = Number(name.slice(10).split('.')[0]);
        tensors[name.slice(10)] = mk(name, optimizer.params[i]?.backend ?? 'cpu');
      }
      // loadStateDict checks everything before it changes anything; the model's tensors were
      // all checked above, so once the optimizer is loaded the model load cannot fail.
      optimizer.loadStateDict({ meta: ck.optimizerMeta!, tensors });
    }
    model.loadStateDict(sd, true);
  } catch (e) {
    if (e instanceof CondgradError) throw new CondgradError(op, `${file}: ${e.message}`);
    throw e;
  } finally {
    for (const t of made) t.dispose();
  }
}

/** readCheckpoint + restoreCheckpoint: verifies `file` and loads it into the model (and optimizer). */
export function loadCheckpoint(file: string, model: Module, optimizer?: Optimizer): LoadedCheckpoint {
  const ck = readCheckpoint(file);
  restoreCheckpoint(ck, model, optimizer, file);
  return ck;
}
