// Shape helpers: element counts, row-major strides and shape equality.

import { expect } from 'chai';
import { contiguousStrides, sameShape, sizeOf } from '../../core/shape.js';

describe('core/shape', () => {
  it('sizeOf and contiguousStrides', () => {
    expect(sizeOf([])).to.equal(1);
    expect(sizeOf([2, 3, 4])).to.equal(24);
    expect(sizeOf([2, 0, 4])).to.equal(0);
    expect(contiguousStrides([2, 3, 4])).to.deep.equal([12, 4, 1]);
    expect(contiguousStrides([])).to.deep.equal([]);
  });

  it('sameShape compares rank and every dimension', () => {
    expect(sameShape([], [])).to.equal(true);
    expect(sameShape([2, 3], [2, 3])).to.equal(true);
    expect(sameShape([2, 3], [3, 2])).to.equal(false);
    expect(sameShape([6], [2, 3])).to.equal(false);
    expect(sameShape([1, 6], [6])).to.equal(false);
    expect(sameShape([], [1])).to.equal(false);
    expect(sameShape([12], [1, 2])).to.equal(false); // the same digits, formatted apart
  });
});
