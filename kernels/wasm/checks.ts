// Argument checks of the wasm backend: the shared kernel checks, plus liveness on the heap and 32-bit indexability.

import type { DType } from '../../core/dtype.js';
import { CondgradError } from '../../core/errors.js';
import type { Conv2dGeometry } from '../geometry/conv.js';
import type { Pool2dGeometry } from '../geometry/pool.js';
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

const I32 = 2 ** 31;

/** Padded planes larger than this many floats (beyond the input and output themselves) are not worth the scratch. */
const MAX_PAD_FLOATS = 1 << 24;

/**
 * Why a conv geometry does not fit the wasm kernels' 32-bit argument blocks and index math, or
 * null when it does. A stride of 2^32 or 1e300 would wrap to 0 in an i32 slot (a divide by zero
 * in the kernel); a huge dilation with matching padding would ask for padded planes of hundreds
 * of GB. The reference loops compute such convs exactly, so the backend runs those instead.
 */
export function convOutsideWasm(g: Conv2dGeometry): string | null {
  const fields: [string, number][] = [
    ['stride', Math.max(g.strideH, g.strideW)],
    ['dilation', Math.max(g.dilationH, g.dilationW)],
    ['padding', Math.max(g.padTop, g.padBottom, g.padLeft, g.padRight)],
    ['input extent', Math.max(g.inH, g.inW)],
    ['output extent', Math.max(g.outH, g.outW)],
    // The largest padded row/column index a tap reaches: (out − 1)·stride + (k − 1)·dilation.
    ['tap index', Math.max(g.paddedH, g.paddedW) - 1],
  ];
  for (const [name, v] of fields) if (!(Math.abs(v) < I32)) return `its ${name} ${v} does not fit a 32-bit kernel argument`;
  const padded = (g.inH + g.padTop + g.padBottom) * (g.inW + g.padLeft + g.padRight) * g.inCPerGroup;
  if (padded > MAX_PAD_FLOATS + 4 * (g.inH * g.inW + g.outH * g.outW) * g.inCPerGroup) {
    return `its padded plane of ${padded} floats per group (padding ${g.padTop},${g.padBottom},${g.padLeft},${g.padRight}) is mostly padding`;
  }
  return null;
}

/** As convOutsideWasm, for pooling windows. */
export function poolOutsideWasm(g: Pool2dGeometry): string | null {
  const v = Math.max(g.strideH, g.strideW, g.kH, g.kW, g.padTop, g.padLeft, (g.outH - 1) * g.strideH + g.kH, (g.outW - 1) * g.strideW + g.kW);
  return Math.abs(v) < I32 ? null : `a window index ${v} does not fit a 32-bit kernel argument`;
}
