// The reference CPU backend: typed-array storages and the pure kernels of kernels/cpu, for float32 and float64.

import { allocArray, bytesPerElement, dtypeOfArray, type DType, type FloatArray } from '../../core/dtype.js';
import { CondgradError } from '../../core/errors.js';
import type { AdamStepHyper, Backend, MemoryStats, Storage } from '../../core/backend.js';
import type { BinaryOp, ReduceOp, UnaryOp } from '../elementwise.js';
import type { BinaryGeometry } from '../geometry/broadcast.js';
import type { Conv2dGeometry } from '../geometry/conv.js';
import type { BatchNormGeometry } from '../geometry/norm.js';
import type { MatmulGeometry } from '../geometry/matmul.js';
import type { ConcatGeometry, PadGeometry } from '../geometry/movement.js';
import type { Pool2dGeometry } from '../geometry/pool.js';
import type { ReduceGeometry } from '../geometry/reduce.js';
import { type StridedView } from '../geometry/strided.js';
import { sizeOf } from '../../core/shape.js';
import { adamStepInto } from './adam.js';
import { conv2dBackwardFilter, conv2dBackwardInput, conv2dForward } from './conv.js';
import { binaryForward, castInto, unaryBackward, unaryForward } from './elementwise.js';
import { kernelChecks } from '../checks.js';
import { matmulForward } from './matmul.js';
import { applyChannels, backwardParams, channelSums, forwardParams, statsFromSums } from './norm.js';
import { concatForward, gatherView, padForward } from './movement.js';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward } from './pool.js';
import { reduceForward } from './reduce.js';

/** A CPU buffer: a typed array of exactly `size` elements of `dtype`. */
export interface CpuStorage extends Storage {
  readonly dtype: DType;
  readonly size: number;
  readonly data: FloatArray;
}

const { sameDtype, checkSize, checkView, checkConvX, checkConvY, checkConvW, checkBatchNorm } = kernelChecks('cpu');

const DTYPES: readonly DType[] = ['float32', 'float64'];

/** The reference backend. Storages are GC-managed typed arrays; dispose is a no-op. */
export class CpuBackend implements Backend<CpuStorage> {
  readonly name = 'cpu' as const;
  readonly dtypes: readonly DType[] = DTYPES;
  private allocations = 0;
  private bytesAllocated = 0;

  /** The one allocator: every storage this backend returns comes from here. */
  private alloc(dtype: DType, size: number): CpuStorage {
    if (!DTYPES.includes(dtype)) throw new CondgradError('cpu.alloc', `unsupported dtype ${String(dtype)}`);
    if (!Number.isInteger(size) || size < 0) throw new CondgradError('cpu.alloc', `size must be a non-negative integer, got ${size}`);
    this.allocations++;
    this.bytesAllocated += size * bytesPerElement(dtype);
    return { dtype, size, data: allocArray(dtype, size) };
  }

  // ---- memory ----
  fromArray(data: FloatArray): CpuStorage {
    const s = this.alloc(dtypeOfArray(data), data.length);
    s.data.set(data);
    return s;
  }
  zeros(dtype: DType, size: number): CpuStorage {
    return this.alloc(dtype, size);
  }
  read(s: CpuStorage): Promise<FloatArray> {
    return Promise.resolve(s.data.slice());
  }
  readSync(s: CpuStorage): FloatArray {
    return s.data.slice();
  }
  dispose(_s: CpuStorage): void {
    // Typed arrays are garbage collected.
  }
  memory(): MemoryStats {
    return { allocations: this.allocations, bytesAllocated: this.bytesAllocated, liveBuffers: null, liveBytes: null };
  }
  /** Holds no threads or devices: nothing to release. */
  destroy(): Promise<void> {
    return Promise.resolve();
  }

  // ---- elementwise and reductions ----
  cast(x: CpuStorage, dtype: DType): CpuStorage {
    const out = this.alloc(dtype, x.size);
    castInto(x.data, out.data);
    return out;
  }
  unary(x: CpuStorage, op: UnaryOp): CpuStorage {
    const out = this.alloc(x.dtype, x.size);
    unaryForward(x.data, out.data, op);
    return out;
  }
  unaryBackward(x: CpuStorage, y: CpuStorage, dy: CpuStorage, op: UnaryOp): CpuStorage {
    const k = `unaryBackward(${op.name})`;
    const dtype = sameDtype(k, ['x', 'y', 'dy'], [x, y, dy]);
    checkSize(k, 'y', y, x.size, 'x');
    checkSize(k, 'dy', dy, x.size, 'x');
    const out = this.alloc(dtype, x.size);
    unaryBackward(x.data, y.data, dy.data, out.data, op);
    return out;
  }
  binary(a: CpuStorage, b: CpuStorage, op: BinaryOp, g: BinaryGeometry): CpuStorage {
    const k = `binary(${op})`;
    const dtype = sameDtype(k, ['a', 'b'], [a, b]);
    if (g.sameShape) {
      checkSize(k, 'a', a, g.size, 'the output');
      checkSize(k, 'b', b, g.size, 'the output');
    } else {
      checkView(k, 'a', a.size, g.a);
      checkView(k, 'b', b.size, g.b);
    }
    const out = this.alloc(dtype, g.size);
    binaryForward(a.data, b.data, out.data, op, g);
    return out;
  }
  reduce(x: CpuStorage, op: ReduceOp, g: ReduceGeometry): CpuStorage {
    checkSize(`reduce(${op})`, 'x', x, sizeOf(g.inShape), `shape [${g.inShape.join(',')}]`);
    const out = this.alloc(x.dtype, g.outSize);
    reduceForward(x.data, out.data, op, g);
    return out;
  }

  // ---- movement ----
  gather(x: CpuStorage, view: StridedView): CpuStorage {
    checkView('gather', 'x', x.size, view);
    const out = this.alloc(x.dtype, sizeOf(view.dims));
    gatherView(x.data, out.data, view);
    return out;
  }
  pad(x: CpuStorage, g: PadGeometry): CpuStorage {
    checkSize('pad', 'x', x, sizeOf(g.inShape), `shape [${g.inShape.join(',')}]`);
    const out = this.alloc(x.dtype, sizeOf(g.outShape));
    padForward(x.data, out.data, g);
    return out;
  }
  concat(xs: readonly CpuStorage[], g: ConcatGeometry): CpuStorage {
    if (xs.length === 0 || xs.length !== g.widths.length) {
      throw new CondgradError('cpu.concat', `got ${xs.length} inputs for a geometry of ${g.widths.length}`);
    }
    const dtype = sameDtype(
      'concat',
      xs.map((_, i) => `xs[${i}]`),
      xs,
    );
    xs.forEach((x, i) => checkSize('concat', `xs[${i}]`, x, g.outer * g.widths[i], 'its block of the output'));
    const out = this.alloc(dtype, sizeOf(g.outShape));
    concatForward(
      xs.map((x) => x.data),
      out.data,
      g,
    );
    return out;
  }

  // ---- linear algebra ----
  matmul(a: CpuStorage, b: CpuStorage, g: MatmulGeometry): CpuStorage {
    const dtype = sameDtype('matmul', ['a', 'b'], [a, b]);
    checkSize('matmul', 'a', a, (g.aBatchStride === 0 ? 1 : g.batch) * g.M * g.K, `M=${g.M} K=${g.K} batch=${g.batch}`);
    checkSize('matmul', 'b', b, (g.bBatchStride === 0 ? 1 : g.batch) * g.K * g.N, `K=${g.K} N=${g.N} batch=${g.batch}`);
    const out = this.alloc(dtype, g.batch * g.M * g.N);
    matmulForward(a.data, b.data, out.data, g);
    return out;
  }

  // ---- convolution ----
  conv2d(x: CpuStorage, w: CpuStorage, g: Conv2dGeometry): CpuStorage {
    const dtype = sameDtype('conv2d', ['x', 'w'], [x, w]);
    checkConvX('conv2d', x, g);
    checkConvW('conv2d', w, g);
    const out = this.alloc(dtype, g.outputSize);
    conv2dForward(x.data, w.data, out.data, g);
    return out;
  }
  conv2dBackwardInput(dy: CpuStorage, w: CpuStorage, g: Conv2dGeometry): CpuStorage {
    const dtype = sameDtype('conv2dBackwardInput', ['dy', 'w'], [dy, w]);
    checkConvY('conv2dBackwardInput', dy, g);
    checkConvW('conv2dBackwardInput', w, g);
    const out = this.alloc(dtype, g.inputSize);
    conv2dBackwardInput(dy.data, w.data, out.data, g);
    return out;
  }
  conv2dBackwardFilter(x: CpuStorage, dy: CpuStorage, g: Conv2dGeometry): CpuStorage {
    const dtype = sameDtype('conv2dBackwardFilter', ['x', 'dy'], [x, dy]);
    checkConvX('conv2dBackwardFilter', x, g);
    checkConvY('conv2dBackwardFilter', dy, g);
    const out = this.alloc(dtype, g.weightStorageSize);
    conv2dBackwardFilter(x.data, dy.data, out.data, g);
    return out;
  }

  // ---- pooling ----
  maxPool2d(x: CpuStorage, g: Pool2dGeometry): CpuStorage {
    checkSize('maxPool2d', 'x', x, g.batch * g.channels * g.inH * g.inW, 'the pool input');
    const out = this.alloc(x.dtype, g.batch * g.channels * g.outH * g.outW);
    maxPool2dForward(x.data, out.data, g);
    return out;
  }
  maxPool2dBackward(x: CpuStorage, dy: CpuStorage, g: Pool2dGeometry): CpuStorage {
    const dtype = sameDtype('maxPool2dBackward', ['x', 'dy'], [x, dy]);
    checkSize('maxPool2dBackward', 'x', x, g.batch * g.channels * g.inH * g.inW, 'the pool input');
    checkSize('maxPool2dBackward', 'dy', dy, g.batch * g.channels * g.outH * g.outW, 'the pool output');
    const out = this.alloc(dtype, x.size);
    maxPool2dBackward(x.data, dy.data, out.data, g);
    return out;
  }
  avgPool2d(x: CpuStorage, g: Pool2dGeometry): CpuStorage {
    checkSize('avgPool2d', 'x', x, g.batch * g.channels * g.inH * g.inW, 'the pool input');
    const out = this.alloc(x.dtype, g.batch * g.channels * g.outH * g.outW);
    avgPool2dForward(x.data, out.data, g);
    return out;
  }
  avgPool2dBackward(dy: CpuStorage, g: Pool2dGeometry): CpuStorage {
    checkSize('avgPool2dBackward', 'dy', dy, g.batch * g.channels * g.outH * g.outW, 'the pool output');
    const out = this.alloc(dy.dtype, g.batch * g.channels * g.inH * g.inW);
    avgPool2dBackward(dy.data, out.data, g);
    return out;
  }

  // ---- optimizer ----
  adamStep(p: CpuStorage, g: CpuStorage, m: CpuStorage, v: CpuStorage, h: AdamStepHyper): [CpuStorage, CpuStorage, CpuStorage] {
    const dtype = sameDtype('adamStep', ['p', 'g', 'm', 'v'], [p, g, m, v]);
    for (const [name, s] of [
      ['g', g],
      ['m', m],
      ['v', v],
    ] as const)
      checkSize('adamStep', name, s, p.size, 'p');
    const out: [CpuStorage, CpuStorage, CpuStorage] = [this.alloc(dtype, p.size), this.alloc(dtype, p.size), this.alloc(dtype, p.size)];
    adamStepInto(p.data, g.data, m.data, v.data, out[0].data, out[1].data, out[2].data, h);
    return out;
  }

  // ---- batch normalisation ----
  batchNormStats(x: CpuStorage, g: BatchNormGeometry, eps: number): CpuStorage {
    const dtype = checkBatchNorm('batchNormStats', { x }, {}, g);
    const stats = this.alloc(dtype, 3 * g.channels);
    statsFromSums(channelSums(x.data, null, null, g), eps, g, stats.data);
    return stats;
  }
  batchNormForward(x: CpuStorage, stats: CpuStorage, weight: CpuStorage | null, bias: CpuStorage | null, g: BatchNormGeometry): CpuStorage {
    const dtype = checkBatchNorm('batchNormForward', { x }, { weight, bias }, g, stats);
    const out = this.alloc(dtype, g.size);
    applyChannels(x.data, null, forwardParams(stats.data, weight?.data ?? null, bias?.data ?? null, g), out.data, g);
    return out;
  }
  batchNormBackward(
    x: CpuStorage,
    dy: CpuStorage,
    stats: CpuStorage,
    weight: CpuStorage | null,
    g: BatchNormGeometry,
    wantDx: boolean,
  ): { dx: CpuStorage | null; dWeight: CpuStorage; dBias: CpuStorage } {
    const dtype = checkBatchNorm('batchNormBackward', { x, dy }, { weight }, g, stats);
    const dWeight = this.alloc(dtype, g.channels);
    const dBias = this.alloc(dtype, g.channels);
    const p = backwardParams(channelSums(x.data, dy.data, stats.data, g), stats.data, weight?.data ?? null, g, dWeight.data, dBias.data);
    if (!wantDx) return { dx: null, dWeight, dBias };
    const dx = this.alloc(dtype, g.size);
    applyChannels(x.data, dy.data, p, dx.data, g);
    return { dx, dWeight, dBias };
  }
}

/** The shared CPU backend instance. */
export const cpuBackend = new CpuBackend();
