// Conv geometry: output sizes and padding for the options every backend relies on.
import { expect } from 'chai';
import { conv2dGeometry } from '../../kernels/geometry/conv.js';

describe('conv2dGeometry', () => {
  it("'same' with an even kernel pads the odd pixel at the bottom/right", () => {
    const g = conv2dGeometry('conv2d', [1, 1, 5, 5], [1, 1, 4, 4], { padding: 'same' });
    expect([g.outH, g.outW, g.padTop, g.padBottom, g.padLeft, g.padRight]).to.deep.equal([5, 5, 1, 2, 1, 2]);
  });
  it('names the op and shapes when groups do not divide channels', () => {
    expect(() => conv2dGeometry('conv2d', [1, 3, 5, 5], [4, 1, 3, 3], { groups: 2 })).to.throw(/conv2d: groups 2 does not divide the input channels 3/);
  });
});
