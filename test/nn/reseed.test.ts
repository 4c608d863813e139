// reseedEpoch through the Module.reseed hook: Routers, Dropout layers and user modules get the stream (seed, epoch, stream, index).

import '../../kernels/register.js';
import { expect } from 'chai';
import { Rng } from '../../core/random.js';
import type { Tensor } from '../../core/tensor.js';
import { deriveSeed } from '../../nn/data/loader.js';
import { Dropout } from '../../nn/layers/dropout.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Module } from '../../nn/module.js';
import { SigmoidRouter } from '../../nn/router.js';
import { reseedEpoch } from '../../nn/train.js';

/** A user module with two generators of its own: it asks for two streams. */
class Noisy extends Module {
  a = new Rng(1);
  b = new Rng(2);
  override forward(x: Tensor): Tensor {
    return x;
  }
  override reseed(seedOf: (stream: number) => number): void {
    this.a = new Rng(seedOf(10));
    this.b = new Rng(seedOf(11));
  }
}

const draws = (r: Rng): number[] => [r.next(), r.next(), r.next()];

describe('reseedEpoch (Module.reseed)', () => {
  it('Sequential(SigmoidRouter, Dropout, ReLU, Noisy): each module i draws from deriveSeed(seed, epoch, stream, i)', () => {
    const router = new SigmoidRouter(4, 3, { seed: 1 });
    const drop = new Dropout(0.5, { seed: 2 });
    const noisy = new Noisy();
    const net = new Sequential(router, drop, new ReLU(), noisy);
    const index = new Map(net.namedModules().map(([, m], i) => [m, i]));
    reseedEpoch(net, 7, 3);
    expect(draws(router.dropoutRng)).to.deep.equal(draws(new Rng(deriveSeed(7, 3, 4, index.get(router)!))));
    expect(draws(drop.rng)).to.deep.equal(draws(new Rng(deriveSeed(7, 3, 5, index.get(drop)!))));
    expect(draws(noisy.a)).to.deep.equal(draws(new Rng(deriveSeed(7, 3, 10, index.get(noisy)!))));
    expect(draws(noisy.b)).to.deep.equal(draws(new Rng(deriveSeed(7, 3, 11, index.get(noisy)!))));
  });

  it('the same (seed, epoch) replays the same masks; another epoch draws others', () => {
    const drop = new Dropout(0.5, { seed: 2 });
    reseedEpoch(drop, 7, 1);
    const first = draws(drop.rng);
    reseedEpoch(drop, 7, 1);
    expect(draws(drop.rng)).to.deep.equal(first);
    reseedEpoch(drop, 7, 2);
    expect(draws(drop.rng)).to.not.deep.equal(first);
  });

  it('a module without generators is left alone (the default reseed does nothing)', () => {
    const relu = new ReLU();
    expect(() => reseedEpoch(relu, 1, 0)).to.not.throw();
  });
});
