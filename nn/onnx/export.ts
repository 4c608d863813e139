// exportOnnx: a module's eval-mode forward pass, traced op by op, written as one ONNX model with a symbolic batch dim.

import { CondgradError, checkShape, fmtShape } from '../../core/errors.js';
import { Module } from '../module.js';
import { COND_CONV_FORMULATIONS, Emitter, INPUT, OUTPUT, isBatch, type CondConvFormulation } from './emitter.js';
import { encodeModel, type ValueDim } from './graph.js';
import { ONE_D } from './map_1d.js';
import { COND } from './map_cond.js';
import { ELEMENTWISE, type OpMapper } from './map_elementwise.js';
import { LAYERS } from './map_layers.js';
import { SHAPE } from './map_shape.js';
import { traceModel, type Dim } from './trace.js';

export type { CondConvFormulation } from './emitter.js';

export interface ExportOnnxOptions {
  /** One sample's shape, [C, H, W] (or any per-sample shape the model takes); the batch dim is symbolic. */
  inputShape: readonly number[];
  /**
   * How CondConv's per-sample convolution is written: 'scan' (default: a Scan over the batch,
   * one Conv per sample with its mixed kernel), 'loop' (the same as a Loop), 'unfold' (im2col
   * by a one-hot depthwise Conv, then one batched MatMul), or 'moe' (all K experts as one wide
   * Conv, outputs mixed by α; K times the work, for comparison).
   */
  condConv?: CondConvFormulation;
}

/** Every condgrad op the exporter writes, by the name the op runner records. */
const MAPPERS: Record<string, OpMapper> = { ...ELEMENTWISE, ...LAYERS, ...SHAPE, ...COND, ...ONE_D };

/** The op names exportOnnx can write. */
export const ONNX_EXPORTABLE_OPS: readonly string[] = Object.keys(MAPPERS);

const valueDims = (dims: readonly Dim[]): ValueDim[] => dims.map((d) => (isBatch(d) ? (d.b === 1 ? 'batch' : null) : d));

/**
 * Exports what `model.forward` computes in eval mode as an ONNX model (opset 17): the forward
 * pass is traced op by op at batch 2 and 3 (modules' train/eval modes are restored after),
 * parameters and buffers become initializers named by their state-dict names, the input is
 * `input` [batch, ...inputShape] and the result `output`. Any Module exports, not only the zoo,
 * as long as its ops are in ONNX_EXPORTABLE_OPS and its forward does not branch on the batch
 * size; otherwise a CondgradError lists what cannot be exported. Softmax routers export with
 * their current temperature; dropout (identity in eval) leaves no node.
 * @returns the serialized ModelProto
 */
export function exportOnnx(model: Module, opts: ExportOnnxOptions): Uint8Array {
  const op = 'exportOnnx';
  if (!(model instanceof Module)) throw new CondgradError(op, `model must be a Module, got ${model === null ? 'null' : typeof model}`);
  if (opts === null || typeof opts !== 'object') throw new CondgradError(op, `options must be an object with inputShape, got ${String(opts)}`);
  const inputShape = checkShape(op, 'inputShape', opts.inputShape);
  if (inputShape.length === 0) throw new CondgradError(op, 'inputShape must give at least one dim of one sample, e.g. [C, H, W]');
  const how = opts.condConv ?? 'scan';
  if (!COND_CONV_FORMULATIONS.includes(how)) {
    throw new CondgradError(op, `condConv must be one of ${COND_CONV_FORMULATIONS.map((f) => `'${f}'`).join(', ')}, got ${JSON.stringify(how)}`);
  }
  for (const p of model.parameters()) {
    if (p.backend.name === 'gpu')
      throw new CondgradError(
        op,
        `parameter ${fmtShape(p.shape)} is on the gpu backend, whose weights read back only asynchronously; move the model first with await model.toAsync('cpu')`,
      );
  }
  let trace;
  try {
    trace = traceModel(model, inputShape);
  } catch (e) {
    if (e instanceof CondgradError && e.op !== op) {
      throw new CondgradError(op, `the forward pass fails on input ${fmtShape([2, ...inputShape])}: ${e.message}`);
    }
    throw e;
  }
  const missing = new Map<string, string[]>();
  for (const t of trace.ops) {
    if (MAPPERS[t.name] === undefined) {
      const shapes = missing.get(t.name) ?? [];
      shapes.push(`op ${t.index} in ${t.module} → ${fmtShape(t.shape.map((d) => (isBatch(d) ? 2 * d.b : d)))}`);
      missing.set(t.name, shapes);
    }
  }
  if (missing.size > 0) {
    const list = [...missing].map(([n, s]) => `${n} (${s.length}×: ${s.slice(0, 3).join(', ')}${s.length > 3 ? ', …' : ''})`).join('; ');
    throw new CondgradError(op, `cannot export ${missing.size} op kind(s) to ONNX: ${list}; exportable ops: ${ONNX_EXPORTABLE_OPS.join(', ')}`);
  }
  const e = new Emitter(trace, how);
  e.g.input(INPUT, valueDims(trace.input));
  for (const t of trace.ops) e.set(t, MAPPERS[t.name](e, t));
  e.g.node('Identity', [e.value(trace.output)], {}, [OUTPUT]);
  e.g.output(OUTPUT, valueDims(trace.outputShape));
  return encodeModel(e.g, `exported by condgrad from ${model.constructor.name}; CondConv written as '${how}'`);
}
