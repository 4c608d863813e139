// Elementwise closeness assertion for typed arrays, with the first mismatch in the failure message.

import { expect } from 'chai';

/**
 * Asserts got.length === want.length and |got[i] - want[i]| <= tol * max(1, |want[i]|) for every i
 * (relative tolerance, absolute near zero). NaN matches only NaN; infinities must match exactly.
 */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, label = ''): void {
  expect(got.length, `${label} length`).to.equal(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w))) continue;
      expect.fail(`${label} [${i}]: got ${g}, want ${w}`);
    }
    if (!(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)))) {
      expect.fail(`${label} [${i}]: got ${g}, want ${w} (diff ${Math.abs(g - w)}, tol ${tol})`);
    }
  }
}
