// Argument checks of the wasm backend: the shared kernel checks, plus liveness on the heap and 32-bit indexability.

import type { DType } from '../../core/dtype.js';
import { CondgradError } from '../../core/errors.js';
import { kernelChecks } from '../checks.js';
import { checkLive, type WasmStorage } from './storage.js';
import type { WasmHeap } from './heap.js';

const shared = kernelChecks('wasm');
export const { checkSize, checkView, checkConvX, checkConvY, checkConvW } = shared;

/** Throws unless every storage is live on `heap` and has the first one's dtype; returns that dtype. */
export function sameDtype(heap: WasmHeap, kernel: string, names: readonly string[], ss: readonly WasmStorage[]): DType {
  ss.forEach((s, i) => checkLive(kernel, names[i], s, heap));
  return shared.sameDtype(kernel, names, ss);
}

/** The wasm kernels index memory with 32-bit integers: refuse element counts whose byte size would not fit. */
export function checkIndexable(kernel: string, elements: number): void {
  if (elements * 4 >= 2 ** 31) throw new CondgradError(`wasm.${kernel}`, `${elements} elements exceed what a 32-bit wasm kernel can index`);
}
