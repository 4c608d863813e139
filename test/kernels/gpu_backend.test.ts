// gpu backend plumbing: adapter report, real webgpu mode, float32-only errors, async read-back, disposal and leak-free memory counts.

import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CondgradError } from '../../core/errors.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { binaryGeometry } from '../../kernels/geometry/broadcast.js';
import type { GpuBackend, GpuStorage } from '../../kernels/gpu/backend.js';
import { GpuStorage as Storage } from '../../kernels/gpu/backend.js';
import { unarySpec } from '../../kernels/gpu/elementwise.js';
import { loadGpuJs } from '../../kernels/gpu/gpujs.js';
import { GpuRuntime } from '../../kernels/gpu/runtime.js';
import { describeGpu, settleGc } from '../helpers/gpu.js';

/** One step of a small training-like loop: every intermediate is freed. */
function step(g: GpuBackend, x: GpuStorage): GpuStorage {
  const a = g.unary(x, { name: 'relu' });
  const b = g.binary(a, x, 'mul', binaryGeometry('mul', [x.size], [x.size]));
  const c = g.unary(b, { name: 'affine', scale: 0.5, shift: 1 });
  g.dispose(a);
  g.dispose(b);
  return c;
}

describeGpu('gpu backend plumbing', (gpu) => {
  it('reports a named adapter and runs every cached kernel in webgpu mode', async () => {
    const g = gpu();
    expect(g.name).to.equal('gpu');
    expect(g.dtypes).to.deep.equal(['float32']);
    expect(g.adapterInfo.name).to.be.a('string').and.not.equal('');
    expect(['vulkan', 'opengles', 'opengl', 'metal', 'd3d12', 'd3d11']).to.include(g.adapterInfo.backendType);
    const x = g.fromArray(new Float32Array([1, 2]));
    expect(Array.from(await g.read(g.unary(x, { name: 'square' })))).to.deep.equal([1, 4]);
    const cache = g.kernelCache();
    expect(cache.compiled).to.be.greaterThan(0);
    expect(cache.modes).to.deep.equal(['webgpu']);
  });

  it('round-trips host data x=[1000] and an empty storage x=[0]', async () => {
    const g = gpu();
    const data = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    expect(await g.read(g.fromArray(data))).to.deep.equal(data);
    expect((await g.read(g.fromArray(new Float32Array(0)))).length).to.equal(0);
    expect(Array.from(await g.read(g.zeros('float32', 3)))).to.deep.equal([0, 0, 0]);
  });

  it('rejects float64 with a CondgradError naming the kernel', () => {
    const g = gpu();
    expect(() => g.fromArray(new Float64Array(2))).to.throw(CondgradError, /gpu\.fromArray: .*float32 only/);
    expect(() => g.zeros('float64', 2)).to.throw(CondgradError, /gpu\.zeros: .*float64; use the cpu backend/);
  });

  it('readSync throws: the gpu backend reads asynchronously', () => {
    const g = gpu();
    expect(() => g.readSync(g.fromArray(new Float32Array(1)))).to.throw(CondgradError, /gpu\.readSync: .*asynchronously/);
  });

  it('rejects storages of another backend and disposed storages', () => {
    const g = gpu();
    const foreign = cpuBackend.fromArray(new Float32Array(4));
    expect(() => g.unary(foreign as unknown as GpuStorage, { name: 'neg' })).to.throw(CondgradError, /gpu\.unary\(neg\): x must be a gpu storage/);
    const x = g.fromArray(new Float32Array(4));
    g.dispose(x);
    g.dispose(x);
    expect(() => g.unary(x, { name: 'neg' })).to.throw(CondgradError, /x has been disposed/);
  });

  it('rejects a storage whose size does not match the geometry: a=[6] b=[5] for add [6]', () => {
    const g = gpu();
    const [a, b] = [g.fromArray(new Float32Array(6)), g.fromArray(new Float32Array(5))];
    expect(() => g.binary(a, b, 'add', binaryGeometry('add', [6], [6]))).to.throw(CondgradError, /gpu\.binary\(add\): b has 5 elements but the output needs 6/);
  });

  it('disposing an input right after launching its consumer still computes the consumer: x=[64]', async () => {
    const g = gpu();
    const x = g.fromArray(Float32Array.from({ length: 64 }, (_, i) => i - 32));
    const y = g.unary(x, { name: 'abs' });
    g.dispose(x);
    expect(Array.from(await g.read(y))).to.deep.equal(Array.from({ length: 64 }, (_, i) => Math.abs(i - 32)));
  });

  it('live buffers and bytes stay flat over 50 steps of a loop that frees its intermediates: x=[256]', async () => {
    const g = gpu();
    let x = g.fromArray(Float32Array.from({ length: 256 }, (_, i) => (i % 7) / 7));
    await g.flush();
    await settleGc();
    const before = g.memory();
    for (let i = 0; i < 50; i++) {
      const next = step(g, x);
      g.dispose(x);
      x = next;
    }
    await g.read(x);
    const after = g.memory();
    expect(after.liveBuffers).to.equal(before.liveBuffers);
    expect(after.liveBytes).to.equal(before.liveBytes);
    expect(after.allocations - before.allocations).to.equal(150);
    g.dispose(x);
    expect(g.memory().liveBuffers).to.equal((before.liveBuffers as number) - 1);
  });

  it('frees storages that are garbage collected without dispose: 20 x [128]', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const g = gpu();
    await settleGc(); // earlier tests' unreferenced storages go first
    const before = g.memory().liveBuffers as number;
    (() => {
      for (let i = 0; i < 20; i++) g.unary(g.fromArray(new Float32Array(128)), { name: 'neg' });
    })();
    expect(g.memory().liveBuffers).to.equal(before + 40);
    for (let i = 0; i < 10 && (g.memory().liveBuffers as number) > before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(g.memory().liveBuffers).to.equal(before);
    await g.flush();
  });

  it('bounds the kernel cache: 6 distinct kernels through a cache of 2 still compute, evicted ones recompile', async () => {
    const gj = await loadGpuJs();
    const rt = new GpuRuntime(gj, new gj.GPU({ mode: 'webgpu' }), 2);
    const x = rt.upload(new Float32Array([1, -2, 3]));
    const ops = [{ name: 'neg' }, { name: 'abs' }, { name: 'square' }, { name: 'relu' }, { name: 'sign' }, { name: 'neg' }] as const;
    const outs: Storage[] = ops.map((op) => rt.launch(unarySpec(op, 3), [x], new Float32Array(4)));
    const got = await Promise.all(outs.map((s) => rt.read(s)));
    expect(got.map((a) => Array.from(a))).to.deep.equal([
      [-1, 2, -3],
      [1, 2, 3],
      [1, 4, 9],
      [1, 0, 3],
      [1, -1, 1],
      [-1, 2, -3],
    ]);
    expect(rt.cachedKernels()).to.equal(2);
    expect(rt.compiled).to.equal(6); // 5 ops + neg again after its eviction (uploads need no kernel)
    await rt.destroy();
  });
});

describe('gpu runtime refuses a silent fallback (fake gpu.js kernel, no device needed)', () => {
  it("a kernel that compiled in mode 'cpu' fails its storage, and storages computed from it, with a CondgradError", async () => {
    const gj = await loadGpuJs();
    let destroyed = 0;
    const fakeKernel = Object.assign(async () => new Float32Array([1, 2]), {
      kernel: {
        constructor: { mode: 'cpu' },
        outputBuffer: null,
        bindGroupDirty: false,
        compiledSource: null,
        output: [2],
        componentCount: 1,
        paramsLayout: null,
        computePipeline: null,
        bindGroupLayout: null,
        build: async () => undefined,
        destroy: () => {
          destroyed++;
        },
      },
      setOutput() {
        return fakeKernel;
      },
    });
    const fakeGpu = { createKernel: () => fakeKernel, destroy: () => undefined };
    const rt = new GpuRuntime(gj, fakeGpu, 4);
    const s = rt.launch({ name: 'fill', key: 'fill', source: '', outSize: 2, dynamic: true }, [], new Float32Array([1]));
    const t = rt.launch({ name: 'copy', key: 'copy', source: '', outSize: 2, dynamic: true }, [s]);
    for (const x of [s, t]) {
      let err: unknown = null;
      await rt.read(x).catch((e: unknown) => {
        err = e;
      });
      expect(err).to.be.instanceOf(CondgradError);
      expect((err as Error).message).to.match(/gpu\.fill: the kernel compiled in mode 'cpu', not to a webgpu compute pipeline; refusing a silent fallback/);
    }
    expect(destroyed).to.equal(1);
    expect(rt.cachedKernels()).to.equal(0);
    await rt.destroy();
  });
});
