// Copies of float arrays into fresh memory: Node skips the zero fill of large ones, which the copy overwrites (the browser build swaps in arrays.browser.ts).

import type { FloatArray } from '../dtype.js';

/** Bytes from which an uninitialised allocation pays for its extra call (a zero fill of 64 KiB is a few microseconds). */
const UNINIT_MIN_BYTES = 1 << 16;

/**
 * A copy of `src` (which may view a shared wasm heap) in a new Float32Array or Float64Array over
 * its own unshared ArrayBuffer of exactly its bytes. Large copies come from Buffer.allocUnsafeSlow:
 * every byte is written by the copy, so the zero fill of a fresh array (half the cost of reading
 * back megabytes) is skipped.
 */
export function copyToFresh(src: FloatArray): FloatArray {
  const bytes = src.byteLength;
  if (bytes < UNINIT_MIN_BYTES) return src.slice();
  const b = Buffer.allocUnsafeSlow(bytes);
  if (b.byteOffset !== 0 || b.buffer.byteLength !== bytes) return src.slice();
  const out = src instanceof Float32Array ? new Float32Array(b.buffer, b.byteOffset, src.length) : new Float64Array(b.buffer, b.byteOffset, src.length);
  out.set(src);
  return out;
}
