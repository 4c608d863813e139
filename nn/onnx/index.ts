// ONNX export: exportOnnx and its options, and the decoder used to inspect exported files.

export { exportOnnx, ONNX_EXPORTABLE_OPS, type ExportOnnxOptions, type CondConvFormulation } from './export.js';
export { decodeModel as decodeOnnx } from './graph.js';
