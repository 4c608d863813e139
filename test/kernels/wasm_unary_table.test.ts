// The wasm unary table: which ops run a wasm kernel and which the reference JS loop, stated as a list so a change is a visible diff.

import '../../kernels/register.js';
import { expect } from 'chai';
import { UNARY_OPS, type UnaryOp } from '../../kernels/elementwise.js';
import { WASM_UNARY, unaryCode } from '../../kernels/wasm/ops.js';

describe('wasm unary table (kernels/wasm/ops.ts WASM_UNARY)', () => {
  it('has a row for every unary op of kernels/elementwise.ts and nothing else', () => {
    expect(Object.keys(WASM_UNARY).sort()).to.deep.equal([...UNARY_OPS].sort());
  });

  it('these forwards run the reference JS loop on the wasm heap (one thread, no SIMD)', () => {
    const js = UNARY_OPS.filter((n) => WASM_UNARY[n].forward === 'js');
    expect(js).to.deep.equal(['exp', 'log', 'sigmoid', 'tanh', 'silu', 'sign', 'powScalar']);
  });

  it('only relu has a wasm backward kernel; every other backward runs the JS loop', () => {
    expect(UNARY_OPS.filter((n) => WASM_UNARY[n].backward !== 'js')).to.deep.equal(['relu']);
  });

  it('affine and clamp take the kernel only with constants float32 holds exactly', () => {
    const cases: [UnaryOp, boolean][] = [
      [{ name: 'affine', scale: 2.5, shift: -1 }, true],
      [{ name: 'affine', scale: 0.1, shift: 0.3 }, false],
      [{ name: 'clamp', min: -0.5, max: 0.75 }, true],
      [{ name: 'clamp', min: 0, max: 1 / 3 }, false],
      [{ name: 'relu' }, true],
      [{ name: 'exp' }, false],
      [{ name: 'powScalar', exponent: 2 }, false],
    ];
    for (const [op, kernel] of cases) expect(unaryCode(op) !== null, JSON.stringify(op)).to.equal(kernel);
    expect(unaryCode({ name: 'affine', scale: 2.5, shift: -1 })).to.deep.equal([WASM_UNARY.affine.forward, 2.5, -1]);
  });
});
