// The demo's digits asset: real MNIST digits from the `mnist` package as 8-bit pixels plus labels, and its decoder.

/**
 * Layout (little-endian): "CGDIGITS" (8 bytes), version u32 = 1, train count u32, test count
 * u32, side u32 (28); then one u8 label per digit (train first, then test); then side·side u8
 * pixels per digit (0-255, row-major).
 */
export const DIGITS_MAGIC = 'CGDIGITS';
const HEADER = 24;

export interface Digits {
  side: number;
  train: { images: Float32Array; labels: Int32Array; length: number };
  test: { images: Float32Array; labels: Int32Array; length: number };
}

/** Encodes digits (pixels in [0, 1], rounded to 8 bits). */
export function encodeDigits(
  side: number,
  train: { images: Float32Array; labels: Int32Array },
  test: { images: Float32Array; labels: Int32Array },
): Uint8Array {
  const n = train.labels.length + test.labels.length;
  const per = side * side;
  const out = new Uint8Array(HEADER + n + n * per);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = DIGITS_MAGIC.charCodeAt(i);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, train.labels.length, true);
  dv.setUint32(16, test.labels.length, true);
  dv.setUint32(20, side, true);
  out.set(train.labels, HEADER);
  out.set(test.labels, HEADER + train.labels.length);
  let at = HEADER + n;
  for (const set of [train, test]) {
    for (let i = 0; i < set.images.length; i++) out[at + i] = Math.round(Math.min(1, Math.max(0, set.images[i])) * 255);
    at += set.images.length;
  }
  return out;
}

/** Decodes the asset; pixels come back normalised as (p/255 − mean) / std. */
export function decodeDigits(bytes: Uint8Array, mean = 0.1307, std = 0.3081): Digits {
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== DIGITS_MAGIC) throw new Error(`not a digits asset (magic '${magic}')`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== 1) throw new Error(`digits asset version ${version} is not 1`);
  const nTrain = dv.getUint32(12, true);
  const nTest = dv.getUint32(16, true);
  const side = dv.getUint32(20, true);
  const per = side * side;
  const n = nTrain + nTest;
  if (bytes.byteLength !== HEADER + n + n * per) throw new Error(`digits asset is ${bytes.byteLength} bytes, expected ${HEADER + n + n * per}`);
  const set = (first: number, count: number) => {
    const labels = Int32Array.from(bytes.subarray(HEADER + first, HEADER + first + count));
    const px = bytes.subarray(HEADER + n + first * per, HEADER + n + (first + count) * per);
    const images = new Float32Array(px.length);
    for (let i = 0; i < px.length; i++) images[i] = (px[i] / 255 - mean) / std;
    return { images, labels, length: count };
  };
  return { side, train: set(0, nTrain), test: set(nTrain, nTest) };
}
