// condgrad's public API: tensors, autograd, ops, CondConv, nn, and backends.

// First: registers the cpu backend (the default until initDefaultBackend below) and the wasm/gpu factories.
import './kernels/register.js';
export { Tensor, type TapeNode } from './core/tensor.js';
export { tensor, zeros, ones, full, rand, randn, fromNdarray, toNdarray, type CreateOptions, type RandomOptions } from './core/creation.js';
export { initBackend, closeBackends, getBackend, setBackend, registerBackend, listBackends, noGrad, withGrad, isGradEnabled,
  initDefaultBackend, chooseDefaultBackend, wasmSimdSupported, BACKEND_ENV, type DefaultBackendProbe, type InitBackendOptions,
  type ThreadedBackend } from './core/engine.js';
export { chooseThreadCount, availableParallelism, THREADS_ENV, DEFAULT_THREAD_CAP, MAX_THREADS, type ThreadChoice, type ThreadProbe,
  type ThreadSource } from './core/threads.js';
export { tidy, keep } from './core/scope.js';
export { Rng, manualSeed } from './core/random.js';
export { gradcheck, type GradcheckOptions, type GradcheckReport } from './core/gradcheck.js';
export { CondgradError } from './core/errors.js';
export type { DType, FloatArray } from './core/dtype.js';
export type { Backend, BackendName, Storage, MemoryStats } from './core/backend.js';

export * from './ops/arithmetic.js';
export * from './ops/activations.js';
export * from './ops/broadcast.js';
export * from './ops/reduce.js';
export * from './ops/shape.js';
export * from './ops/matmul.js';
export * from './ops/pool.js';
export * from './ops/norm.js';
export * from './ops/dropout.js';
export * from './ops/softmax.js';
export * from './ops/conv.js';
export * from './ops/cond_conv.js';
export * from './nn/index.js';

import { initDefaultBackend } from './core/engine.js';

// The default backend: CONDGRAD_BACKEND if set, else wasm where WebAssembly SIMD is available, else cpu.
await initDefaultBackend();
