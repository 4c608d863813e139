// The wasm backend: float32 kernels in AssemblyScript/SIMD on a shared heap, with worker threads; float64 and
// the cold kernels call the reference cpu functions on views of the same memory (an explicit delegation).

import { dtypeOfArray, type DType, type FloatArray } from '../../core/dtype.js';
import { CondgradError } from '../../core/errors.js';
import type { AdamStepHyper, Backend, MemoryStats } from '../../core/backend.js';
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
import { copyToFresh } from '../../core/platform/arrays.js';
import type { WasmSimd } from '../../core/wasm_simd.js';
import { adamStepInto } from '../cpu/adam.js';
import * as cpuConv from '../cpu/conv.js';
import * as cpuEw from '../cpu/elementwise.js';
import { matmulForward } from '../cpu/matmul.js';
import { concatForward, padForward } from '../cpu/movement.js';
import { reduceForward } from '../cpu/reduce.js';
import { checkConvW, checkConvX, checkConvY, checkIndexable, checkSize, checkView, convOutsideWasm, sameDtype } from './checks.js';
import { adamStep } from './adam.js';
import * as conv from './conv.js';
import { gatherRows } from './gather.js';
import * as ops from './ops.js';
import { matmul } from './matmul.js';
import * as bn from './norm.js';
import { poolOp } from './pool.js';
import { WasmRuntime, type RuntimeOptions } from './runtime.js';
import { StorageAllocator, WasmStorage, checkLive } from './storage.js';

export { WasmStorage } from './storage.js';
export type WasmBackendOptions = RuntimeOptions;

/** Creates a wasm backend: compiles the kernels, allocates the shared heap and starts `threads - 1` workers. */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  return new WasmBackend(await WasmRuntime.create(opts));
}

export class WasmBackend implements Backend<WasmStorage> {
  readonly name = 'wasm' as const;
  readonly dtypes: readonly DType[] = ['float32', 'float64'];
  private readonly rt: WasmRuntime;
  private readonly mem: StorageAllocator;

  /** Use createWasmBackend. */
  constructor(rt: WasmRuntime) {
    this.rt = rt;
    this.mem = new StorageAllocator(rt.heap);
  }

  /** Threads the kernels use, the caller's included. */
  get threads(): number {
    return this.rt.threads;
  }

  /** Bytes of WebAssembly memory the heap has grown to: its high-water mark, since wasm memory never shrinks. */
  get heapBytes(): number {
    return this.rt.heap.byteLength;
  }

  /** How long an idle thread spins before it sleeps, in µs (see the spinMicros option). */
  get spinMicros(): number {
    return this.rt.pool.spinMs * 1000;
  }

  /** The kernel build it runs: 'relaxed' (relaxed-SIMD multiply-adds) or 'simd128' (see the simd option). */
  get simd(): WasmSimd {
    return this.rt.simd;
  }

  /** Stops the worker threads; the backend must not be used afterwards. */
  destroy(): Promise<void> {
    return this.rt.close();
  }

  /** this.out as a function value, for the host modules that allocate their own outputs (pool.ts, norm.ts). */
  private readonly alloc = (kernel: string, dtype: DType, size: number): WasmStorage => this.out(kernel, dtype, size);

  private out(kernel: string, dtype: DType, size: number): WasmStorage {
    if (dtype === 'float32') checkIndexable(kernel, size);
    return this.mem.alloc(dtype, size, `${kernel} output`);
  }

  // ---- memory ----
  fromArray(data: FloatArray): WasmStorage {
    const s = this.mem.alloc(dtypeOfArray(data), data.length, 'fromArray');
    s.data.set(data);
    return s;
  }
  zeros(dtype: DType, size: number): WasmStorage {
    const s = this.mem.alloc(dtype, size, 'zeros');
    s.data.fill(0);
    return s;
  }
  read(s: WasmStorage): Promise<FloatArray> {
    return Promise.resolve(this.readSync(s));
  }
  readSync(s: WasmStorage): FloatArray {
    checkLive('read', 's', s, this.rt.heap);
    return copyToFresh(s.data);
  }
  dispose(s: WasmStorage): void {
    if (!(s instanceof WasmStorage) || s.heap !== this.rt.heap) throw new CondgradError('wasm.dispose', 'not a storage of this wasm backend');
    this.mem.dispose(s);
  }
  memory(): MemoryStats {
    return this.mem.stats();
  }

  // ---- elementwise and reductions ----
  cast(x: WasmStorage, dtype: DType): WasmStorage {
    checkLive('cast', 'x', x, this.rt.heap);
    const out = this.mem.alloc(dtype, x.size, 'cast output');
    cpuEw.castInto(x.data, out.data);
    return out;
  }
  unary(x: WasmStorage, op: UnaryOp): WasmStorage {
    const dtype = sameDtype(this.rt.heap, `unary(${op.name})`, ['x'], [x]);
    const out = this.out(`unary(${op.name})`, dtype, x.size);
    if (dtype !== 'float32' || !ops.unary(this.rt, x.ptr, out.ptr, x.size, op)) cpuEw.unaryForward(x.data, out.data, op);
    return out;
  }
  unaryBackward(x: WasmStorage, y: WasmStorage, dy: WasmStorage, op: UnaryOp): WasmStorage {
    const k = `unaryBackward(${op.name})`;
    const dtype = sameDtype(this.rt.heap, k, ['x', 'y', 'dy'], [x, y, dy]);
    checkSize(k, 'y', y, x.size, 'x');
    checkSize(k, 'dy', dy, x.size, 'x');
    const out = this.out(k, dtype, x.size);
    if (dtype === 'float32' && ops.WASM_UNARY[op.name].backward === 'reluBackward') ops.reluBackward(this.rt, x.ptr, dy.ptr, out.ptr, x.size);
    else cpuEw.unaryBackward(x.data, y.data, dy.data, out.data, op);
    return out;
  }
  binary(a: WasmStorage, b: WasmStorage, op: BinaryOp, g: BinaryGeometry): WasmStorage {
    const k = `binary(${op})`;
    const dtype = sameDtype(this.rt.heap, k, ['a', 'b'], [a, b]);
    if (g.sameShape) {
      checkSize(k, 'a', a, g.size, 'the output');
      checkSize(k, 'b', b, g.size, 'the output');
    } else {
      checkView(k, 'a', a.size, g.a);
      checkView(k, 'b', b.size, g.b);
    }
    const out = this.out(k, dtype, g.size);
    if (dtype !== 'float32' || !ops.binary(this.rt, a.ptr, b.ptr, out.ptr, op, g)) cpuEw.binaryForward(a.data, b.data, out.data, op, g);
    return out;
  }
  reduce(x: WasmStorage, op: ReduceOp, g: ReduceGeometry): WasmStorage {
    const k = `reduce(${op})`;
    const dtype = sameDtype(this.rt.heap, k, ['x'], [x]);
    checkSize(k, 'x', x, sizeOf(g.inShape), `shape [${g.inShape.join(',')}]`);
    const out = this.out(k, dtype, g.outSize);
    if (dtype !== 'float32' || !ops.reduce(this.rt, x.ptr, out.ptr, op, g)) reduceForward(x.data, out.data, op, g);
    return out;
  }

  // ---- movement (cold: the reference functions on views of the heap) ----
  gather(x: WasmStorage, view: StridedView): WasmStorage {
    checkLive('gather', 'x', x, this.rt.heap);
    checkView('gather', 'x', x.size, view);
    const n = sizeOf(view.dims);
    const out = this.out('gather', x.dtype, n);
    // A contiguous run (a reshape's copy) is one memcpy; broadcast and contiguous rows are filled or copied whole.
    if (view.dims.length === 1 && view.strides[0] === 1) out.data.set(x.data.subarray(view.offset, view.offset + n));
    else gatherRows(x.data, out.data, view);
    return out;
  }
  pad(x: WasmStorage, g: PadGeometry): WasmStorage {
    checkLive('pad', 'x', x, this.rt.heap);
    checkSize('pad', 'x', x, sizeOf(g.inShape), `shape [${g.inShape.join(',')}]`);
    const out = this.out('pad', x.dtype, sizeOf(g.outShape));
    padForward(x.data, out.data, g);
    return out;
  }
  concat(xs: readonly WasmStorage[], g: ConcatGeometry): WasmStorage {
    if (xs.length === 0 || xs.length !== g.widths.length) {
      throw new CondgradError('wasm.concat', `got ${xs.length} inputs for a geometry of ${g.widths.length}`);
    }
    const dtype = sameDtype(
      this.rt.heap,
      'concat',
      xs.map((_, i) => `xs[${i}]`),
      xs,
    );
    xs.forEach((x, i) => checkSize('concat', `xs[${i}]`, x, g.outer * g.widths[i], 'its block of the output'));
    const out = this.out('concat', dtype, sizeOf(g.outShape));
    concatForward(
      xs.map((x) => x.data),
      out.data,
      g,
    );
    return out;
  }

  // ---- linear algebra ----
  matmul(a: WasmStorage, b: WasmStorage, g: MatmulGeometry): WasmStorage {
    const dtype = sameDtype(this.rt.heap, 'matmul', ['a', 'b'], [a, b]);
    checkSize('matmul', 'a', a, (g.aBatchStride === 0 ? 1 : g.batch) * g.M * g.K, `M=${g.M} K=${g.K} batch=${g.batch}`);
    checkSize('matmul', 'b', b, (g.bBatchStride === 0 ? 1 : g.batch) * g.K * g.N, `K=${g.K} N=${g.N} batch=${g.batch}`);
    const out = this.out('matmul', dtype, g.batch * g.M * g.N);
    if (dtype === 'float32') matmul(this.rt, a.ptr, b.ptr, out.ptr, g);
    else matmulForward(a.data, b.data, out.data, g);
    return out;
  }

  // ---- convolution ----
  conv2d(x: WasmStorage, w: WasmStorage, g: Conv2dGeometry): WasmStorage {
    const dtype = sameDtype(this.rt.heap, 'conv2d', ['x', 'w'], [x, w]);
    checkConvX('conv2d', x, g);
    checkConvW('conv2d', w, g);
    const out = this.out('conv2d', dtype, g.outputSize);
    if (dtype === 'float32' && convOutsideWasm(g) === null) conv.convForward(this.rt, x.ptr, w.ptr, out.ptr, g);
    else cpuConv.conv2dForward(x.data, w.data, out.data, g);
    return out;
  }
  conv2dBackwardInput(dy: WasmStorage, w: WasmStorage, g: Conv2dGeometry): WasmStorage {
    const k = 'conv2dBackwardInput';
    const dtype = sameDtype(this.rt.heap, k, ['dy', 'w'], [dy, w]);
    checkConvY(k, dy, g);
    checkConvW(k, w, g);
    const out = this.out(k, dtype, g.inputSize);
    if (dtype === 'float32' && convOutsideWasm(g) === null) conv.convBackwardInput(this.rt, dy.ptr, w.ptr, out.ptr, g);
    else cpuConv.conv2dBackwardInput(dy.data, w.data, out.data, g);
    return out;
  }
  conv2dBackwardFilter(x: WasmStorage, dy: WasmStorage, g: Conv2dGeometry): WasmStorage {
    const k = 'conv2dBackwardFilter';
    const dtype = sameDtype(this.rt.heap, k, ['x', 'dy'], [x, dy]);
    checkConvX(k, x, g);
    checkConvY(k, dy, g);
    const out = this.out(k, dtype, g.weightStorageSize);
    if (dtype === 'float32' && convOutsideWasm(g) === null) conv.convBackwardFilter(this.rt, x.ptr, dy.ptr, out.ptr, g);
    else cpuConv.conv2dBackwardFilter(x.data, dy.data, out.data, g);
    return out;
  }

  // ---- pooling (kernels/wasm/pool.ts) ----
  maxPool2d(x: WasmStorage, g: Pool2dGeometry): WasmStorage {
    return poolOp(this.rt, this.alloc, 'maxPool2d', x, null, g);
  }
  maxPool2dBackward(x: WasmStorage, dy: WasmStorage, g: Pool2dGeometry): WasmStorage {
    return poolOp(this.rt, this.alloc, 'maxPool2dBackward', x, dy, g);
  }
  avgPool2d(x: WasmStorage, g: Pool2dGeometry): WasmStorage {
    return poolOp(this.rt, this.alloc, 'avgPool2d', x, null, g);
  }
  avgPool2dBackward(dy: WasmStorage, g: Pool2dGeometry): WasmStorage {
    return poolOp(this.rt, this.alloc, 'avgPool2dBackward', null, dy, g);
  }

  // ---- optimizer (one pass, 7 streams instead of the ~30 of 12 ops; float64 runs the reference loop on views of the heap) ----
  adamStep(p: WasmStorage, g: WasmStorage, m: WasmStorage, v: WasmStorage, h: AdamStepHyper): [WasmStorage, WasmStorage, WasmStorage] {
    const dtype = sameDtype(this.rt.heap, 'adamStep', ['p', 'g', 'm', 'v'], [p, g, m, v]);
    for (const [name, s] of [
      ['g', g],
      ['m', m],
      ['v', v],
    ] as const)
      checkSize('adamStep', name, s, p.size, 'p');
    const out: [WasmStorage, WasmStorage, WasmStorage] = [
      this.out('adamStep', dtype, p.size),
      this.out('adamStep', dtype, p.size),
      this.out('adamStep', dtype, p.size),
    ];
    if (dtype === 'float32') adamStep(this.rt, [p.ptr, g.ptr, m.ptr, v.ptr, out[0].ptr, out[1].ptr, out[2].ptr], p.size, h);
    else adamStepInto(p.data, g.data, m.data, v.data, out[0].data, out[1].data, out[2].data, h);
    return out;
  }

  // ---- batch normalisation (kernels/wasm/norm.ts) ----
  batchNormStats(x: WasmStorage, g: BatchNormGeometry, eps: number): WasmStorage {
    return bn.batchNormStats(this.rt, this.alloc, x, g, eps);
  }
  batchNormForward(x: WasmStorage, stats: WasmStorage, weight: WasmStorage | null, bias: WasmStorage | null, g: BatchNormGeometry): WasmStorage {
    return bn.batchNormForward(this.rt, this.alloc, x, stats, weight, bias, g);
  }
  batchNormBackward(x: WasmStorage, dy: WasmStorage, stats: WasmStorage, weight: WasmStorage | null, g: BatchNormGeometry, wantDx: boolean) {
    return bn.batchNormBackward(this.rt, this.alloc, x, dy, stats, weight, g, wantDx);
  }
}
