// Argument checks shared by every backend's kernels: matching dtypes, storage sizes against the geometry, strided views in bounds.

import type { DType } from '../core/dtype.js';
import { CondgradError } from '../core/errors.js';
import type { Storage } from '../core/backend.js';
import type { Conv2dGeometry } from './geometry/conv.js';
import type { BatchNormGeometry } from './geometry/norm.js';
import { viewRange, type StridedView } from './geometry/strided.js';

/**
 * The checks of one backend; every message starts `<backend>.<kernel>:` and names the argument and
 * sizes. Plain functions (no `this`), so backends destructure them.
 */
export interface KernelChecks {
  /** Throws unless every storage has the first one's dtype; returns that dtype. */
  readonly sameDtype: (kernel: string, names: readonly string[], ss: readonly Storage[]) => DType;
  readonly checkSize: (kernel: string, arg: string, s: Storage, want: number, what: string) => void;
  /** Throws unless `view` reads only inside a buffer of `size` elements. */
  readonly checkView: (kernel: string, arg: string, size: number, view: StridedView) => void;
  /** x: [batch, inC, inH, inW]. */
  readonly checkConvX: (kernel: string, x: Storage, g: Conv2dGeometry, arg?: string) => void;
  /** dy: [batch, outC, outH, outW]. */
  readonly checkConvY: (kernel: string, dy: Storage, g: Conv2dGeometry) => void;
  /** w: [outC, inCPerGroup, kH, kW], with a leading batch dim when g.perSampleWeights. */
  readonly checkConvW: (kernel: string, w: Storage, g: Conv2dGeometry) => void;
  /**
   * Batch norm: the `full` storages are [B, C, H, W], the `perChannel` ones [C] (null entries are
   * skipped), `stats` (if given) [3, C]; all of one dtype, which it returns.
   */
  readonly checkBatchNorm: (
    kernel: string,
    full: Readonly<Record<string, Storage>>,
    perChannel: Readonly<Record<string, Storage | null>>,
    g: BatchNormGeometry,
    stats?: Storage,
  ) => DType;
}

export function kernelChecks(backend: string): KernelChecks {
  const fail = (kernel: string, msg: string): never => {
    throw new CondgradError(`${backend}.${kernel}`, msg);
  };
  const checkSize = (kernel: string, arg: string, s: Storage, want: number, what: string): void => {
    if (s.size !== want) fail(kernel, `${arg} has ${s.size} elements but ${what} needs ${want}`);
  };
  return {
    sameDtype(kernel, names, ss) {
      const d = ss[0].dtype;
      for (let i = 1; i < ss.length; i++) {
        if (ss[i].dtype !== d) fail(kernel, `${names[0]} is ${d} but ${names[i]} is ${ss[i].dtype}; the dtypes must match`);
      }
      return d;
    },
    checkSize,
    checkView(kernel, arg, size, view) {
      const { lo, hi } = viewRange(view);
      if (lo < 0 || hi > size) {
        fail(
          kernel,
          `${arg} view [dims ${view.dims.join(',')}, strides ${view.strides.join(',')}, offset ${view.offset}] reads [${lo}, ${hi}) outside its ${size} elements`,
        );
      }
    },
    checkConvX(kernel, x, g, arg = 'x') {
      checkSize(kernel, arg, x, g.inputSize, `x [${g.batch},${g.inC},${g.inH},${g.inW}]`);
    },
    checkConvY(kernel, dy, g) {
      checkSize(kernel, 'dy', dy, g.outputSize, `dy [${g.batch},${g.outC},${g.outH},${g.outW}]`);
    },
    checkConvW(kernel, w, g) {
      const lead = g.perSampleWeights ? `${g.batch},` : '';
      checkSize(kernel, 'w', w, g.weightStorageSize, `w [${lead}${g.outC},${g.inCPerGroup},${g.kH},${g.kW}]`);
    },
    checkBatchNorm(kernel, full, perChannel, g, stats) {
      const names: string[] = [];
      const ss: Storage[] = [];
      const shape = `[${g.batch},${g.channels},H·W=${g.plane}]`;
      for (const [name, s] of Object.entries(full)) {
        checkSize(kernel, name, s, g.size, `x ${shape}`);
        names.push(name);
        ss.push(s);
      }
      for (const [name, s] of Object.entries(perChannel)) {
        if (s === null) continue;
        checkSize(kernel, name, s, g.channels, `the channels of x ${shape}`);
        names.push(name);
        ss.push(s);
      }
      if (stats !== undefined) {
        checkSize(kernel, 'stats', stats, 3 * g.channels, `[3, C] statistics of x ${shape}`);
        names.push('stats');
        ss.push(stats);
      }
      const d = ss[0].dtype;
      for (let i = 1; i < ss.length; i++) {
        if (ss[i].dtype !== d) fail(kernel, `${names[0]} is ${d} but ${names[i]} is ${ss[i].dtype}; the dtypes must match`);
      }
      return d;
    },
  };
}
