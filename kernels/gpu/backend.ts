// The gpu backend: float32 gpu.js kernels in webgpu mode, validated against each geometry and queued on the device.

import type { DType, FloatArray } from '../../core/dtype.js';
import { CondgradError } from '../../core/errors.js';
import type { Backend, MemoryStats } from '../../core/backend.js';
import type { BinaryOp, ReduceOp, UnaryOp } from '../elementwise.js';
import type { BinaryGeometry } from '../geometry/broadcast.js';
import type { Conv2dGeometry } from '../geometry/conv.js';
import type { MatmulGeometry } from '../geometry/matmul.js';
import type { ConcatGeometry, PadGeometry } from '../geometry/movement.js';
import type { Pool2dGeometry } from '../geometry/pool.js';
import { reduceGeometry, type ReduceGeometry } from '../geometry/reduce.js';
import { type StridedView } from '../geometry/strided.js';
import { sizeOf } from '../../core/shape.js';
import { wgslConv2dBackwardInputStridedSpec } from './wgsl_conv_strided.js';
import type { AdapterInfo } from './adapter.js';
import { wgslConv2dBackwardFilterSpec, wgslFilterBlocks, wgslFilterTile } from './wgsl_filter.js';
import { wgslBackwardInputTile, wgslConv2dBackwardInputSpec, wgslConv2dSpec, wgslForwardTile } from './wgsl_conv.js';
import { binarySpec, copySpec, fillSpec, unaryBackwardSpec, unaryParams, unarySpec } from './elementwise.js';
import { wgslMatmulPlan, wgslMatmulSpec } from './wgsl_matmul.js';
import { concatPlan, concatSpec, gatherSpec, padSpec } from './movement.js';
import { avgPoolBackwardSpec, avgPoolSpec, maxPoolBackwardSpec, maxPoolSpec } from './pool.js';
import { reduceIdentity, reducePlan, reduceSpec } from './reduce.js';
import type { KernelTime } from './queue.js';
import { GpuStorage, type GpuRuntime } from './runtime.js';
import { kernelChecks } from '../checks.js';

export { GpuStorage };

const { checkView, checkConvX, checkConvY, checkConvW } = kernelChecks('gpu');

/**
 * The gpu backend. Storages live on the device; kernels are queued in call order and never block.
 * `read()` is the only way back to the host. `destroy()` frees the device and lets the process exit.
 */
export class GpuBackend implements Backend<GpuStorage> {
  readonly name = 'gpu' as const;
  readonly dtypes: readonly DType[] = ['float32'];
  /** The mode every kernel is asserted to run in. */
  readonly mode = 'webgpu' as const;
  destroyed = false;

  constructor(
    private readonly rt: GpuRuntime,
    readonly adapterInfo: AdapterInfo,
    private readonly teardown: () => Promise<void>,
  ) {}

  /** Runs one kernel end to end and checks its values: proves the device computes, in webgpu mode. */
  async selfTest(): Promise<void> {
    const x = this.fromArray(new Float32Array([1, 2, 3, 4]));
    const y = this.unary(x, { name: 'affine', scale: 2, shift: 0.5 });
    const got = Array.from(await this.read(y));
    this.dispose(x);
    this.dispose(y);
    if (got.join() !== '2.5,4.5,6.5,8.5') throw new CondgradError('gpu', `self-test kernel returned [${got.join(', ')}], expected [2.5, 4.5, 6.5, 8.5]`);
  }

  private f32(kernel: string, dtype: DType): void {
    if (dtype !== 'float32') {
      throw new CondgradError(`gpu.${kernel}`, `the gpu backend computes in float32 only, got ${String(dtype)}; use the cpu backend for float64`);
    }
  }

  private s(kernel: string, arg: string, s: GpuStorage, want?: number, what?: string): GpuStorage {
    return this.rt.checkStorage(kernel, arg, s, want, what);
  }

  // ---- memory ----
  fromArray(data: FloatArray): GpuStorage {
    if (!(data instanceof Float32Array)) this.f32('fromArray', data instanceof Float64Array ? 'float64' : (typeof data as DType));
    return this.rt.upload(data as Float32Array);
  }
  zeros(dtype: DType, size: number): GpuStorage {
    this.f32('zeros', dtype);
    return this.fill(size, 0);
  }
  private fill(size: number, value: number): GpuStorage {
    return this.rt.launch(fillSpec(size), [], new Float32Array([value]));
  }
  read(s: GpuStorage): Promise<FloatArray> {
    return this.rt.read(s);
  }
  readSync(_s: GpuStorage): FloatArray {
    throw new CondgradError('gpu.readSync', 'the gpu backend reads asynchronously: use `await read(s)` (`await t.data()` on a tensor)');
  }
  dispose(s: GpuStorage): void {
    if (s instanceof GpuStorage && s.disposed) return;
    this.rt.dispose(this.s('dispose', 's', s));
  }
  memory(): MemoryStats {
    return this.rt.memory();
  }
  /** Resolves once every queued launch has been submitted to the device. */
  flush(): Promise<void> {
    return this.rt.flush();
  }
  /** Whether the device offers 'timestamp-query', so `profile` can measure per-kernel device time. */
  get timestampQueries(): boolean {
    return this.rt.timestampQueries;
  }
  /**
   * Device time per kernel family (ms summed, calls) of the kernels `run` launches, from timestamp
   * queries (one compute pass per dispatch while profiling); null where the device offers none.
   */
  profile(run: () => unknown): Promise<Map<string, KernelTime> | null> {
    return this.rt.profile(run);
  }
  /** Command buffers submitted and dispatches recorded so far (the launch queue batches dispatches). */
  launchStats(): { submits: number; dispatches: number } {
    return this.rt.launchStats();
  }
  /** Compiled kernels currently cached, and kernels compiled so far. */
  kernelCache(): { cached: number; compiled: number; modes: string[] } {
    return { cached: this.rt.cachedKernels(), compiled: this.rt.compiled, modes: this.rt.modes() };
  }
  /** Frees every kernel and the device; the backend is unusable afterwards. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.teardown();
  }

  // ---- elementwise and reductions ----
  cast(x: GpuStorage, dtype: DType): GpuStorage {
    this.f32('cast', dtype);
    this.s('cast', 'x', x);
    return this.rt.launch(copySpec(x.size), [x]);
  }
  unary(x: GpuStorage, op: UnaryOp): GpuStorage {
    this.s(`unary(${op.name})`, 'x', x);
    return this.rt.launch(unarySpec(op, x.size), [x], unaryParams(op, false));
  }
  unaryBackward(x: GpuStorage, y: GpuStorage, dy: GpuStorage, op: UnaryOp): GpuStorage {
    const k = `unaryBackward(${op.name})`;
    this.s(k, 'x', x);
    this.s(k, 'y', y, x.size, 'x');
    this.s(k, 'dy', dy, x.size, 'x');
    return this.rt.launch(unaryBackwardSpec(op, x.size), [x, y, dy], unaryParams(op, true));
  }
  binary(a: GpuStorage, b: GpuStorage, op: BinaryOp, g: BinaryGeometry): GpuStorage {
    const k = `binary(${op})`;
    this.s(k, 'a', a);
    this.s(k, 'b', b);
    if (g.sameShape) {
      this.s(k, 'a', a, g.size, 'the output');
      this.s(k, 'b', b, g.size, 'the output');
    } else {
      checkView(k, 'a', a.size, g.a);
      checkView(k, 'b', b.size, g.b);
    }
    return this.rt.launch(binarySpec(op, g), [a, b]);
  }
  reduce(x: GpuStorage, op: ReduceOp, g: ReduceGeometry): GpuStorage {
    this.s(`reduce(${op})`, 'x', x, sizeOf(g.inShape), `shape [${g.inShape.join(',')}]`);
    const p = new Float32Array([reduceIdentity(op), 1 / Math.max(1, g.reduceSize)]);
    if (g.reduceSize === 0 || x.size === 0) return this.fill(g.outSize, reduceIdentity(op));
    const plan = reducePlan(op, g);
    const first = this.rt.launch(plan.first, [x], p);
    if (plan.second === null) return first;
    // A mean's chunks are partial sums of x/count already: the second pass adds them.
    const out = this.rt.launch(reduceSpec(op === 'mean' ? 'sum' : op, plan.second), [first], p);
    this.rt.dispose(first);
    return out;
  }

  // ---- movement ----
  gather(x: GpuStorage, view: StridedView): GpuStorage {
    this.s('gather', 'x', x);
    checkView('gather', 'x', x.size, view);
    return this.rt.launch(gatherSpec(view), [x]);
  }
  pad(x: GpuStorage, g: PadGeometry): GpuStorage {
    this.s('pad', 'x', x, sizeOf(g.inShape), `shape [${g.inShape.join(',')}]`);
    if (x.size === 0) return this.fill(sizeOf(g.outShape), g.value);
    return this.rt.launch(padSpec(g), [x], new Float32Array([g.value]));
  }
  concat(xs: readonly GpuStorage[], g: ConcatGeometry): GpuStorage {
    if (xs.length === 0 || xs.length !== g.widths.length) {
      throw new CondgradError('gpu.concat', `got ${xs.length} inputs for a geometry of ${g.widths.length}`);
    }
    xs.forEach((x, i) => this.s('concat', `xs[${i}]`, x, g.outer * g.widths[i], 'its block of the output'));
    let blocks = xs.filter((_, i) => g.widths[i] > 0);
    if (blocks.length === 0 || g.outer === 0) return this.fill(sizeOf(g.outShape), 0);
    for (const widths of concatPlan(g, Math.max(2, this.rt.maxKernelInputs()))) {
      const out = this.rt.launch(concatSpec(g.outer, widths), blocks.slice(0, widths.length));
      // Intermediates of a folded concat are ours to free; the caller's inputs are not.
      if (!xs.includes(blocks[0])) this.rt.dispose(blocks[0]);
      blocks = [out, ...blocks.slice(widths.length)];
    }
    return blocks[0];
  }

  // ---- linear algebra ----
  matmul(a: GpuStorage, b: GpuStorage, g: MatmulGeometry): GpuStorage {
    this.s('matmul', 'a', a, (g.aBatchStride === 0 ? 1 : g.batch) * g.M * g.K, `M=${g.M} K=${g.K} batch=${g.batch}`);
    this.s('matmul', 'b', b, (g.bBatchStride === 0 ? 1 : g.batch) * g.K * g.N, `K=${g.K} N=${g.N} batch=${g.batch}`);
    if (a.size === 0 || b.size === 0) return this.fill(g.batch * g.M * g.N, 0);
    const p = wgslMatmulPlan(g);
    const c = this.rt.launch(wgslMatmulSpec(g, p), [a, b]);
    if (p.splits === 1) return c;
    // Split over K: the blocks' partial sums, then their sum.
    const out = this.rt.launch(reduceSpec('sum', reduceGeometry('matmul', [1, p.splits, g.batch * g.M * g.N], 1)), [c], new Float32Array([0]));
    this.rt.dispose(c);
    return out;
  }

  // ---- convolution ----
  conv2d(x: GpuStorage, w: GpuStorage, g: Conv2dGeometry): GpuStorage {
    this.convX('conv2d', x, g);
    this.convW('conv2d', w, g);
    if (x.size === 0 || w.size === 0) return this.fill(g.outputSize, 0);
    return this.rt.launch(wgslConv2dSpec(g, wgslForwardTile(g)), [x, w]);
  }
  conv2dBackwardInput(dy: GpuStorage, w: GpuStorage, g: Conv2dGeometry): GpuStorage {
    this.convY('conv2dBackwardInput', dy, g);
    this.convW('conv2dBackwardInput', w, g);
    if (dy.size === 0 || w.size === 0) return this.fill(g.inputSize, 0);
    const t = wgslBackwardInputTile(g);
    return this.rt.launch(g.strideW === 1 ? wgslConv2dBackwardInputSpec(g, t) : wgslConv2dBackwardInputStridedSpec(g, t), [dy, w]);
  }
  conv2dBackwardFilter(x: GpuStorage, dy: GpuStorage, g: Conv2dGeometry): GpuStorage {
    this.convX('conv2dBackwardFilter', x, g);
    this.convY('conv2dBackwardFilter', dy, g);
    if (x.size === 0 || dy.size === 0) return this.fill(g.weightStorageSize, 0);
    const perSample = g.perSampleWeights;
    const t = wgslFilterTile(g);
    const { blocks, rowsPerBlock } = wgslFilterBlocks(g, t);
    const partial = this.rt.launch(wgslConv2dBackwardFilterSpec(g, t, blocks, rowsPerBlock), [x, dy]);
    if (blocks === 1) return partial;
    // Split reduction: partial sums over blocks of output rows in parallel, then a sum over the blocks.
    const sum = reduceGeometry('conv2dBackwardFilter', [perSample ? g.batch : 1, blocks, g.weightSize], 1);
    const out = this.rt.launch(reduceSpec('sum', sum), [partial], new Float32Array([0]));
    this.rt.dispose(partial);
    return out;
  }
  /** A live storage of this backend (the runtime's check), of the size the geometry gives (the shared check). */
  private convX(k: string, x: GpuStorage, g: Conv2dGeometry): void {
    checkConvX(k, this.s(k, 'x', x), g);
  }
  private convY(k: string, dy: GpuStorage, g: Conv2dGeometry): void {
    checkConvY(k, this.s(k, 'dy', dy), g);
  }
  private convW(k: string, w: GpuStorage, g: Conv2dGeometry): void {
    checkConvW(k, this.s(k, 'w', w), g);
  }

  // ---- pooling ----
  maxPool2d(x: GpuStorage, g: Pool2dGeometry): GpuStorage {
    this.s('maxPool2d', 'x', x, g.batch * g.channels * g.inH * g.inW, 'the pool input');
    return this.rt.launch(maxPoolSpec(g, false), [x]);
  }
  maxPool2dBackward(x: GpuStorage, dy: GpuStorage, g: Pool2dGeometry): GpuStorage {
    this.s('maxPool2dBackward', 'x', x, g.batch * g.channels * g.inH * g.inW, 'the pool input');
    this.s('maxPool2dBackward', 'dy', dy, g.batch * g.channels * g.outH * g.outW, 'the pool output');
    const arg = this.rt.launch(maxPoolSpec(g, true), [x]);
    const out = this.rt.launch(maxPoolBackwardSpec(g), [arg, dy]);
    this.rt.dispose(arg);
    return out;
  }
  avgPool2d(x: GpuStorage, g: Pool2dGeometry): GpuStorage {
    this.s('avgPool2d', 'x', x, g.batch * g.channels * g.inH * g.inW, 'the pool input');
    return this.rt.launch(avgPoolSpec(g), [x]);
  }
  avgPool2dBackward(dy: GpuStorage, g: Pool2dGeometry): GpuStorage {
    this.s('avgPool2dBackward', 'dy', dy, g.batch * g.channels * g.outH * g.outW, 'the pool output');
    return this.rt.launch(avgPoolBackwardSpec(g), [dy]);
  }
}
