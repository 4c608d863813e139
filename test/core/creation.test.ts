// Tensor creation: nested arrays, typed arrays, constants, seeded random draws and the ndarray round trip.

import '../../kernels/register.js';
import { expect } from 'chai';
import ndarray from 'ndarray';
import { full, fromNdarray, ones, rand, randn, tensor, toNdarray, zeros } from '../../core/creation.js';
import { CondgradError } from '../../core/errors.js';
import { Rng } from '../../core/random.js';
import { expectError } from '../helpers/tensors.js';

describe('creation', () => {
  it('tensor([[1,2,3],[4,5,6]]) infers shape [2,3] and float32', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).to.deep.equal([2, 3]);
    expect(t.dtype).to.equal('float32');
    expect(t.toArray()).to.deep.equal([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('a number gives a scalar of shape [] and a Float64Array gives float64', () => {
    const s = tensor(2.5);
    expect(s.shape).to.deep.equal([]);
    expect(s.item()).to.equal(2.5);
    const d = tensor(new Float64Array([0.1, 0.2, 0.3, 0.4]), [2, 2]);
    expect(d.dtype).to.equal('float64');
    expect(Array.from(d.dataSync())).to.deep.equal([0.1, 0.2, 0.3, 0.4]);
  });

  it('copies its input: later writes to the source do not change the tensor', () => {
    const src = new Float32Array([1, 2]);
    const t = tensor(src);
    src[0] = 9;
    expect(Array.from(t.dataSync())).to.deep.equal([1, 2]);
  });

  it('empty shapes [0] and [2,0] are allowed', () => {
    expect(tensor([]).shape).to.deep.equal([0]);
    expect(zeros([2, 0]).size).to.equal(0);
  });

  it('rejects ragged arrays, wrong lengths, bad sizes and bad dtypes, naming the op', () => {
    expectError(() => tensor([[1, 2], [3]]), 'tensor', 'ragged');
    expectError(() => tensor([1, [2]]), 'tensor', 'ragged');
    expectError(() => tensor([1, 2, 3], [2, 2]), 'tensor', '[2,2]', '3');
    expectError(() => tensor([1, 2], [-1, -2]), 'tensor', '[-1,-2]');
    expectError(() => tensor([1, 2], [NaN, 2]), 'tensor', 'shape');
    expectError(() => tensor([1], [1], { dtype: 'int32' as never }), 'tensor', 'dtype');
    expectError(() => zeros([2, 1.5]), 'full', '[2,1.5]');
    expectError(() => full([2], NaN), 'full', 'value');
    expectError(() => rand([-3]), 'rand', '[-3]');
    expectError(() => tensor([1, 2]).item(), 'item', '[2]');
  });

  it('zeros, ones and full([2,2], 3) fill with the value', () => {
    expect(Array.from(zeros([3]).dataSync())).to.deep.equal([0, 0, 0]);
    expect(Array.from(ones([2], { dtype: 'float64' }).dataSync())).to.deep.equal([1, 1]);
    expect(full([2, 2], 3).toArray()).to.deep.equal([
      [3, 3],
      [3, 3],
    ]);
  });

  it('rand/randn with a seed reproduce the Rng stream, within [low, high)', () => {
    const a = rand([100], { seed: 5, low: -2, high: 3, dtype: 'float64' }).dataSync();
    const rng = new Rng(5);
    for (let i = 0; i < 100; i++) {
      expect(a[i]).to.equal(rng.uniform(-2, 3));
      expect(a[i]).to.be.at.least(-2).and.below(3);
    }
    const n1 = randn([4, 5], { seed: 9, mean: 1, std: 2, dtype: 'float64' }).dataSync();
    const rng2 = new Rng(9);
    for (let i = 0; i < 20; i++) expect(n1[i]).to.equal(1 + 2 * rng2.normal());
    expect(Array.from(randn([7], { seed: 9 }).dataSync())).to.deep.equal(Array.from(randn([7], { seed: 9 }).dataSync()));
  });

  it('fromNdarray copies a transposed strided view [3,2] in logical order; toNdarray round trips', () => {
    const base = ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const t = fromNdarray(base.transpose(1, 0));
    expect(t.shape).to.deep.equal([3, 2]);
    expect(t.dtype).to.equal('float64');
    expect(t.toArray()).to.deep.equal([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    const nd = toNdarray(t);
    expect(nd.shape).to.deep.equal([3, 2]);
    expect(nd.get(2, 1)).to.equal(6);
    const back = fromNdarray(nd);
    expect(Array.from(back.dataSync())).to.deep.equal(Array.from(t.dataSync()));
    const sliced = fromNdarray(
      ndarray(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8]), [3, 3])
        .hi(3, 2)
        .lo(1, 0),
    );
    expect(sliced.toArray()).to.deep.equal([
      [3, 4],
      [6, 7],
    ]);
  });

  it('a disposed tensor throws a CondgradError on use', () => {
    const t = ones([2]);
    t.dispose();
    expect(t.isDisposed).to.equal(true);
    expect(() => t.dataSync()).to.throw(CondgradError, /was disposed/);
  });
});
