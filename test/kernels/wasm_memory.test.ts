// Wasm backend plumbing: allocator reuse and counters, dispose and GC finalization, errors instead of traps, threads and close.

import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CondgradError } from '../../core/errors.js';
import { conv2dGeometry } from '../../kernels/geometry/conv.js';
import { buildWasm } from '../../kernels/wasm/build.mjs';
import { createWasmBackend } from '../../kernels/wasm/backend.js';
import { sizeClass, WasmHeap } from '../../kernels/wasm/heap.js';
import { useWasmBackend } from '../helpers/wasm.js';

/** The engine's gc(), exposed for this test only. */
function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('wasm backend memory', () => {
  const be = useWasmBackend(2);

  it('round-trips float32 and float64 data and zero-fills zeros() even on a reused block', () => {
    const a = be().fromArray(new Float32Array([1, 2, 3.5]));
    expect(Array.from(be().readSync(a))).to.deep.equal([1, 2, 3.5]);
    const d = be().fromArray(new Float64Array([0.1, -2]));
    expect(be().readSync(d)).to.be.instanceOf(Float64Array);
    expect(Array.from(be().readSync(d))).to.deep.equal([0.1, -2]);
    const dirty = be().fromArray(new Float32Array(100).fill(7));
    be().dispose(dirty);
    const z = be().zeros('float32', 100);
    expect(z.ptr).to.equal(dirty.ptr);
    expect(Array.from(be().readSync(z)).every((v) => v === 0)).to.equal(true);
  });

  it('counts live buffers and bytes; dispose frees once (idempotent) and the block is reused', () => {
    const m0 = be().memory();
    const s = be().zeros('float32', 1000);
    const m1 = be().memory();
    expect(m1.liveBuffers! - m0.liveBuffers!).to.equal(1);
    expect(m1.liveBytes! - m0.liveBytes!).to.equal(4000);
    expect(m1.allocations - m0.allocations).to.equal(1);
    be().dispose(s);
    be().dispose(s);
    const m2 = be().memory();
    expect(m2.liveBuffers).to.equal(m0.liveBuffers);
    expect(m2.liveBytes).to.equal(m0.liveBytes);
    const t = be().zeros('float32', 990);
    expect(sizeClass(3960)).to.equal(sizeClass(4000));
    expect(t.ptr).to.equal(s.ptr);
    be().dispose(t);
  });

  it('using a disposed storage raises a CondgradError naming the kernel', () => {
    const s = be().zeros('float32', 4);
    be().dispose(s);
    expect(() => be().readSync(s)).to.throw(CondgradError, /wasm\.read: s was disposed/);
    expect(() => be().unary(s, { name: 'relu' })).to.throw(CondgradError, /x was disposed/);
  });

  it('frees storages that were garbage-collected without dispose', async function () {
    this.timeout(30000);
    const gc = gcFunction();
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 5; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await settle();
    const before = be().memory().liveBuffers!;
    (() => {
      for (let i = 0; i < 50; i++) be().zeros('float32', 256);
    })();
    expect(be().memory().liveBuffers).to.equal(before + 50);
    for (let i = 0; i < 50 && be().memory().liveBuffers! > before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(be().memory().liveBuffers).to.equal(before);
  });

  it('wrong sizes raise a CondgradError, not a trap: conv2dBackwardInput dy=[2,4,3,3] given 71 elements', () => {
    const g = conv2dGeometry('conv2d', [2, 3, 5, 5], [4, 3, 3, 3]);
    expect(() => be().conv2dBackwardInput(be().zeros('float32', 71), be().zeros('float32', 108), g)).to.throw(
      CondgradError,
      /wasm\.conv2dBackwardInput: dy has 71 elements but dy \[2,4,3,3\] needs 72/,
    );
    expect(() => be().zeros('float32', -1)).to.throw(CondgradError, /size must be a non-negative integer/);
    expect(() => be().zeros('float32', 1.5)).to.throw(CondgradError, /size must be a non-negative integer/);
  });
});

describe('wasm backend limits and threads', () => {
  it('out of memory raises a CondgradError (heap capped at 32 MiB: zeros(float32, 16M) and a conv output of 64 MiB)', async function () {
    this.timeout(60000);
    await buildWasm({ quiet: true });
    const be = await createWasmBackend({ threads: 2, maxMemoryBytes: 32 << 20 });
    try {
      expect(() => be.zeros('float32', 16 << 20)).to.throw(CondgradError, /wasm\.alloc: out of memory/);
      const g = conv2dGeometry('conv2d', [64, 1, 512, 512], [1, 1, 1, 1]);
      const x = be.zeros('float32', 1);
      expect(() => be.conv2d(x, be.zeros('float32', 1), g)).to.throw(CondgradError, /x has 1 elements/);
      const ok = be.zeros('float32', 1 << 20);
      expect(be.readSync(ok).length).to.equal(1 << 20);
      expect(() => be.zeros('float64', 1 << 23)).to.throw(CondgradError, /out of memory/);
    } finally {
      await be.destroy();
    }
  });

  it('rejects a bad thread count, reports its threads, and refuses kernels once closed', async function () {
    this.timeout(60000);
    await buildWasm({ quiet: true });
    let err: unknown = null;
    try {
      await createWasmBackend({ threads: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    const be = await createWasmBackend({ threads: 3 });
    expect(be.threads).to.equal(3);
    await be.destroy();
    await be.destroy();
    expect(() => be.conv2d(be.zeros('float32', 4), be.zeros('float32', 1), conv2dGeometry('c', [1, 1, 2, 2], [1, 1, 1, 1]))).to.throw(
      CondgradError,
      /the backend was closed/,
    );
  });
});

describe('wasm heap allocator: mixed sizes do not strand memory', () => {
  it('a 1 MiB heap serves 200 alternating requests of 300-600 KiB, each freed before the next', () => {
    const heap = new WasmHeap(0, 65536, 1 << 20);
    for (let i = 0; i < 200; i++) {
      const bytes = (300 + ((i * 37) % 300)) * 1024;
      const p = heap.alloc(bytes, `block ${i}`);
      expect(p + bytes).to.be.at.most(1 << 20);
      heap.release(p, bytes);
    }
    expect(heap.usedBytes).to.equal(0);
  });

  it('free neighbours coalesce into one block: four 200 KiB blocks freed, then one 700 KiB request fits a 1 MiB heap', () => {
    const heap = new WasmHeap(0, 65536, 1 << 20);
    const small = 200 * 1024;
    const ps = [0, 1, 2, 3].map((i) => heap.alloc(small, `small ${i}`));
    const keep = heap.alloc(64, 'pinned block above them');
    ps.forEach((p) => heap.release(p, small));
    const big = heap.alloc(700 * 1024, 'big');
    expect(big).to.equal(ps[0]);
    expect(keep).to.be.greaterThan(big);
  });
});
