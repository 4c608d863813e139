// The wasm conv algorithm choice: which 3x3 convs run Winograd, per phase, and with which tile.

import { expect } from 'chai';
import { conv2dGeometry, transposedConvGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import {
  forceWinogradFilterSums,
  forceWinogradTile,
  isWinograd,
  isWinogradFilter,
  isWinogradFilterGemm,
  winogradTile,
} from '../../kernels/wasm/conv_choice.js';

const geom = (b: number, c: number, hw: number, o: number, perSample: boolean, opts: Conv2dOptions = { padding: 1 }) =>
  conv2dGeometry('conv2d', [b, c, hw, hw], perSample ? [b, o, c, 3, 3] : [o, c, 3, 3], opts, perSample);

describe('wasm conv choice: Winograd per phase', () => {
  for (const perSample of [false, true]) {
    const tag = perSample ? 'per-sample' : 'shared';
    // Where bench/conv_phase_ab.ts found one path clearly faster (GEMM tile sums: Winograd 0.45-0.8x the wide path
    // on 4x4 to 8x8 planes at 16-64 channels; the wide path 0.6-0.85x on 3x3 at 16 and 4x4 to 10x10 at 8 channels).
    it(`filter gradient: Winograd from 4x4 planes at 16+ channels, 3x3 at 32+, 14x14 at 8; else the wide path (${tag})`, () => {
      const wino = [
        ...[3, 4, 5, 6, 7, 8, 14, 28].map((hw) => [64, 64, hw, 64]),
        ...[3, 4, 6].map((hw) => [64, 32, hw, 32]),
        ...[4, 5, 6, 7, 8, 12, 20, 28].map((hw) => [64, 16, hw, 16]),
        [32, 8, 14, 8],
        [16, 8, 28, 8],
        [8, 8, 56, 8],
      ];
      const wide = [[64, 16, 3, 16], ...[3, 4, 5, 6, 7, 10].map((hw) => [64, 8, hw, 8])];
      for (const [want, shapes] of [
        [true, wino],
        [false, wide],
      ] as const) {
        for (const [b, c, hw, o] of shapes) expect(isWinogradFilter(geom(b, c, hw, o, perSample)), `B${b} C${c} ${hw}x${hw} O${o}`).to.equal(want);
      }
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

describe('wasm conv choice: the Winograd filter gradient sums short blocks as GEMMs, long ones with few channels as dot tiles', () => {
  for (const perSample of [false, true]) {
    const tag = perSample ? 'per-sample' : 'shared';
    it(`GEMMs on 7x7 to 16x16 planes with 16-128 channels, dot tiles on 28x28 C16 and 32x32 C64 (${tag})`, () => {
      for (const [b, c, hw, o] of [
        [64, 64, 7, 64],
        [64, 32, 7, 64],
        [64, 16, 14, 32],
        [32, 32, 16, 32],
        [8, 128, 16, 128],
        [16, 32, 10, 32],
      ]) {
        expect(isWinogradFilterGemm(geom(b, c, hw, o, perSample)), `B${b} C${c} ${hw}x${hw} O${o}`).to.equal(true);
      }
      for (const [b, c, hw, o] of [
        [64, 16, 28, 16],
        [64, 8, 28, 16],
        [8, 64, 32, 64],
      ]) {
        expect(isWinogradFilterGemm(geom(b, c, hw, o, perSample)), `B${b} C${c} ${hw}x${hw} O${o}`).to.equal(false);
      }
    });
  }
  it('forceWinogradFilterSums overrides the model and gives back the previous setting', () => {
    const g = geom(64, 64, 7, 64, false);
    expect(forceWinogradFilterSums('dot')).to.equal(null);
    expect(isWinogradFilterGemm(g)).to.equal(false);
    expect(forceWinogradFilterSums(null)).to.equal('dot');
    expect(isWinogradFilterGemm(g)).to.equal(true);
  });
});

describe('wasm conv choice: the Winograd tile, per shape and path', () => {
  const tile = (b: number, c: number, hw: number, o: number, perSample: boolean, inputGrad: boolean) => {
    const g = geom(b, c, hw, o, perSample);
    return winogradTile(inputGrad ? transposedConvGeometry(g) : g, inputGrad);
  };
  for (const perSample of [false, true]) {
    for (const inputGrad of [false, true]) {
      const tag = `${perSample ? 'per-sample' : 'shared'} ${inputGrad ? 'input gradient' : 'forward'}`;
      it(`F(4x4,3x3) on 10x10 to 56x56 planes, 16 to 128 channels (${tag})`, () => {
        const shapes = [
          [8, 64, 32, 64],
          [32, 32, 16, 32],
          [1, 64, 56, 64],
          [64, 16, 28, 16],
          [64, 32, 14, 32],
          [8, 128, 16, 128],
          [16, 32, 10, 32],
        ];
        for (const [b, c, hw, o] of shapes) expect(tile(b, c, hw, o, perSample, inputGrad), `B${b} C${c} ${hw}x${hw} O${o}`).to.equal(4);
      });
      it(`F(2x2,3x3) on 7x7 and 8x8 planes (the 4-tile rows pad 2 tiles to 4) and past 128 summed channels (${tag})`, () => {
        for (const [b, c, hw, o] of [
          [64, 32, 7, 64],
          [64, 64, 7, 64],
          [8, 64, 8, 64],
        ])
          expect(tile(b, c, hw, o, perSample, inputGrad), `B${b} C${c} ${hw}x${hw} O${o}`).to.equal(2);
        // The forward sums C/g channels, the input gradient O/g.
        expect(tile(2, inputGrad ? 64 : 256, 32, inputGrad ? 256 : 64, perSample, inputGrad)).to.equal(2);
        expect(tile(2, inputGrad ? 256 : 64, 32, inputGrad ? 64 : 256, perSample, inputGrad)).to.equal(4);
      });
    }
  }
  it('forceWinogradTile overrides the model and gives back the previous setting', () => {
    const g = geom(64, 32, 7, 64, false);
    expect(forceWinogradTile(4)).to.equal(null);
    expect(winogradTile(g, false)).to.equal(4);
    expect(forceWinogradTile(null)).to.equal(4);
    expect(winogradTile(g, false)).to.equal(2);
  });
  it('forced F(4x4,3x3) still gives way to F(2x2,3x3) past 128 summed channels (x=[2,129,16,16] w=[64,129,3,3])', () => {
    const g = geom(2, 129, 16, 64, false);
    const prev = forceWinogradTile(4);
    try {
      expect(winogradTile(g, false), 'forward sums 129 channels').to.equal(2);
      expect(winogradTile(transposedConvGeometry(g), true), 'input gradient sums 64').to.equal(4);
      expect(winogradTile(geom(2, 128, 16, 64, false), false), 'forward sums 128 channels').to.equal(4);
    } finally {
      forceWinogradTile(prev);
    }
  });
});
