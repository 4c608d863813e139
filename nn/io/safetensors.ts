// safetensors encode/decode on bytes (no Node built-ins, so the browser build can use it): tensors ↔ Uint8Array, to the format's spec.

import { allocArray, type DType, type FloatArray } from '../../core/dtype.js';
import { tensor } from '../../core/creation.js';
import { Tensor } from '../../core/tensor.js';
import type { AnyBackend, BackendName } from '../../core/backend.js';
import { parseSafetensorsHeader, SafetensorsError, type SafetensorsEntry } from './safetensors_header.js';

/** Tensors by name: a Map (kept in its order) or a plain object such as a state dict. */
export type NamedTensors = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export interface DecodeSafetensorsOptions {
  /** Backend of the created tensors (default: the default backend). */
  backend?: BackendName | AnyBackend;
  /**
   * Integer and BOOL tensors (U8…U64, I8…I64): 'error' (default) throws a SafetensorsError;
   * 'float64' converts them exactly to float64 (I64/U64 values beyond ±2^53 are an error);
   * 'skip' leaves them out (e.g. BatchNorm's num_batches_tracked in PyTorch files).
   */
  integers?: 'error' | 'float64' | 'skip';
  /** F8_*, C64, F4, F6_*: 'error' (default) or 'skip'. F16 and BF16 are always read, as float32 (exactly). */
  unsupported?: 'error' | 'skip';
}

/** A decoded tensor still on the host. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: FloatArray;
}

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const INTEGER = new Set(['BOOL', 'U8', 'I8', 'U16', 'I16', 'U32', 'I32', 'U64', 'I64']);
const F16_SCALE = 2 ** -24;

/** IEEE binary16 bits → number (exact in float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * F16_SCALE;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1024 + m) * 2 ** (e - 25);
}

function fromLittleEndian(bytes: Uint8Array, dtype: DType): FloatArray {
  const size = dtype === 'float32' ? 4 : 8;
  const n = bytes.byteLength / size;
  if (LE) {
    // A fresh, aligned copy (slicing a Node buffer would give a view of its shared pool).
    const out = allocArray(dtype, n);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const out = allocArray(dtype, n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = size === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
  return out;
}

function readEntry(op: string, source: string, e: SafetensorsEntry, raw: Uint8Array, opts: DecodeSafetensorsOptions): HostTensor | null {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = e.shape.reduce((a, b) => a * b, 1);
  switch (e.dtype) {
    case 'F32':
      return { dtype: 'float32', shape: e.shape, data: fromLittleEndian(raw, 'float32') };
    case 'F64':
      return { dtype: 'float64', shape: e.shape, data: fromLittleEndian(raw, 'float64') };
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(n);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) {
        const h = dv.getUint16(i * 2, true);
        if (e.dtype === 'BF16') u32[i] = h << 16;
        else out[i] = halfToFloat(h);
      }
      return { dtype: 'float32', shape: e.shape, data: out };
    }
  }
  const integer = INTEGER.has(e.dtype);
  const mode = integer ? (opts.integers ?? 'error') : (opts.unsupported ?? 'error');
  if (mode === 'skip') return null;
  if (mode !== 'float64') {
    const hint = integer ? "pass { integers: 'float64' } to convert or { integers: 'skip' } to leave them out" : "pass { unsupported: 'skip' } to leave it out";
    throw new SafetensorsError(
      op,
      'dtype-unsupported',
      `${source}: tensor '${e.name}' has dtype ${e.dtype}, which condgrad tensors (float32, float64) cannot hold; ${hint}`,
    );
  }
  const out = new Float64Array(n);
  const size = raw.byteLength / Math.max(n, 1);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    let v: number;
    switch (e.dtype) {
      case 'BOOL':
        v = dv.getUint8(o) === 0 ? 0 : 1;
        break;
      case 'U8':
        v = dv.getUint8(o);
        break;
      case 'I8':
        v = dv.getInt8(o);
        break;
      case 'U16':
        v = dv.getUint16(o, true);
        break;
      case 'I16':
        v = dv.getInt16(o, true);
        break;
      case 'U32':
        v = dv.getUint32(o, true);
        break;
      case 'I32':
        v = dv.getInt32(o, true);
        break;
      default: {
        const b = e.dtype === 'I64' ? dv.getBigInt64(o, true) : dv.getBigUint64(o, true);
        v = Number(b);
        if (!Number.isSafeInteger(v))
          throw new SafetensorsError(
            op,
            'dtype-unsupported',
            `${source}: tensor '${e.name}' ${e.dtype} element ${i} = ${b} is not exactly representable as float64`,
          );
      }
    }
    out[i] = v;
  }
  return { dtype: 'float64', shape: e.shape, data: out };
}

/**
 * Decodes safetensors bytes to host arrays (every check first, so a bad file yields nothing).
 * The Map is in file order (by data offset). Used by decodeSafetensors and the model loaders.
 */
export function decodeSafetensorsHost(
  bytes: Uint8Array,
  opts: DecodeSafetensorsOptions = {},
  op = 'decodeSafetensors',
  source = 'safetensors data',
): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  for (const [k, allowed] of [
    ['integers', ['error', 'float64', 'skip']],
    ['unsupported', ['error', 'skip']],
  ] as const) {
    const v = (opts as Record<string, unknown>)[k];
    if (v !== undefined && !(allowed as readonly unknown[]).includes(v))
      throw new SafetensorsError(op, 'argument', `${k} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  const h = parseSafetensorsHeader(bytes, op, source);
  const data = bytes.subarray(h.dataStart);
  const tensors = new Map<string, HostTensor>();
  for (const e of h.entries) {
    const t = readEntry(op, source, e, data.subarray(e.begin, e.end), opts);
    if (t !== null) tensors.set(e.name, t);
  }
  return { tensors, metadata: h.metadata };
}

/**
 * Decodes a safetensors file's bytes into tensors by name, in file order. F32 → float32,
 * F64 → float64, F16/BF16 → float32 (exact); integer dtypes per `opts.integers`. Malformed input
 * throws a SafetensorsError (a CondgradError with a `reason`) before any tensor is made.
 * The header's `__metadata__` is returned by parseSafetensorsHeader.
 */
export function decodeSafetensors(bytes: Uint8Array, opts: DecodeSafetensorsOptions = {}): Map<string, Tensor> {
  return hostToTensors(decodeSafetensorsHost(bytes, opts).tensors, opts.backend);
}

/** Host arrays → tensors on `backend` (default: the default backend). */
export function hostToTensors(host: ReadonlyMap<string, HostTensor>, backend?: BackendName | AnyBackend): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  try {
    for (const [name, t] of host) out.set(name, tensor(t.data, t.shape, { dtype: t.dtype, backend }));
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

function toLittleEndian(a: FloatArray): Uint8Array {
  if (LE) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(i * 4, a[i], true);
    else dv.setFloat64(i * 8, a[i], true);
  }
  return out;
}

/** Tensors in a NamedTensors, in order, checked (names, disposed tensors). */
export function namedEntries(op: string, tensors: NamedTensors): [string, Tensor][] {
  if (tensors === null || typeof tensors !== 'object')
    throw new SafetensorsError(op, 'argument', `tensors must be a Map or an object of tensors, got ${String(tensors)}`);
  const list: [string, Tensor][] =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, Tensor>).entries()] : Object.entries(tensors as Record<string, Tensor>);
  for (const [name, t] of list) {
    if (typeof name !== 'string') throw new SafetensorsError(op, 'argument', `tensor names must be strings, got ${String(name)}`);
    if (name === '__metadata__') throw new SafetensorsError(op, 'argument', "'__metadata__' is reserved by the format and cannot name a tensor");
    if (!(t instanceof Tensor)) throw new SafetensorsError(op, 'argument', `'${name}' must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    if (t.isDisposed) throw new SafetensorsError(op, 'argument', `'${name}' was disposed`);
  }
  return list;
}

/**
 * Encodes tensors (float32 → F32, float64 → F64) as a safetensors file. Layout: 8-byte
 * little-endian header length N, then N bytes of JSON: `__metadata__` first (when given), then
 * one entry per tensor in the given order (Map or object order), padded with spaces so the data
 * starts on an 8-byte boundary; then each tensor's little-endian row-major data, in the same
 * order, back to back. Reads data with `await t.data()`, so tensors on any backend (gpu too) work.
 * metadata: string → string.
 */
export async function encodeSafetensors(tensors: NamedTensors, metadata?: Readonly<Record<string, string>>): Promise<Uint8Array> {
  const op = 'encodeSafetensors';
  const list = namedEntries(op, tensors);
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))
      throw new SafetensorsError(op, 'metadata', `metadata must be an object of strings, got ${String(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(op, 'metadata', `metadata '${k}' must be a string, got ${typeof v}`);
    }
  }
  const chunks: Uint8Array[] = [];
  // Keys are written one by one: a JS object would move integer-like names to the front.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const [name, t] of list) {
    const bytes = toLittleEndian(await t.data());
    const entry = { dtype: t.dtype === 'float32' ? 'F32' : 'F64', shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const pad = (8 - (header.byteLength % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(header.byteLength + pad).fill(0x20);
    padded.set(header);
    header = padded;
  }
  const out = new Uint8Array(8 + header.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
