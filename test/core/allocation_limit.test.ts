// Absurd shapes: element counts are checked against the allocation limit before anything is allocated, with a named error.

import '../../kernels/register.js';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { ones, rand, zeros } from '../../core/creation.js';
import { ALLOCATION_LIMIT_ENV, DEFAULT_ALLOCATION_LIMIT, getAllocationLimit, setAllocationLimit } from '../../core/limits.js';
import { add } from '../../ops/arithmetic.js';
import { conv2d } from '../../ops/conv.js';
import { matmul } from '../../ops/matmul.js';
import { expand } from '../../ops/broadcast.js';
import { forEachBackend } from '../helpers/backends.js';
import { expectError } from '../helpers/tensors.js';

forEachBackend((tb) => {
  const on = { backend: tb.backend };
  describe('allocation limit: absurd shapes are refused before allocating', () => {
    it('zeros([65536, 65536, 65536]) names the shape, the size and the limit', () => {
      expectError(() => zeros([65536, 65536, 65536], on), 'full', '[65536,65536,65536]', 'PiB', '4.0 GiB allocation limit', ALLOCATION_LIMIT_ENV);
    });

    it('matmul(ones([1e5,1]), ones([1,1e5])) names both inputs and the result [100000,100000]', () => {
      expectError(() => matmul(ones([1e5, 1], on), ones([1, 1e5], on)), 'matmul', '[100000,100000]', 'a [100000,1]', 'b [1,100000]', 'allocation limit');
    });

    it('expand(ones([1,1]), [1e6,1e6]) and a conv with padding 2^31', () => {
      expectError(() => expand(ones([1, 1], on), [1e6, 1e6]), 'expand', '[1000000,1000000]', 'x [1,1]');
      expectError(
        () => conv2d(ones([1, 1, 3, 3], on), ones([1, 1, 3, 3], on), null, { padding: 2 ** 31 }),
        'conv2d',
        '[1,1,4294967297,4294967297]',
        'weight [1,1,3,3]',
      );
    });

    it('setAllocationLimit(1 KiB) refuses a 1200-byte result of an op and of a creation function, and is restored', () => {
      const prev = setAllocationLimit(1024);
      try {
        expect(getAllocationLimit()).to.equal(1024);
        const a = ones([256], on); // 1024 bytes: at the limit, allowed
        expectError(() => add(a, ones([2, 1], on)), 'add', 'the result [2,256]', 'a [256], b [2,1]', '2.0 KiB', '1.0 KiB allocation limit');
        expectError(() => rand([300], on), 'rand', '[300]');
      } finally {
        setAllocationLimit(prev);
      }
      expect(getAllocationLimit()).to.equal(prev);
    });
  });
});

describe('allocation limit settings', () => {
  it(`defaults to ${DEFAULT_ALLOCATION_LIMIT} bytes; ${ALLOCATION_LIMIT_ENV} sets it at start-up, a bad value is a named error`, function () {
    this.timeout(60000);
    expect(DEFAULT_ALLOCATION_LIMIT).to.equal(2 ** 32);
    const run = (v: string): string =>
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '-e',
          "import('./core/limits.ts').then((m) => console.log(m.getAllocationLimit())).catch((e) => console.log(e.name + ' ' + e.message))",
        ],
        { env: { ...process.env, [ALLOCATION_LIMIT_ENV]: v }, encoding: 'utf8' },
      ).trim();
    expect(run('1048576')).to.equal('1048576');
    expect(run('lots')).to.match(/^CondgradError allocation limit: CONDGRAD_MAX_TENSOR_BYTES='lots'/);
    expectError(() => setAllocationLimit(-1), 'setAllocationLimit', 'positive integer');
  });
});
