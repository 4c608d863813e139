// The wasm backend over an unshared memory (what a browser page that is not cross-origin isolated gets): one thread, the same results, and views that survive heap growth.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { buildWasm } from '../../kernels/wasm/build.mjs';
import { createWasmBackend, WasmStorage, type WasmBackend } from '../../kernels/wasm/backend.js';
import { condConv2d } from '../../ops/cond_conv.js';
import { matmul } from '../../ops/matmul.js';
import { sum } from '../../ops/broadcast.js';
import { Rng } from '../../core/random.js';
import { expectClose } from '../helpers/close.js';

const rand = (n: number, seed: number): Float32Array => {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform(-1, 1));
};

describe('wasm backend over an unshared memory', function () {
  this.timeout(120000);
  let be: WasmBackend;
  const notes: string[] = [];
  const info = console.info;
  before(async () => {
    await buildWasm({ quiet: true });
    console.info = (m: string) => notes.push(m);
    try {
      be = await createWasmBackend({ sharedMemory: false, threads: 2, minWorkPerThread: 1 });
    } finally {
      console.info = info;
    }
  });
  after(async () => {
    await be?.destroy();
  });

  it('runs on one thread over a plain ArrayBuffer, and says why once', () => {
    expect(be.threads).to.equal(1);
    const s = be.fromArray(new Float32Array([1, 2, 3]));
    expect(s.data.buffer).to.be.instanceOf(ArrayBuffer);
    expect(s.data.buffer).not.to.be.instanceOf(SharedArrayBuffer);
    expect(notes).to.deep.equal(['condgrad: the wasm backend runs on 1 thread instead of 2: sharedMemory is false']);
  });

  it('condConv2d forward and backward and matmul match the cpu backend (x [3,4,9,9], K = 3)', () => {
    const run = (b: typeof cpuBackend | WasmBackend) => {
      const x = tensor(rand(3 * 4 * 81, 1), [3, 4, 9, 9], { backend: b, requiresGrad: true });
      const w = tensor(rand(3 * 5 * 4 * 9, 2), [3, 5, 4, 3, 3], { backend: b, requiresGrad: true });
      const r = tensor(rand(9, 3), [3, 3], { backend: b, requiresGrad: true });
      const y = condConv2d(x, w, r, null, { padding: 1, path: 'fused' });
      sum(y).backward();
      const m = matmul(tensor(rand(6 * 7, 4), [6, 7], { backend: b }), tensor(rand(7 * 5, 5), [7, 5], { backend: b }));
      return [y.dataSync(), x.grad!.dataSync(), w.grad!.dataSync(), r.grad!.dataSync(), m.dataSync()];
    };
    const want = run(cpuBackend);
    const got = run(be);
    got.forEach((g, i) => expectClose(g, want[i], 1e-4, `output ${i}`));
  });

  it('a tensor made before the heap grows (its old buffer detached) still reads and computes right', () => {
    const before = tensor(rand(1000, 6), [1000], { backend: be });
    const s = before.storage as WasmStorage;
    const oldBuffer = s.data.buffer;
    const heapBefore = be.heapBytes;
    const big = tensor(new Float32Array(24 << 20), [24 << 20], { backend: be }); // 96 MiB: past the 16 MiB start
    expect(oldBuffer.byteLength).to.equal(0); // detached by the growth
    expect(be.heapBytes).to.be.above(Math.max(heapBefore, 96 << 20));
    expectClose(before.dataSync(), rand(1000, 6), 0, 'after growth');
    expectClose(sum(before).dataSync(), [rand(1000, 6).reduce((a, v) => a + v, 0)], 1e-4, 'sum after growth');
    big.dispose();
  });
});
