// Misuse of public entry points: every bad argument gets a CondgradError naming the op and the argument, never a TypeError or a silent result.

import '../../kernels/register.js';
import { expect } from 'chai';
import ndarray from 'ndarray';
import { fromNdarray, ones, rand, randn, tensor, zeros } from '../../core/creation.js';
import { manualSeed, Rng } from '../../core/random.js';
import { setBackend } from '../../core/engine.js';
import { keep } from '../../core/scope.js';
import { gradcheck } from '../../core/gradcheck.js';
import { mul, unary } from '../../ops/arithmetic.js';
import { depthwiseConv2d } from '../../ops/conv.js';
import { matmul } from '../../ops/matmul.js';
import { mean } from '../../ops/reduce.js';
import { slice } from '../../ops/shape.js';
import { crossEntropy } from '../../ops/softmax.js';
import { SGD } from '../../nn/optim/sgd.js';
import { Adam } from '../../nn/optim/adam.js';
import type { UnaryOp } from '../../kernels/elementwise.js';
import { Linear } from '../../nn/layers/linear.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { BatchNorm2d } from '../../nn/layers/batchnorm2d.js';
import { CondConv2d } from '../../nn/cond_conv.js';
import { DataLoader } from '../../nn/data/loader.js';
import { subset } from '../../nn/data/dataset.js';
import { evaluate } from '../../nn/evaluate.js';
import { applySchedule, cosineLR, sequentialLR } from '../../nn/optim/schedule.js';
import { uniformParam } from '../../nn/init.js';
import { expectError } from '../helpers/tensors.js';

const bad = <T>(v: unknown): T => v as T;

describe('argument validation of public entry points', () => {
  it('depthwiseConv2d(x, w, null, null) names opts', () => {
    expectError(
      () => depthwiseConv2d(ones([1, 2, 4, 4]), ones([2, 1, 3, 3]), null, bad(null)),
      'depthwiseConv2d',
      'opts must be an object',
      'null',
      '[1,2,4,4]',
    );
  });

  it("unary(x, {name: 'frob'}) names the op vocabulary; a NaN affine scale is refused", () => {
    expectError(() => unary(ones([2]), bad<UnaryOp>({ name: 'frob' })), 'unary', "'frob'", 'relu');
    expectError(() => unary(ones([2]), bad<UnaryOp>(null)), 'unary', 'null');
    expectError(() => unary(ones([2]), { name: 'affine', scale: NaN, shift: 0 }), 'affine', 'scale');
  });

  it('fromNdarray({}) and an ndarray of strings', () => {
    expectError(() => fromNdarray(bad({})), 'fromNdarray', 'must be an ndarray');
    expectError(() => fromNdarray(bad(null)), 'fromNdarray', 'null');
    expectError(() => fromNdarray(bad(ndarray(['a', 'b'] as unknown as number[], [2]))), 'fromNdarray', 'not a number', '[2]');
    expect([...fromNdarray(ndarray(new Float32Array([1, 2, 3, 4]), [2, 2]).transpose(1, 0)).dataSync()]).to.deep.equal([1, 3, 2, 4]);
  });

  it('randn seed NaN, std NaN or negative, mean Infinity; rand low > high or NaN; Rng/manualSeed of NaN', () => {
    expectError(() => randn([2], { seed: NaN }), 'randn', 'seed', 'NaN');
    expectError(() => randn([2], { std: NaN }), 'randn', 'std', 'NaN');
    expectError(() => randn([2], { std: -1 }), 'randn', 'std', '-1');
    expectError(() => randn([2], { mean: Infinity }), 'randn', 'mean');
    expectError(() => rand([2], { low: 1, high: 0 }), 'rand', 'low must be < high', 'low=1 high=0');
    expectError(() => rand([2], { low: NaN }), 'rand', 'low');
    expectError(() => rand([2], { low: -1.7e308, high: 1.7e308 }), 'rand', 'overflows');
    expectError(() => new Rng(NaN), 'Rng', 'seed');
    expectError(() => manualSeed(bad('x')), 'manualSeed', 'seed');
    expectError(() => randn([2], { rng: bad({}) }), 'randn', 'rng must be an Rng');
  });

  it("requiresGrad_('no') and a requiresGrad option that is not a boolean", () => {
    expectError(() => ones([2]).requiresGrad_(bad('no')), 'requiresGrad_', 'true or false', "'no'");
    expectError(() => zeros([2], { requiresGrad: bad(1) }), 'full', 'requiresGrad');
    expectError(() => tensor([1], undefined, bad(null)), 'tensor', 'options must be an object');
  });

  it("matmul transA 'yes' / transB 1 / opts null", () => {
    const a = ones([2, 2]);
    expectError(() => matmul(a, a, { transA: bad('yes') }), 'matmul', 'transA', "'yes'");
    expectError(() => matmul(a, a, { transB: bad(1) }), 'matmul', 'transB');
    expectError(() => matmul(a, a, bad(null)), 'matmul', 'opts');
  });

  it('SGD/Adam with a non-leaf parameter, a non-iterable params, null options', () => {
    const w = ones([2], { requiresGrad: true });
    const nonLeaf = mul(w, 2);
    expectError(() => new SGD([nonLeaf], { lr: 0.1 }), 'SGD', 'params[0]', 'not a leaf', "'mul'");
    expectError(() => new Adam([w, nonLeaf]), 'Adam', 'params[1]', 'not a leaf');
    expectError(() => new SGD(bad(null)), 'SGD', 'iterable');
    expectError(() => new SGD([w], bad(null)), 'SGD', 'options must be an object');
  });

  it('other entry points of the same class: keep, setBackend, gradcheck, slice, mean keepDims, crossEntropy opts, backward(grad)', () => {
    expectError(() => keep(bad(5)), 'keep', 'number 5');
    expectError(() => setBackend(bad({})), 'setBackend', 'backend object');
    expectError(() => gradcheck(bad(null), []), 'gradcheck', 'fn must be a function');
    expectError(() => slice(ones([3]), bad('a'), bad('b')), 'slice', 'arrays');
    expectError(() => mean(ones([3]), 0, bad('y')), 'mean', 'keepDims');
    expectError(() => crossEntropy(ones([1, 2]), [0], bad(null)), 'crossEntropy', 'options');
    expectError(() => ones([1], { requiresGrad: true }).backward(bad(5)), 'backward', 'grad must be a Tensor');
    expectError(() => ones([1]).assign(bad(5)), 'assign', 'source must be a Tensor');
  });

  it('nn entry points: null layer options, non-tensor inputs, Module.to/train, datasets, schedules, initialisers, evaluate', async () => {
    expectError(() => new Linear(2, 2, bad(null)), 'Linear', 'options must be an object');
    expectError(() => new Linear(2, 2).forward(bad(null)), 'Linear', 'x must be a Tensor');
    expectError(() => new Conv2d(1, 1, 3, bad(null)), 'Conv2d', 'options');
    expectError(() => new BatchNorm2d(2, bad(null)), 'BatchNorm2d', 'options');
    expectError(() => new CondConv2d(1, 2, 3, bad(null)), 'CondConv2d', 'options');
    expectError(() => new CondConv2d(1, 2, 3).forward(bad(5)), 'CondConv2d', 'x must be a Tensor', 'number 5');
    expectError(() => new Linear(2, 2).to(bad(null)), 'Linear.to', 'target');
    expectError(() => new Linear(2, 2).train(bad('yes')), 'Linear.train', 'mode');
    expectError(() => new DataLoader(bad(null)), 'DataLoader', 'dataset must be');
    expectError(() => subset(bad(null), [1]), 'subset', 'dataset must be');
    expectError(() => cosineLR(0.1, bad(null)), 'cosineLR', 'options');
    expectError(() => sequentialLR(bad(null), []), 'sequentialLR', 'arrays');
    expectError(() => applySchedule(new SGD([ones([1], { requiresGrad: true })]), bad(null), 0, 0), 'applySchedule', 'LrSchedule');
    expectError(() => uniformParam([2, -1], 1, new Rng(1)), 'uniformParam', 'shape');
    expectError(() => uniformParam([2], 1, bad({})), 'uniformParam', 'rng must be an Rng');
    let err: unknown = null;
    await evaluate(bad(null), bad(null)).catch((e: unknown) => {
      err = e;
    });
    expect((err as Error).message).to.match(/^evaluate: model must be a Module/);
  });
});
