// chooseWasmSimd and the relaxed-SIMD probe: which wasm kernel build runs, from the option, CONDGRAD_WASM_SIMD and what the runtime validates.

import { expect } from 'chai';
import { CondgradError } from '../../core/errors.js';
import { WASM_SIMD_AUTO_PREFERS, WASM_SIMD_ENV, chooseWasmSimd, wasmRelaxedSimdSupported } from '../../core/wasm_simd.js';

/** Whether this Node validates relaxed SIMD: by default from Node 21, on Node 20 only with the V8 flag. */
function expectedRelaxed(): boolean {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 21 || process.execArgv.includes('--experimental-wasm-relaxed-simd');
}

describe('wasm kernel build choice (core/wasm_simd.ts)', () => {
  it('the probe validates exactly where this Node has relaxed SIMD', () => {
    expect(wasmRelaxedSimdSupported()).to.equal(expectedRelaxed());
  });

  it('auto (no option, no env) is the preferred build where relaxed SIMD validates, else simd128', () => {
    expect(chooseWasmSimd(undefined, { env: '', relaxed: true })).to.equal(WASM_SIMD_AUTO_PREFERS);
    expect(chooseWasmSimd(undefined, { env: '', relaxed: false })).to.equal('simd128');
    expect(chooseWasmSimd('auto', { env: 'simd128', relaxed: true })).to.equal(WASM_SIMD_AUTO_PREFERS);
    expect(chooseWasmSimd(undefined, { env: ' auto ', relaxed: false })).to.equal('simd128');
  });

  it('the option wins over the environment variable, which wins over auto', () => {
    expect(chooseWasmSimd('simd128', { env: 'relaxed', relaxed: true })).to.equal('simd128');
    expect(chooseWasmSimd('relaxed', { env: 'simd128', relaxed: true })).to.equal('relaxed');
    expect(chooseWasmSimd(undefined, { env: 'simd128', relaxed: true })).to.equal('simd128');
    expect(chooseWasmSimd(undefined, { env: 'relaxed', relaxed: true })).to.equal('relaxed');
  });

  it('simd128 is always available; relaxed where it does not validate is an error that says how to enable it', () => {
    expect(chooseWasmSimd('simd128', { relaxed: false })).to.equal('simd128');
    expect(() => chooseWasmSimd('relaxed', { relaxed: false })).to.throw(
      CondgradError,
      /simd: 'relaxed'.*does not validate relaxed SIMD.*--experimental-wasm-relaxed-simd/,
    );
    expect(() => chooseWasmSimd(undefined, { env: 'relaxed', relaxed: false })).to.throw(CondgradError, new RegExp(`${WASM_SIMD_ENV}=relaxed`));
  });

  it('an unknown request is an error naming where it came from and the choices', () => {
    expect(() => chooseWasmSimd(undefined, { env: 'fma', relaxed: true })).to.throw(
      CondgradError,
      /CONDGRAD_WASM_SIMD must be one of 'auto', 'relaxed', 'simd128', got "fma"/,
    );
    expect(() => chooseWasmSimd('avx' as never, { relaxed: true })).to.throw(CondgradError, /the simd option must be one of/);
  });
});
