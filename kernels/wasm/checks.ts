// Argument checks of the wasm backend: every message names the kernel, the argument and the sizes.

import type { DType } from '../../core/dtype.js';
import { CondgradError } from '../../core/errors.js';
import type { Conv2dGeometry } from '../geometry/conv.js';
import type { StridedView } from '../geometry/strided.js';
import { viewRange } from '../cpu/elementwise.js';
import { checkLive, type WasmStorage } from './storage.js';
import type { WasmHeap } from './heap.js';

/** Throws unless every storage is live on `heap` and has the first one's dtype; returns that dtype. */
export function sameDtype(heap: WasmHeap, kernel: string, names: readonly string[], ss: readonly WasmStorage[]): DType {
  ss.forEach((s, i) => checkLive(kernel, names[i], s, heap));
  const d = ss[0].dtype;
  for (let i = 1; i < ss.length; i++) {
    if (ss[i].dtype !== d) {
      throw new CondgradError(`wasm.${kernel}`, `${names[0]} is ${d} but ${names[i]} is ${ss[i].dtype}; the dtypes must match`);
    }
  }
  return d;
}

export function checkSize(kernel: string, arg: string, s: WasmStorage, want: number, what: string): void {
  if (s.size !== want) throw new CondgradError(`wasm.${kernel}`, `${arg} has ${s.size} elements but ${what} needs ${want}`);
}

export function checkView(kernel: string, arg: string, s: WasmStorage, view: StridedView): void {
  const { lo, hi } = viewRange(view);
  if (lo < 0 || hi > s.size) {
    throw new CondgradError(`wasm.${kernel}`, `${arg} view [dims ${view.dims.join(',')}, strides ${view.strides.join(',')}, offset ${view.offset}] reads [${lo}, ${hi}) outside its ${s.size} elements`);
  }
}

export function checkConvX(kernel: string, x: WasmStorage, g: Conv2dGeometry): void {
  checkSize(kernel, 'x', x, g.batch * g.inC * g.inH * g.inW, `x [${g.batch},${g.inC},${g.inH},${g.inW}]`);
}

export function checkConvY(kernel: string, dy: WasmStorage, g: Conv2dGeometry): void {
  checkSize(kernel, 'dy', dy, g.batch * g.outC * g.outH * g.outW, `dy [${g.batch},${g.outC},${g.outH},${g.outW}]`);
}

export function checkConvW(kernel: string, w: WasmStorage, g: Conv2dGeometry): void {
  const lead = g.perSampleWeights ? `${g.batch},` : '';
  checkSize(kernel, 'w', w, g.weightSize * (g.perSampleWeights ? g.batch : 1), `w [${lead}${g.outC},${g.inCPerGroup},${g.kH},${g.kW}]`);
}

/** The wasm kernels index memory with 32-bit integers: refuse element counts whose byte size would not fit. */
export function checkIndexable(kernel: string, elements: number): void {
  if (elements * 4 >= 2 ** 31) throw new CondgradError(`wasm.${kernel}`, `${elements} elements exceed what a 32-bit wasm kernel can index`);
}
