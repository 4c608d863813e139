// The wasm conv algorithm choice: which 3x3 convs run Winograd, per phase.

import { expect } from 'chai';
import { conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { isWinograd, isWinogradFilter } from '../../kernels/wasm/conv_choice.js';

const geom = (b: number, c: number, hw: number, o: number, perSample: boolean, opts: Conv2dOptions = { padding: 1 }) =>
  conv2dGeometry('conv2d', [b, c, hw, hw], perSample ? [b, o, c, 3, 3] : [o, c, 3, 3], opts, perSample);

describe('wasm conv choice: Winograd per phase', () => {
  for (const perSample of [false, true]) {
    const tag = perSample ? 'per-sample' : 'shared';
    it(`filter gradient: Winograd on 7x7 and larger planes, the wide path on 3x3..6x6 (x=[64,64,H,H] w=[64,64,3,3] ${tag})`, () => {
      for (const hw of [3, 4, 5, 6]) expect(isWinogradFilter(geom(64, 64, hw, 64, perSample)), `${hw}x${hw}`).to.equal(false);
      for (const hw of [7, 8, 14, 28]) expect(isWinogradFilter(geom(64, 64, hw, 64, perSample)), `${hw}x${hw}`).to.equal(true);
    });
    it(`forward and input gradient stay Winograd on small planes (x=[64,64,5,5] w=[64,64,3,3] ${tag})`, () => {
      expect(isWinograd(geom(64, 64, 5, 64, perSample))).to.equal(true);
    });
  }
  it('never Winograd where the conv is not (stride 2, or fewer than 8 channels): x=[8,64,14,14] s=2; x=[8,4,14,14]', () => {
    expect(isWinogradFilter(geom(8, 64, 14, 64, false, { padding: 1, stride: 2 }))).to.equal(false);
    expect(isWinogradFilter(geom(8, 4, 14, 64, false))).to.equal(false);
  });
});
