// CpuBackend plumbing: allocation counting, copies on read, dtypes, and the singleton.

import { expect } from 'chai';
import { CpuBackend, cpuBackend } from '../../kernels/cpu/backend.js';
import { CondgradError } from '../../core/errors.js';
import { binaryGeometry } from '../../kernels/geometry/broadcast.js';

describe('CpuBackend', () => {
  it('is the cpu backend for float32 and float64, with a shared instance', () => {
    expect(cpuBackend).to.be.instanceOf(CpuBackend);
    expect(cpuBackend.name).to.equal('cpu');
    expect([...cpuBackend.dtypes]).to.deep.equal(['float32', 'float64']);
  });
  it('counts every allocation and its bytes; live counts are unknown', () => {
    const be = new CpuBackend();
    expect(be.memory()).to.deep.equal({ allocations: 0, bytesAllocated: 0, liveBuffers: null, liveBytes: null });
    const a = be.fromArray(new Float32Array(10));
    be.zeros('float64', 3);
    be.unary(a, { name: 'neg' });
    expect(be.memory()).to.deep.equal({ allocations: 3, bytesAllocated: 40 + 24 + 40, liveBuffers: null, liveBytes: null });
  });
  it('copies on fromArray, readSync and read', async () => {
    const be = new CpuBackend();
    const src = new Float64Array([1, 2, 3]);
    const s = be.fromArray(src);
    src[0] = 100;
    const r = be.readSync(s);
    r[1] = 200;
    const r2 = await be.read(s);
    r2[2] = 300;
    expect(Array.from(be.readSync(s))).to.deep.equal([1, 2, 3]);
    expect(s.dtype).to.equal('float64');
    expect(s.size).to.equal(3);
  });
  it('zeros gives a zero-filled storage of the dtype; dispose is a harmless no-op', () => {
    const be = new CpuBackend();
    const z = be.zeros('float32', 4);
    expect(be.readSync(z)).to.be.instanceOf(Float32Array);
    expect(Array.from(be.readSync(z))).to.deep.equal([0, 0, 0, 0]);
    be.dispose(z);
    be.dispose(z);
    expect(Array.from(be.readSync(z))).to.deep.equal([0, 0, 0, 0]);
  });
  it('throws a CondgradError naming the kernel and both dtypes on mixed binary operands [2]+[2]', () => {
    const be = new CpuBackend();
    const g = binaryGeometry('mul', [2], [2]);
    let err: unknown;
    try {
      be.binary(be.fromArray(new Float64Array(2)), be.fromArray(new Float32Array(2)), 'mul', g);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    expect((err as Error).message).to.match(/cpu\.binary\(mul\).*a is float64 but b is float32/);
  });
  it('rejects mixed dtypes in unaryBackward x=[2] float32, dy=[2] float64', () => {
    const be = new CpuBackend();
    const x = be.fromArray(new Float32Array(2));
    expect(() => be.unaryBackward(x, x, be.fromArray(new Float64Array(2)), { name: 'relu' })).to.throw(/unaryBackward\(relu\).*float32.*float64/);
  });
});
