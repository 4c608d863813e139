// An ONNX graph under construction (nodes, initializers, inputs and outputs) and its encoding as a ModelProto with protobufjs.

import protobuf from 'protobufjs/light.js';
import { onnxDescriptor } from './proto/onnx_descriptor.js';

/** ONNX TensorProto.DataType values used here. */
export const FLOAT = 1;
export const INT64 = 7;
export const BOOL = 9;
/** The default-domain opset the exporter writes (onnxruntime 1.14+ runs it). */
export const OPSET = 17;
const IR_VERSION = 8;

/** An attribute value: an INT (i), a FLOAT (f), INTS, a GRAPH (g) or a STRING (s). */
export type Attr = { i: number } | { f: number } | { ints: readonly number[] } | { g: Graph } | { s: string };

interface NodeRec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
  name: string;
}
interface TensorRec {
  name: string;
  dims: number[];
  dataType: number;
  raw: Uint8Array;
}
/** A dim of a graph input/output: a size, or a named symbolic dim such as 'batch'. */
export type ValueDim = number | string | null;
interface ValueRec {
  name: string;
  dims: ValueDim[];
  elemType: number;
}

/** One ONNX graph: the main graph or a control-flow body (which may read the outer graph's values by name). */
export class Graph {
  readonly nodes: NodeRec[] = [];
  readonly initializers: TensorRec[] = [];
  readonly inputs: ValueRec[] = [];
  readonly outputs: ValueRec[] = [];
  private counter: { n: number };

  constructor(
    readonly name: string,
    counter?: { n: number },
  ) {
    this.counter = counter ?? { n: 0 };
  }

  /** A fresh value name (unique across this graph and the subgraphs made with sub()). */
  fresh(hint: string): string {
    return `${hint}_${this.counter.n++}`;
  }

  /** A body graph sharing this graph's name counter. */
  sub(name: string): Graph {
    return new Graph(name, this.counter);
  }

  /** Adds a node; returns its first output's name. */
  node(opType: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, outputs?: readonly string[]): string {
    const outs = outputs ? [...outputs] : [this.fresh(opType.toLowerCase())];
    this.nodes.push({ opType, inputs: [...inputs], outputs: outs, attrs, name: this.fresh(`n_${opType}`) });
    return outs[0];
  }

  /** A float32 initializer. */
  floats(data: ArrayLike<number>, dims: readonly number[], name?: string): string {
    const f = Float32Array.from(data);
    return this.tensor(name ?? this.fresh('c'), dims, FLOAT, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }

  /** An int64 initializer (shapes, axes, indices). */
  ints(data: readonly number[], dims: readonly number[] = [data.length]): string {
    const b = BigInt64Array.from(data.map((v) => BigInt(v)));
    return this.tensor(this.fresh('i'), dims, INT64, new Uint8Array(b.buffer));
  }

  private tensor(name: string, dims: readonly number[], dataType: number, raw: Uint8Array): string {
    this.initializers.push({ name, dims: [...dims], dataType, raw });
    return name;
  }

  /** Declares a graph input (float32 unless `elemType` says otherwise, e.g. INT64 or BOOL). */
  input(name: string, dims: readonly ValueDim[], elemType = FLOAT): string {
    this.inputs.push({ name, dims: [...dims], elemType });
    return name;
  }

  output(name: string, dims: readonly ValueDim[], elemType = FLOAT): void {
    this.outputs.push({ name, dims: [...dims], elemType });
  }
}

let modelType: protobuf.Type | null = null;

/** The onnx.ModelProto message type, built once from the vendored official onnx.proto's descriptor. */
export function onnxTypes(): { model: protobuf.Type } {
  if (modelType === null) modelType = protobuf.Root.fromJSON(onnxDescriptor).lookupType('onnx.ModelProto');
  return { model: modelType };
}

function valueInfo(v: ValueRec): object {
  const dim = v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  return { name: v.name, type: { tensorType: { elemType: v.elemType, shape: { dim } } } };
}

function attrProto(name: string, a: Attr): object {
  if ('i' in a) return { name, type: 2, i: a.i };
  if ('f' in a) return { name, type: 1, f: a.f };
  if ('ints' in a) return { name, type: 7, ints: [...a.ints] };
  if ('s' in a) return { name, type: 3, s: new TextEncoder().encode(a.s) };
  return { name, type: 5, g: graphProto(a.g) };
}

function graphProto(g: Graph): object {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
    })),
    initializer: g.initializers.map((t) => ({ name: t.name, dims: t.dims, dataType: t.dataType, rawData: t.raw })),
    input: g.inputs.map(valueInfo),
    output: g.outputs.map(valueInfo),
  };
}

/** Encodes the graph as an ONNX model (IR version 8, default-domain opset 17). */
export function encodeModel(g: Graph, docString: string): Uint8Array {
  const { model } = onnxTypes();
  const msg = model.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'condgrad',
    producerVersion: '0.1.0',
    docString,
    graph: graphProto(g),
  });
  return model.encode(msg).finish();
}

/** Decodes an ONNX model into a plain object (for inspection and tests). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  const { model } = onnxTypes();
  return model.toObject(model.decode(bytes), { longs: Number, bytes: Array, defaults: false });
}
