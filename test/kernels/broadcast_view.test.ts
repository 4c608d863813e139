// broadcastView: the one gather view of a broadcast (expand, sum/mean backward, backprop's materialised gradients) against a naive multi-index read.

import { expect } from 'chai';
import { broadcastView } from '../../kernels/geometry/broadcast.js';
import { viewOffsets } from '../../kernels/geometry/strided.js';

/** Element offsets into a contiguous `from` for each element of `to` in row-major order, by NumPy's rule. */
function naiveOffsets(from: readonly number[], to: readonly number[]): number[] {
  const lead = to.length - from.length;
  const n = to.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let rest = i;
    let off = 0;
    let stride = 1;
    for (let d = to.length - 1; d >= 0; d--) {
      const idx = rest % to[d];
      rest = Math.floor(rest / to[d]);
      if (d >= lead) {
        const fd = from[d - lead];
        if (fd !== 1) off += idx * stride;
        stride *= fd;
      }
    }
    out.push(off);
  }
  return out;
}

describe('broadcastView(from, to)', () => {
  const cases: [number[], number[]][] = [
    [
      [3, 4, 1, 1],
      [3, 4, 5, 5],
    ],
    [
      [4, 1],
      [2, 4, 3],
    ],
    [
      [1, 3],
      [2, 5, 3],
    ],
    [[], [2, 3]],
    [
      [2, 3],
      [2, 3],
    ],
    [
      [1, 1, 1],
      [2, 1, 4],
    ],
    [
      [5, 1, 2],
      [5, 0, 2],
    ],
  ];
  for (const [from, to] of cases) {
    it(`[${from}] → [${to}] reads what NumPy's broadcast reads`, () => {
      expect(Array.from(viewOffsets(broadcastView(from, to)))).to.deep.equal(naiveOffsets(from, to));
    });
  }
  it('coalesces: a [3,4,1,1] mean gradient over [3,4,5,5] is two dims (12 rows of 25 repeats)', () => {
    expect(broadcastView([3, 4, 1, 1], [3, 4, 5, 5])).to.deep.equal({ dims: [12, 25], strides: [1, 0], offset: 0 });
  });
});
