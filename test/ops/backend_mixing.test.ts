// Backends never mix silently: a gpu tensor with a cpu tensor in one op is an error, and a machine without a usable adapter gets a clear message while the cpu backend keeps working.
import '../../kernels/register.js';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { CondgradError } from '../../core/errors.js';
import { tensor } from '../../core/creation.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { add } from '../../ops/arithmetic.js';
import { conv2d } from '../../ops/conv.js';
import { condConv2d } from '../../ops/cond_conv.js';
import { describeGpu } from '../helpers/gpu.js';

function expectMixError(f: () => unknown, op: string): void {
  expect(f)
    .to.throw(CondgradError)
    .with.property('message')
    .that.matches(new RegExp(`^${op}: .*'gpu' backend.*'cpu'|^${op}: .*'cpu' backend.*'gpu'`));
}

describeGpu('mixing gpu and cpu tensors', (gpu) => {
  it('add of a gpu [2,3] and a cpu [2,3] names both backends and the shapes', () => {
    const g = tensor([1, 2, 3, 4, 5, 6], [2, 3], { backend: gpu() });
    const c = tensor([1, 2, 3, 4, 5, 6], [2, 3], { backend: cpuBackend });
    expectMixError(() => add(g, c), 'add');
    expect(() => add(g, c)).to.throw(/\[2,3\]/);
  });

  it('conv2d with x on gpu [1,2,4,4] and weight on cpu [3,2,3,3]', () => {
    const x = tensor(new Float32Array(32), [1, 2, 4, 4], { backend: gpu() });
    const w = tensor(new Float32Array(54), [3, 2, 3, 3], { backend: cpuBackend });
    expectMixError(() => conv2d(x, w, null, { padding: 1 }), 'conv2d');
  });

  it('condConv2d with routing on cpu [1,2] and the rest on gpu', () => {
    const x = tensor(new Float32Array(32), [1, 2, 4, 4], { backend: gpu() });
    const e = tensor(new Float32Array(108), [2, 3, 2, 3, 3], { backend: gpu() });
    const r = tensor([0.5, 0.5], [1, 2], { backend: cpuBackend });
    expect(() => condConv2d(x, e, r, null, { padding: 1 })).to.throw(CondgradError, /condConv2d: .*'gpu'.*'cpu'/);
  });
});

describe('a machine without a usable adapter', () => {
  it("createGpuBackend({ backend: 'd3d12' }) on Linux fails with a clear CondgradError, and cpu ops still run", function () {
    if (process.platform === 'win32') this.skip();
    this.timeout(60000);
    const script = `
      import './kernels/register.ts';
      import { createGpuBackend } from './kernels/gpu/device.ts';
      import { tensor } from './core/creation.ts';
      import { add } from './ops/arithmetic.ts';
      let msg = 'no error';
      try { await createGpuBackend({ backend: 'd3d12' }); } catch (e) { msg = e.name + ': ' + e.message; }
      const y = add(tensor([1, 2], [2], { backend: 'cpu' }), 1);
      console.log(JSON.stringify({ msg, y: Array.from(y.dataSync()) }));
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const res = JSON.parse(out.trim().split('\n').pop()!) as { msg: string; y: number[] };
    expect(res.msg).to.match(/^CondgradError: gpu: no WebGPU adapter/);
    expect(res.y).to.deep.equal([2, 3]);
  });
});
