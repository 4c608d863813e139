// Builds safetensors files byte by byte from the format's spec, independently of condgrad's writer.

/** The 8 bytes of n as an unsigned little-endian 64-bit integer, by arithmetic (no DataView). */
export function u64le(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Math.floor(n / 2 ** (8 * i)) % 256);
  return out;
}

/** Little-endian bytes of float32 values (the test host is little-endian; the tests check). */
export function f32le(vals: ArrayLike<number>): number[] {
  return [...new Uint8Array(Float32Array.from(vals as number[]).buffer)];
}

/** Little-endian bytes of float64 values. */
export function f64le(vals: ArrayLike<number>): number[] {
  return [...new Uint8Array(Float64Array.from(vals as number[]).buffer)];
}

/** A file straight from the spec: length, header text (padded with `pad` spaces), data bytes. */
export function handFile(header: string, data: number[], pad = 0): Uint8Array {
  const h = new TextEncoder().encode(header + ' '.repeat(pad));
  const out = new Uint8Array(8 + h.length + data.length);
  out.set(u64le(h.length));
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** One tensor of a hand-built file: its dtype string and raw little-endian bytes. */
export interface HandTensor {
  dtype: string;
  shape: number[];
  bytes: number[];
}

/** A file of named tensors laid out back to back in the given order, the header written by string concatenation. */
export function handFileOf(tensors: readonly [string, HandTensor][]): Uint8Array {
  let at = 0;
  const parts: string[] = [];
  const data: number[] = [];
  for (const [name, t] of tensors) {
    parts.push(`"${name}":{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${at},${at + t.bytes.length}]}`);
    for (const b of t.bytes) data.push(b);
    at += t.bytes.length;
  }
  return handFile(`{${parts.join(',')}}`, data);
}
