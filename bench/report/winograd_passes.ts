// Multiplies per direct-conv MAC in each pass of a conv on the wasm backend (Winograd's saving per pass), for the benches' FLOP floors.

import { transposedConvGeometry, type Conv2dGeometry } from '../../kernels/geometry/conv.js';
import { isWinograd, isWinogradFilter, winogradTile, type WinoTile } from '../../kernels/wasm/conv_choice.js';

/** Multiplies per MAC of a conv's forward, input gradient and filter gradient. */
export interface PassMultiplies {
  forward: number;
  inputGrad: number;
  filterGrad: number;
}

const left = (m: WinoTile): number => (m === 4 ? 1 / 4 : 1 / 2.25);

/**
 * What each pass of g costs in multiplies per direct-conv MAC, as the wasm backend chooses it: 1/4 under
 * Winograd F(4x4,3x3), 1/2.25 under F(2x2,3x3), 1 for every other algorithm (conv_choice.ts decides).
 */
export function winogradPasses(g: Conv2dGeometry): PassMultiplies {
  if (!isWinograd(g)) return { forward: 1, inputGrad: 1, filterGrad: 1 };
  return {
    forward: left(winogradTile(g, false)),
    inputGrad: left(winogradTile(transposedConvGeometry(g), true)),
    filterGrad: isWinogradFilter(g) ? 1 / 2.25 : 1,
  };
}
