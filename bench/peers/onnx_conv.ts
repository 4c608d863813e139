// A one-node ONNX Conv model, protobuf-encoded by hand, so the peer bench can time onnxruntime without extra packages.

/** Protobuf writer for the few wire types an ONNX ModelProto needs. */
class Pb {
  private readonly bytes: number[] = [];

  private varint(v: number): void {
    let n = BigInt(v);
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (n > 0n);
  }

  int(field: number, v: number): this {
    this.varint(field << 3);
    this.varint(v);
    return this;
  }

  raw(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.raw(field, m.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function intsAttr(name: string, vs: readonly number[]): Pb {
  const a = new Pb().str(1, name).int(20, ATTR_INTS);
  for (const v of vs) a.int(8, v);
  return a;
}

function valueInfo(name: string, dims: readonly number[]): Pb {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, new Pb().int(1, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, FLOAT).msg(2, shape)));
}

export interface OnnxConvSpec {
  /** x: [N, C, H, W] */
  x: readonly number[];
  /** w: [O, C/group, kH, kW] */
  w: readonly number[];
  group: number;
  /** [top, left, bottom, right] as ONNX orders them. */
  pads: readonly number[];
  /** The kernel as an initializer (pre-packed by ORT), or null to feed it as input "W" at run time. */
  weights: Float32Array | null;
}

/** ModelProto bytes of y = Conv(X, W) (opset 13, stride 1, dilation 1), output "Y". */
export function onnxConvModel(s: OnnxConvSpec, yDims: readonly number[]): Uint8Array {
  const node = new Pb().str(1, 'X').str(1, 'W').str(2, 'Y').str(3, 'conv').str(4, 'Conv')
    .msg(5, intsAttr('kernel_shape', s.w.slice(2)))
    .msg(5, intsAttr('pads', s.pads))
    .msg(5, intsAttr('strides', [1, 1]))
    .msg(5, intsAttr('dilations', [1, 1]))
    .msg(5, new Pb().str(1, 'group').int(20, ATTR_INT).int(3, s.group));
  const graph = new Pb().msg(1, node).str(2, 'conv_graph');
  if (s.weights !== null) {
    const t = new Pb();
    for (const d of s.w) t.int(1, d);
    t.int(2, FLOAT).str(8, 'W').raw(9, new Uint8Array(s.weights.buffer, s.weights.byteOffset, s.weights.byteLength));
    graph.msg(5, t);
  }
  graph.msg(11, valueInfo('X', s.x));
  if (s.weights === null) graph.msg(11, valueInfo('W', s.w));
  graph.msg(12, valueInfo('Y', yDims));
  return new Pb().int(1, 8).msg(8, new Pb().str(1, '').int(2, 13)).msg(7, graph).finish();
}
