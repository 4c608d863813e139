// Test backend discovery: a backend the environment requires must start (the run fails otherwise); an optional one is skipped with the reason.

import '../../kernels/register.js';
import { expect } from 'chai';
import type { AnyBackend, BackendName } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { discoverBackends } from '../helpers/backends.js';

/** A backend factory that fails with `why`, or returns the cpu backend under another name. */
function fake(name: BackendName, why: string | null): { name: BackendName; start: () => Promise<AnyBackend> } {
  return {
    name,
    start: () =>
      why === null
        ? Promise.resolve(Object.assign(Object.create(cpuBackend) as AnyBackend, { name, destroy: () => Promise.resolve() }))
        : Promise.reject(new Error(why)),
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('test backend discovery (test/helpers/backends.ts)', () => {
  const optional = [fake('wasm', null), fake('gpu', 'no WebGPU adapter')];

  it('without requirements: cpu and wasm run, gpu that cannot start is skipped', async () => {
    const got = await discoverBackends({}, optional);
    expect(got.map((b) => b.name)).to.deep.equal(['cpu', 'wasm']);
  });

  it('CONDGRAD_REQUIRE_GPU=1 and no adapter: discovery fails and says why', async () => {
    const e = await rejection(discoverBackends({ CONDGRAD_REQUIRE_GPU: '1' }, optional));
    expect(e.message).to.match(/'gpu' did not start: no WebGPU adapter \(required by CONDGRAD_REQUIRE_GPU=1\)/);
  });

  it('CONDGRAD_TEST_BACKENDS names a backend that cannot start: discovery fails', async () => {
    const e = await rejection(discoverBackends({ CONDGRAD_TEST_BACKENDS: 'gpu' }, optional));
    expect(e.message).to.match(/\(required by CONDGRAD_TEST_BACKENDS=gpu\)/);
  });

  it("CONDGRAD_TEST_BACKENDS narrows the list ('none': cpu only)", async () => {
    expect((await discoverBackends({ CONDGRAD_TEST_BACKENDS: 'wasm' }, optional)).map((b) => b.name)).to.deep.equal(['cpu', 'wasm']);
    expect((await discoverBackends({ CONDGRAD_TEST_BACKENDS: 'none' }, optional)).map((b) => b.name)).to.deep.equal(['cpu']);
  });
});
