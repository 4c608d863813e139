// The safetensors header: dtypes, SafetensorsError, and a strict parser/validator of the 8-byte length + JSON header (no Node built-ins).

import { CondgradError } from '../../core/errors.js';

/** Every dtype the safetensors format names, with its size in bits. */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
  C64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
});

/** The largest header this reader accepts (the format's own cap): 100 MB. */
export const SAFETENSORS_MAX_HEADER = 100_000_000;

/** What was wrong with a safetensors file or argument (SafetensorsError.reason). */
export type SafetensorsFault =
  | 'truncated'
  | 'header-too-large'
  | 'header-utf8'
  | 'header-json'
  | 'header-object'
  | 'entry'
  | 'dtype-unknown'
  | 'dtype-unsupported'
  | 'shape'
  | 'offsets'
  | 'size-mismatch'
  | 'coverage'
  | 'metadata'
  | 'keys'
  | 'mismatch'
  | 'argument';

/** A CondgradError for safetensors input, with a machine-readable `reason`. */
export class SafetensorsError extends CondgradError {
  readonly reason: SafetensorsFault;
  constructor(op: string, reason: SafetensorsFault, message: string) {
    super(op, message);
    this.name = 'SafetensorsError';
    this.reason = reason;
  }
}

/** One tensor's header entry; begin/end are byte offsets relative to the first byte after the header. */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** A validated header: entries in file (data offset) order, the metadata, and where the data starts. */
export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file: 8 + header length. */
  dataStart: number;
  /** Bytes in the data section. */
  dataLength: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Throws unless `v` is a non-negative safe integer. */
function nonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses and validates a safetensors file's header without reading tensor data: an 8-byte
 * little-endian u64 header length N (N ≤ 100 MB, 8 + N ≤ file size), N bytes of UTF-8 JSON that
 * start with '{' (trailing whitespace allowed), an object whose `__metadata__` (optional) maps
 * strings to strings and whose other keys are tensors `{dtype, shape, data_offsets: [begin, end]}`.
 * Every dtype must be a safetensors dtype, every shape non-negative integers, every entry's byte
 * size must equal shape × dtype size, and the entries sorted by offset must cover the data section
 * exactly, with no overlap and no hole. `source` names the file in messages.
 */
export function parseSafetensorsHeader(bytes: Uint8Array, op = 'parseSafetensorsHeader', source = 'safetensors data'): SafetensorsHeader {
  if (!(bytes instanceof Uint8Array))
    throw new SafetensorsError(op, 'argument', `expected a Uint8Array of file bytes, got ${bytes === null ? 'null' : typeof bytes}`);
  const fail = (reason: SafetensorsFault, msg: string): SafetensorsError => new SafetensorsError(op, reason, `${source}: ${msg}`);
  if (bytes.byteLength < 8) throw fail('truncated', `${bytes.byteLength} bytes is shorter than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(SAFETENSORS_MAX_HEADER)) throw fail('header-too-large', `header length ${n64} exceeds the format's cap of ${SAFETENSORS_MAX_HEADER} bytes`);
  const n = Number(n64);
  if (8 + n > bytes.byteLength) throw fail('truncated', `header length ${n} runs past the end of the ${bytes.byteLength}-byte file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw fail('header-utf8', 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw fail('header-json', `header must start with '{', got ${JSON.stringify(text.slice(0, 16))}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail('header-json', `header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw fail('header-object', 'header must be a JSON object of tensor entries');
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (v === null) continue;
      if (!isObject(v)) throw fail('metadata', '__metadata__ must be an object of strings');
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw fail('metadata', `__metadata__ value '${k}' must be a string, got ${JSON.stringify(s)}`);
        metadata[k] = s;
      }
      continue;
    }
    if (!isObject(v)) throw fail('entry', `tensor '${name}' must be an object {dtype, shape, data_offsets}, got ${JSON.stringify(v)}`);
    const { dtype, shape, data_offsets: off } = v;
    if (typeof dtype !== 'string') throw fail('entry', `tensor '${name}' has no string dtype`);
    const bits = Object.prototype.hasOwnProperty.call(SAFETENSORS_DTYPE_BITS, dtype) ? SAFETENSORS_DTYPE_BITS[dtype] : undefined;
    if (bits === undefined) throw fail('dtype-unknown', `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(nonNegInt))
      throw fail('shape', `tensor '${name}' shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every(nonNegInt))
      throw fail('entry', `tensor '${name}' data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(off)}`);
    const [begin, end] = off;
    if (begin > end) throw fail('offsets', `tensor '${name}' data_offsets [${begin}, ${end}] end before they begin`);
    if (end > dataLength) throw fail('offsets', `tensor '${name}' data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section`);
    const elements = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(elements * bits)) throw fail('shape', `tensor '${name}' shape ${JSON.stringify(shape)} is too large`);
    if (elements * bits !== (end - begin) * 8) {
      throw fail(
        'size-mismatch',
        `tensor '${name}' ${dtype} ${JSON.stringify(shape)} needs ${(elements * bits) / 8} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  // File order; zero-byte entries keep header order among equal offsets.
  const order = entries
    .map((e, i) => [e, i] as const)
    .sort((a, b) => a[0].begin - b[0].begin || a[0].end - b[0].end || a[1] - b[1])
    .map(([e]) => e);
  let at = 0;
  for (const e of order) {
    if (e.begin < at) throw fail('offsets', `tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] overlap the previous tensor, which ends at ${at}`);
    if (e.begin > at)
      throw fail('coverage', `bytes [${at}, ${e.begin}) of the data section belong to no tensor (before '${e.name}'); the format allows no holes`);
    at = e.end;
  }
  if (at !== dataLength) throw fail('coverage', `the tensors cover ${at} bytes but the data section has ${dataLength}; the format allows no trailing bytes`);
  return { entries: order, metadata, dataStart, dataLength };
}
