// condgrad's public API, name by name: tensors, autograd, ops, CondConv, nn, and backends (test/api.test.ts lists it).

// First: registers the cpu backend (the default until initDefaultBackend below) and the wasm/gpu factories.
import './kernels/register.js';
import { initDefaultBackend } from './core/engine.js';

// ---- core ----
export { Tensor, type TapeNode } from './core/tensor.js';
export { tensor, zeros, ones, full, rand, randn, fromNdarray, toNdarray, type CreateOptions, type RandomOptions } from './core/creation.js';
export {
  initBackend,
  closeBackends,
  getBackend,
  setBackend,
  registerBackend,
  registerBackendFactory,
  listBackends,
  noGrad,
  withGrad,
  isGradEnabled,
  initDefaultBackend,
  chooseDefaultBackend,
  wasmSimdSupported,
  BACKEND_ENV,
  type DefaultBackendProbe,
  type InitBackendOptions,
  type ThreadedBackend,
} from './core/engine.js';
export {
  chooseThreadCount,
  availableParallelism,
  THREADS_ENV,
  DEFAULT_THREAD_CAP,
  MAX_THREADS,
  type ThreadChoice,
  type ThreadProbe,
  type ThreadSource,
} from './core/threads.js';
export {
  wasmRelaxedSimdSupported,
  chooseWasmSimd,
  WASM_SIMD_ENV,
  WASM_SIMD_AUTO_PREFERS,
  type WasmSimd,
  type WasmSimdRequest,
  type WasmSimdProbe,
} from './core/wasm_simd.js';
export { tidy, keep } from './core/scope.js';
export { Rng, manualSeed } from './core/random.js';
export { gradcheck, type GradcheckOptions, type GradcheckReport } from './core/gradcheck.js';
export { CondgradError } from './core/errors.js';
export { setAllocationLimit, getAllocationLimit, ALLOCATION_LIMIT_ENV, DEFAULT_ALLOCATION_LIMIT } from './core/limits.js';
export type { DType, FloatArray } from './core/dtype.js';
export type { AdamStepHyper, AnyBackend, Backend, BackendFactory, BackendName, BackendStartOptions, Storage, MemoryStats } from './core/backend.js';

// ---- ops ----
export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  eq,
  gt,
  ge,
  neg,
  exp,
  log,
  sqrt,
  abs,
  square,
  sign,
  clamp,
  affine,
  type Operand,
} from './ops/arithmetic.js';
export { relu, relu6, sigmoid, tanh, silu } from './ops/activations.js';
export { sum, expand, sumToShape, type Axes } from './ops/broadcast.js';
export { mean, max, min } from './ops/reduce.js';
export { reshape, permute, transpose, slice, pad, concat, cast, flatten } from './ops/shape.js';
export { matmul, type MatmulOptions } from './ops/matmul.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, type Pool2dOptions } from './ops/pool.js';
export { batchNorm2d, type BatchNorm2dOptions } from './ops/norm.js';
export { dropout, type DropoutOptions } from './ops/dropout.js';
export { softmax, logSoftmax, crossEntropy, nllLoss, type Reduction, type CrossEntropyOptions } from './ops/softmax.js';
export { conv2d, depthwiseConv2d, conv2dPerSample, type Conv2dOptions, type Padding, type Pair } from './ops/conv.js';
export { conv1d, depthwiseConv1d, conv1dPerSample, type Conv1dOptions, type Padding1d } from './ops/conv1d.js';
export { maxPool1d, avgPool1d, globalAvgPool1d, adaptiveAvgPool1d, type Pool1dOptions } from './ops/pool1d.js';
export { condConv2d, condLinear } from './ops/cond_conv.js';
export { condConv1d } from './ops/cond_conv1d.js';
export { mixExperts } from './ops/cond_mix.js';
export {
  planCondConv,
  planCondConv1d,
  planCondLinear,
  COND_PATHS,
  type CondPath,
  type CondPathOption,
  type CondPathOptions,
  type CondConv2dOptions,
  type CondConv1dOptions,
  type CondCosts,
  type CondPlan,
} from './ops/cond_plan.js';

// ---- nn ----
export { Module } from './nn/module.js';
export type { LoadResult } from './nn/module_state.js';
export { initRng, fanIn, kaimingUniformBound, uniformParam, kaimingUniformParam, biasParam, expertsParam, constantParam, type InitOptions } from './nn/init.js';
export { Sequential } from './nn/layers/sequential.js';
export { Linear, type LinearOptions } from './nn/layers/linear.js';
export { Conv2d, type Conv2dLayerOptions, type ConvLayerOptions } from './nn/layers/conv2d.js';
export { DepthwiseConv2d, type DepthwiseConv2dOptions } from './nn/layers/depthwise_conv2d.js';
export { Conv1d, DepthwiseConv1d, type Conv1dLayerOptions, type Conv1dGeometryOptions, type DepthwiseConv1dOptions } from './nn/layers/conv1d.js';
export { BatchNorm2d, type BatchNorm2dLayerOptions } from './nn/layers/batchnorm2d.js';
export { Dropout, type DropoutLayerOptions } from './nn/layers/dropout.js';
export { ReLU, ReLU6, Sigmoid, Tanh, SiLU } from './nn/layers/activations.js';
export { Flatten } from './nn/layers/flatten.js';
export { ImageToSequence } from './nn/layers/sequence.js';
export { MaxPool2d, AvgPool2d, GlobalAvgPool2d, type PoolLayerOptions, type AvgPoolLayerOptions } from './nn/layers/pool.js';
export { MaxPool1d, AvgPool1d, AdaptiveAvgPool1d, GlobalAvgPool1d, type Pool1dLayerOptions, type AvgPool1dLayerOptions } from './nn/layers/pool1d.js';
export { Router, SigmoidRouter, SoftmaxRouter, createRouter, type RouterKind, type RouterOptions } from './nn/router.js';
export { TemperatureSchedule, type TemperatureScheduleOptions } from './nn/temperature.js';
export { CondConv2d, DepthwiseCondConv2d, type CondLayerOptions, type CondConv2dLayerOptions, type DepthwiseCondConv2dOptions } from './nn/cond_conv.js';
export { CondConv1d, DepthwiseCondConv1d, type CondConv1dLayerOptions, type DepthwiseCondConv1dOptions } from './nn/cond_conv1d.js';
export { CondLinear, type CondLinearOptions } from './nn/cond_linear.js';
export { summary, type Macs, type Summary, type SummaryRow, type SummaryOptions } from './nn/summary.js';
export {
  SmallCNN,
  MobileNetV1,
  DepthwiseSeparableBlock,
  MobileNetV2,
  InvertedResidualBlock,
  ResNet,
  BasicBlock,
  SeqCNN,
  ConvBNAct,
  ClassifierHead,
  MODEL_NAMES,
  createModel,
  type ModelOptions,
  type ModelConfig,
  type ConvertMode,
  type ModelName,
  type ZooModel,
} from './nn/models/index.js';
export { Optimizer, type OptimizerState, type Hyper } from './nn/optim/optimizer.js';
export { SGD, type SGDOptions } from './nn/optim/sgd.js';
export { Adam, AdamW, type AdamOptions } from './nn/optim/adam.js';
export {
  constantLR,
  stepLR,
  cosineLR,
  linearWarmupLR,
  sequentialLR,
  warmupCosineLR,
  applySchedule,
  scheduleIndex,
  type LrSchedule,
  type ScheduleUnit,
} from './nn/optim/schedule.js';
export { subset, normalize as normalizeDataset, checkDataset, type ImageDataset } from './nn/data/dataset.js';
export { loadMnist, mnistAll, mnistSplitIndices, MNIST_SPLIT_SEED, MNIST_MEAN, MNIST_STD, type MnistOptions, type MnistSplit } from './nn/data/mnist.js';
export { DataLoader, batchImages, deriveSeed, shiftImage, type Batch, type DataLoaderOptions } from './nn/data/loader.js';
export { sampleGamma, sampleBeta, mixBatch, mixupCrossEntropy } from './nn/data/mixup.js';
export {
  saveCheckpoint,
  readCheckpoint,
  encodeCheckpoint,
  decodeCheckpoint,
  restoreCheckpoint,
  loadCheckpoint,
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  type CheckpointData,
  type LoadedCheckpoint,
  type TensorEntry,
} from './nn/checkpoint.js';
export { writeFileAtomic, reapStaleTempFiles, STALE_TEMP_MS, type ReapOptions } from './nn/atomic_write.js';
export { evaluate, scoreLogits, type EvalResult, type EvaluateOptions } from './nn/evaluate.js';
export { train, reseedEpoch, type TrainOptions, type TrainLoaders, type TrainResult, type EpochRecord, type StepInfo } from './nn/train.js';

// ---- interop: safetensors, timm, ONNX ----
export { encodeSafetensors, decodeSafetensors, type NamedTensors, type DecodeSafetensorsOptions } from './nn/io/safetensors.js';
export { parseSafetensorsHeader, SafetensorsError, type SafetensorsFault, type SafetensorsEntry, type SafetensorsHeader } from './nn/io/safetensors_header.js';
export { stateDictToSafetensors, loadStateDictFromSafetensors, type LoadModelSafetensorsOptions } from './nn/io/safetensors_model.js';
export { saveSafetensors, loadSafetensors, saveModelSafetensors, loadModelSafetensors } from './nn/io/safetensors_file.js';
export { timmKeys, toTimmState, loadTimmState, type TimmMapping, type TimmKey } from './nn/io/timm.js';
export { exportOnnx, ONNX_EXPORTABLE_OPS, decodeOnnx, type ExportOnnxOptions, type CondConvFormulation } from './nn/onnx/index.js';

// The default backend: CONDGRAD_BACKEND if set, else wasm where WebAssembly SIMD is available, else cpu.
await initDefaultBackend();
