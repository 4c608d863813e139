// The wasm module's exports: every kernel the host dispatches, plus the heap base for its allocator.

export { convForward, convBackwardInputCol, flipWeights } from './conv';
export { convBackwardFilter } from './convfilter';
export { convForwardWide, convBackwardFilterWide } from './convwide';
export { convForwardWinograd } from './winograd';
export { convForwardWinograd4 } from './winograd4';
export { convBackwardFilterWinograd } from './winograd_filter';
export { dwForward, dwBackwardInput, dwBackwardFilter } from './depthwise';
export { matmul } from './matmul';
export { matmulThin, matmulDots } from './matmul_thin';
export { maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward } from './pool';
export { binary, unary, reluBackward } from './elementwise';
export { reduce } from './reduce';
export { bnSums, bnApply, bnBackward } from './norm';
export { addF32 } from './args';
export { adamStep } from './adam';

/** First byte the host allocator may hand out (past the module's static data). */
export function heapBase(): usize {
  return __heap_base;
}
