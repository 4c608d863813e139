// Data tests: the fixed MNIST split, loader determinism and batching, shift augmentation and mixup.

import '../../kernels/register.js';
import { expect } from 'chai';
import { Rng } from '../../core/random.js';
import { CondgradError } from '../../core/errors.js';
import { tensor } from '../../core/creation.js';
import { loadMnist, mnistAll, mnistSplitIndices, MNIST_MEAN, MNIST_STD } from '../../nn/data/mnist.js';
import { DataLoader, batchImages, shiftImage, type Batch } from '../../nn/data/loader.js';
import { mixBatch, mixupCrossEntropy, sampleBeta } from '../../nn/data/mixup.js';
import { crossEntropy } from '../../ops/softmax.js';
import type { ImageDataset } from '../../nn/data/dataset.js';
import { expectClose } from '../helpers/close.js';

/** A dataset of N images [1, H, W] whose pixel values encode (image, y, x). */
function synthetic(N: number, H: number, W: number): ImageDataset {
  const images = new Float32Array(N * H * W);
  for (let i = 0; i < images.length; i++) images[i] = i + 1;
  return { images, labels: Int32Array.from({ length: N }, (_, i) => i % 3), imageShape: [1, H, W], numClasses: 3, background: 0, length: N };
}

function collect(l: DataLoader, e: number): Batch[] {
  return [...l.epoch(e)];
}

describe('nn/data', () => {
  describe('MNIST', () => {
    it('ships 10,000 digits 28×28 in [0,1] with labels 0..9', () => {
      const all = mnistAll();
      expect(all.length).to.equal(10000);
      expect(all.imageShape).to.deep.equal([1, 28, 28]);
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of all.images) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      expect([lo, hi]).to.deep.equal([0, 1]);
      expect(new Set(all.labels).size).to.equal(10);
    });

    it('default split train=[8000,1,28,28] test=[2000,1,28,28]: fixed, disjoint, all ten labels', () => {
      const { train, test } = loadMnist();
      expect([train.length, test.length]).to.deep.equal([8000, 2000]);
      expect(train.images.length).to.equal(8000 * 784);
      expect(test.images.length).to.equal(2000 * 784);
      for (const d of [train, test]) {
        const counts = new Array(10).fill(0);
        for (const l of d.labels) counts[l]++;
        expect(
          counts.every((c) => c > 0.05 * d.length),
          `label counts ${counts}`,
        ).to.equal(true);
      }
      const idx = mnistSplitIndices(8000, 2000);
      const inTrain = new Set(idx.train);
      expect(inTrain.size).to.equal(8000);
      expect(idx.test.some((i) => inTrain.has(i))).to.equal(false);
      const all = mnistAll();
      expect(train.labels).to.deep.equal(Int32Array.from(idx.train, (i) => all.labels[i]));
      expect(test.images.subarray(0, 784)).to.deep.equal(all.images.subarray(idx.test[0] * 784, (idx.test[0] + 1) * 784));
      // Fixed: the first labels of each set never change.
      expect(Array.from(train.labels.subarray(0, 12))).to.deep.equal(FIRST_TRAIN_LABELS);
      expect(Array.from(test.labels.subarray(0, 12))).to.deep.equal(FIRST_TEST_LABELS);
    });

    it('a smaller train set is a prefix of the default one and the test set is unchanged', () => {
      const big = loadMnist();
      const small = loadMnist({ train: 500, test: 2000 });
      expect(small.train.images).to.deep.equal(big.train.images.subarray(0, 500 * 784));
      expect(small.test.labels).to.deep.equal(big.test.labels);
      expect(loadMnist()).to.equal(big);
    });

    it('normalize: (x − 0.1307) / 0.3081 with the background moved; too many digits is an error', () => {
      const raw = loadMnist({ train: 100, test: 10 });
      const n = loadMnist({ train: 100, test: 10, normalize: true });
      expectClose(
        n.train.images.subarray(0, 784),
        Array.from(raw.train.images.subarray(0, 784), (v) => (v - MNIST_MEAN) / MNIST_STD),
        1e-6,
      );
      expect(n.train.background).to.be.closeTo(-MNIST_MEAN / MNIST_STD, 1e-12);
      expect(() => loadMnist({ train: 9000, test: 2000 })).to.throw(CondgradError, /exceeds the 10000 digits/);
    });
  });

  describe('DataLoader', () => {
    it('N=10 [1,2,3] batchSize=4: batches of 4,4,2 covering every image once; dropLast gives 2', () => {
      const d = synthetic(10, 2, 3);
      const l = new DataLoader(d, { batchSize: 4, seed: 3 });
      const bs = collect(l, 0);
      expect(bs.map((b) => b.shape)).to.deep.equal([
        [4, 1, 2, 3],
        [4, 1, 2, 3],
        [2, 1, 2, 3],
      ]);
      const ids = bs.flatMap((b) => Array.from({ length: b.shape[0] }, (_, i) => (b.images[i * 6] - 1) / 6));
      expect([...ids].sort((x, y) => x - y)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(ids).to.deep.equal(Array.from(l.order(0)));
      expect(bs.flatMap((b) => Array.from(b.labels))).to.deep.equal(ids.map((i) => i % 3));
      expect(new DataLoader(d, { batchSize: 4, dropLast: true }).numBatches).to.equal(2);
    });

    it('same seed and epoch → identical batches (with shift and mixup); another epoch or seed → another order', () => {
      const { train } = loadMnist({ train: 256, test: 10 });
      const opts = { batchSize: 64, seed: 7, shift: 2, mixup: 0.4 };
      const a = collect(new DataLoader(train, opts), 1);
      const b = collect(new DataLoader(train, opts), 1);
      expect(a.length).to.equal(4);
      a.forEach((x, i) => {
        expect(x.images).to.deep.equal(b[i].images);
        expect(x.labels).to.deep.equal(b[i].labels);
        expect(x.mix).to.deep.equal(b[i].mix);
      });
      const plain = new DataLoader(train, { batchSize: 64, seed: 7 });
      expect(plain.order(1)).to.not.deep.equal(plain.order(2));
      expect(plain.order(1)).to.not.deep.equal(new DataLoader(train, { batchSize: 64, seed: 8 }).order(1));
      expect(new DataLoader(train, { shuffle: false }).order(0)).to.deep.equal(Int32Array.from({ length: 256 }, (_, i) => i));
    });

    it('batchImages gives a [B,1,28,28] float32 tensor with the batch values', () => {
      const { test } = loadMnist({ train: 10, test: 20 });
      const [b] = collect(new DataLoader(test, { batchSize: 20, shuffle: false }), 0);
      const x = batchImages(b);
      expect(x.shape).to.deep.equal([20, 1, 28, 28]);
      expect(x.dtype).to.equal('float32');
      expect(x.dataSync()).to.deep.equal(test.images);
    });

    it('rejects a bad batch size, shift and mixup', () => {
      const d = synthetic(4, 5, 5);
      expect(() => new DataLoader(d, { batchSize: 0 })).to.throw(CondgradError, /batchSize/);
      expect(() => new DataLoader(d, { shift: 5 })).to.throw(CondgradError, /shift must be an integer in \[0, 4\]/);
      expect(() => new DataLoader(d, { mixup: -1 })).to.throw(CondgradError, /mixup/);
    });
  });

  describe('shift augmentation', () => {
    it('shiftImage [2,3,4] by dx=1 dy=-1: dst[c,y,x] = src[c,y+1,x-1], background elsewhere', () => {
      const C = 2;
      const H = 3;
      const W = 4;
      const src = Float32Array.from({ length: C * H * W }, (_, i) => i + 1);
      const dst = new Float32Array(C * H * W);
      shiftImage(src, dst, C, H, W, 1, -1, -5);
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++)
          for (let x = 0; x < W; x++) {
            const sy = y + 1;
            const sx = x - 1;
            const want = sy < H && sx >= 0 ? src[(c * H + sy) * W + sx] : -5;
            expect(dst[(c * H + y) * W + x], `c=${c} y=${y} x=${x}`).to.equal(want);
          }
    });

    it('loader shift=2 on [1,9,9]: every image is its source moved by some (dx,dy) in [-2,2]², all offsets occur', () => {
      const d = synthetic(200, 9, 9);
      const l = new DataLoader(d, { batchSize: 50, seed: 1, shift: 2 });
      const seen = new Set<string>();
      const order = l.order(0);
      let n = 0;
      for (const b of l.epoch(0)) {
        for (let i = 0; i < b.shape[0]; i++, n++) {
          const src = d.images.subarray(order[n] * 81, (order[n] + 1) * 81);
          const got = b.images.subarray(i * 81, (i + 1) * 81);
          const match: string[] = [];
          for (let dy = -2; dy <= 2; dy++)
            for (let dx = -2; dx <= 2; dx++) {
              const want = new Float32Array(81);
              shiftImage(src, want, 1, 9, 9, dx, dy, 0);
              if (want.every((v, k) => v === got[k])) match.push(`${dx},${dy}`);
            }
          expect(match.length, `image ${n}`).to.equal(1);
          seen.add(match[0]);
        }
      }
      expect(seen.size).to.equal(25);
    });
  });

  describe('mixup', () => {
    it('Beta(α,α) draws lie in [0,1] with mean ≈ 0.5 (α=0.2, 0.4, 1, 2)', () => {
      const rng = new Rng(5);
      for (const a of [0.2, 0.4, 1, 2]) {
        let s = 0;
        for (let i = 0; i < 4000; i++) {
          const l = sampleBeta(rng, a, a);
          expect(l).to.be.within(0, 1);
          s += l;
        }
        expect(s / 4000, `alpha ${a}`).to.be.closeTo(0.5, 0.03);
      }
      // Beta(2,2) has variance 1/20; Beta(0.2,0.2) has variance 0.25·1/1.4 ≈ 0.179 (mass near 0 and 1).
      const v = (a: number): number => {
        let s = 0;
        for (let i = 0; i < 4000; i++) s += (sampleBeta(rng, a, a) - 0.5) ** 2;
        return s / 4000;
      };
      expect(v(2)).to.be.closeTo(0.05, 0.01);
      expect(v(0.2)).to.be.closeTo(0.25 / 1.4, 0.02);
    });

    it('mixBatch B=4 [1,1,2]: x_i = λ·x_i + (1−λ)·x_perm(i), labelsB = labels[perm]', () => {
      const images = Float32Array.from([1, 2, 10, 20, 100, 200, 1000, 2000]);
      const labels = Int32Array.from([0, 1, 2, 3]);
      const orig = images.slice();
      const { lambda, labelsB } = mixBatch(new Rng(3), 0.4, images, labels);
      expect(lambda).to.be.within(0, 1);
      expect([...labelsB].sort()).to.deep.equal([0, 1, 2, 3]);
      for (let i = 0; i < 4; i++) {
        const j = labelsB[i];
        for (let k = 0; k < 2; k++) expect(images[i * 2 + k]).to.be.closeTo(lambda * orig[i * 2 + k] + (1 - lambda) * orig[j * 2 + k], 1e-3);
      }
    });

    it('mixupCrossEntropy logits=[3,4] = λ·CE(a) + (1−λ)·CE(b); λ=1 is plain CE', () => {
      const logits = tensor(
        [
          [1, 2, 0, -1],
          [0.5, 0, 0, 3],
          [-1, -2, 4, 0],
        ],
        undefined,
        { dtype: 'float64' },
      );
      const a = [0, 3, 2];
      const b = [1, 1, 0];
      const want = 0.3 * crossEntropy(logits, a).item() + 0.7 * crossEntropy(logits, b).item();
      expect(mixupCrossEntropy(logits, a, b, 0.3).item()).to.be.closeTo(want, 1e-12);
      expect(mixupCrossEntropy(logits, a, b, 1).item()).to.equal(crossEntropy(logits, a).item());
      expect(() => mixupCrossEntropy(logits, a, b, 1.5)).to.throw(CondgradError, /lambda must be in \[0, 1\]/);
    });
  });
});

const FIRST_TRAIN_LABELS = [5, 5, 9, 9, 5, 2, 6, 1, 3, 4, 3, 9];
const FIRST_TEST_LABELS = [7, 9, 8, 8, 3, 8, 3, 0, 6, 7, 6, 6];
