// The browser build does not carry the `mnist` package (several MiB of JSON): loading it is a named error.

import { CondgradError } from '../errors.js';

/** Per digit 0-9: `length` images of 28x28 pixels in [0, 1], row-major in `raw`. */
export type MnistPackage = Record<number, { raw: number[]; length: number }>;

/** Always throws in the browser build. */
export function loadMnistPackage(): MnistPackage {
  throw new CondgradError(
    'loadMnist',
    "the browser build does not bundle the 'mnist' package's digits; fetch them as bytes and build an ImageDataset { images, labels, imageShape, numClasses, length } (the demo page ships them as a compact asset)",
  );
}
