// initBackend with an unknown name: the message lists each known backend once, whichever of them are running.

import '../../kernels/register.js';
import { expect } from 'chai';
import { CondgradError } from '../../core/errors.js';
import { initBackend } from '../../core/engine.js';

describe('initBackend: unknown backend', () => {
  it('names cpu, wasm and gpu once each, also while wasm runs (registered and a factory)', async () => {
    await initBackend('wasm');
    let err: unknown = null;
    try {
      await initBackend('tpu' as 'cpu');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    expect((err as Error).message).to.equal("initBackend: unknown backend 'tpu' (expected one of: cpu, wasm, gpu)");
  });
});
