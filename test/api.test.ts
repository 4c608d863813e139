// The public API, name by name: a change to what `import * as cg from 'condgrad'` offers shows up as a diff of this list.

import { expect } from 'chai';
import * as cg from '../index.js';

/** Every runtime name the package entry exports, sorted (types are checked by the compiler, not here). */
const PUBLIC = [
    'ALLOCATION_LIMIT_ENV', 'Adam', 'AdamW', 'AdaptiveAvgPool1d', 'AvgPool1d', 'AvgPool2d', 'BACKEND_ENV',
    'BasicBlock', 'BatchNorm2d', 'CHECKPOINT_MAGIC', 'CHECKPOINT_VERSION', 'COND_PATHS', 'ClassifierHead',
    'CondConv1d', 'CondConv2d', 'CondLinear', 'CondgradError', 'Conv1d', 'Conv2d', 'ConvBNAct',
    'DEFAULT_ALLOCATION_LIMIT', 'DEFAULT_THREAD_CAP', 'DataLoader', 'DepthwiseCondConv1d',
    'DepthwiseCondConv2d', 'DepthwiseConv1d', 'DepthwiseConv2d', 'DepthwiseSeparableBlock', 'Dropout',
    'Flatten', 'GlobalAvgPool1d', 'GlobalAvgPool2d', 'ImageToSequence', 'InvertedResidualBlock', 'Linear',
    'MAX_THREADS', 'MNIST_MEAN', 'MNIST_SPLIT_SEED', 'MNIST_STD', 'MODEL_NAMES', 'MaxPool1d', 'MaxPool2d',
    'MobileNetV1', 'MobileNetV2', 'Module', 'ONNX_EXPORTABLE_OPS', 'Optimizer', 'ReLU', 'ReLU6', 'ResNet',
    'Rng', 'Router', 'SGD', 'STALE_TEMP_MS', 'SafetensorsError', 'SeqCNN', 'Sequential', 'SiLU', 'Sigmoid',
    'SigmoidRouter', 'SmallCNN', 'SoftmaxRouter', 'THREADS_ENV', 'Tanh', 'TemperatureSchedule', 'Tensor', 'abs',
    'adaptiveAvgPool1d', 'add', 'affine', 'applySchedule', 'availableParallelism', 'avgPool1d', 'avgPool2d',
    'batchImages', 'batchNorm2d', 'biasParam', 'cast', 'checkDataset', 'chooseDefaultBackend',
    'chooseThreadCount', 'clamp', 'closeBackends', 'concat', 'condConv1d', 'condConv2d', 'condLinear',
    'constantLR', 'constantParam', 'conv1d', 'conv1dPerSample', 'conv2d', 'conv2dPerSample', 'cosineLR',
    'createModel', 'createRouter', 'crossEntropy', 'decodeCheckpoint', 'decodeOnnx', 'decodeSafetensors', 'depthwiseConv1d',
    'depthwiseConv2d', 'deriveSeed', 'div', 'dropout', 'encodeCheckpoint', 'encodeSafetensors', 'eq',
    'evaluate', 'exp', 'expand', 'expertsParam', 'exportOnnx', 'fanIn', 'flatten', 'fromNdarray', 'full', 'ge',
    'getAllocationLimit', 'getBackend', 'globalAvgPool1d', 'globalAvgPool2d', 'gradcheck', 'gt', 'initBackend',
    'initDefaultBackend', 'initRng', 'isGradEnabled', 'kaimingUniformBound', 'kaimingUniformParam', 'keep',
    'linearWarmupLR', 'listBackends', 'loadCheckpoint', 'loadMnist', 'loadModelSafetensors', 'loadSafetensors',
    'loadStateDictFromSafetensors', 'loadTimmState', 'log', 'logSoftmax', 'manualSeed', 'matmul', 'max',
    'maxPool1d', 'maxPool2d', 'maximum', 'mean', 'min', 'minimum', 'mixBatch', 'mixExperts',
    'mixupCrossEntropy', 'mnistAll', 'mnistSplitIndices', 'mul', 'neg', 'nllLoss', 'noGrad', 'normalizeDataset',
    'ones', 'pad', 'parseSafetensorsHeader', 'permute', 'planCondConv', 'planCondConv1d', 'planCondLinear',
    'pow', 'rand', 'randn', 'readCheckpoint', 'reapStaleTempFiles', 'registerBackend', 'registerBackendFactory',
    'relu', 'relu6', 'reseedEpoch', 'reshape', 'restoreCheckpoint', 'sampleBeta', 'sampleGamma',
    'saveCheckpoint', 'saveModelSafetensors', 'saveSafetensors', 'scheduleIndex', 'scoreLogits', 'sequentialLR',
    'setAllocationLimit', 'setBackend', 'shiftImage', 'sigmoid', 'sign', 'silu', 'slice', 'softmax', 'sqrt',
    'square', 'stateDictToSafetensors', 'stepLR', 'sub', 'subset', 'sum', 'sumToShape', 'summary', 'tanh',
    'tensor', 'tidy', 'timmKeys', 'toNdarray', 'toTimmState', 'train', 'transpose', 'uniformParam',
    'warmupCosineLR', 'wasmSimdSupported', 'withGrad', 'writeFileAtomic', 'zeros',
];

describe('public API (index.ts)', () => {
  it('exports exactly the listed names', () => {
    expect(Object.keys(cg).sort()).to.deep.equal(PUBLIC);
  });

  it('keeps the internals internal', () => {
    for (const name of ['checkPath', 'LAUNCH_COST', 'fmtMacs', 'condConvGeometry', 'condConv1dGeometry', 'conv1dGeometry', 'checkCondCommon', 'CondConvBase', 'unary', 'gatherPlan', 'reduceKernel', 'cpuBackend', 'registerDefault']) {
      expect(Object.keys(cg), name).to.not.include(name);
    }
  });

  it('every exported value is defined (no name re-exported from a module that lacks it)', () => {
    for (const [name, v] of Object.entries(cg)) expect(v, name).to.not.equal(undefined);
  });

  it('noGrad is withGrad(false, …): nothing is taped inside, the previous state comes back after', () => {
    const x = cg.tensor([1, 2, 3], [3], { requiresGrad: true });
    const y = cg.noGrad(() => cg.mul(x, x));
    expect(y.requiresGrad).to.equal(false);
    expect(y.node).to.equal(null);
    expect(cg.isGradEnabled()).to.equal(true);
    const z = cg.withGrad(false, () => cg.withGrad(true, () => cg.mul(x, x)));
    expect(z.node?.opName).to.equal('mul');
    expect(() => cg.noGrad(() => { throw new Error('inside'); })).to.throw('inside');
    expect(cg.isGradEnabled()).to.equal(true);
  });
});
