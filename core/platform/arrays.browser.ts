// Copies of float arrays into fresh memory, browser build: a plain slice (no uninitialised allocation exists there).

import type { FloatArray } from '../dtype.js';

/** A copy of `src` in a new array of its type over its own unshared ArrayBuffer. */
export function copyToFresh(src: FloatArray): FloatArray {
  return src.slice();
}
