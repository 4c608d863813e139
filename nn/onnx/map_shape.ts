// ONNX nodes for condgrad's movement ops, with batch-symbolic shapes: reshape, permute, expand, slice, pad, concat, cast.

import { CondgradError } from '../../core/errors.js';
import type { PadGeometry } from '../../kernels/geometry/movement.js';
import { isBatch } from './emitter.js';
import type { OpMapper } from './map_elementwise.js';
import type { Dim } from './trace.js';

const sameDim = (a: Dim, b: Dim): boolean => (isBatch(a) ? isBatch(b) && a.b === b.b : a === b);

const reshape: OpMapper = (e, op) => e.reshape(e.value(op.inputs[0]), op.shape);

const permute: OpMapper = (e, op) => {
  const { perm } = op.attrs as { perm: readonly number[] };
  return e.g.node('Transpose', [e.value(op.inputs[0])], { perm: { ints: [...perm] } });
};

/** Expand broadcasts like NumPy, so a batch dim the input already has is written as 1. */
const expand: OpMapper = (e, op) => {
  const inp = op.inShapes[0]!;
  const lead = op.shape.length - inp.length;
  const target = op.shape.map((d, i) => (isBatch(d) && i >= lead && sameDim(inp[i - lead], d) ? 1 : d));
  return e.g.node('Expand', [e.value(op.inputs[0]), e.shape(target, false)]);
};

/** Slice on the dims that are cut; a batch dim may only be kept whole. */
const slice: OpMapper = (e, op) => {
  const { begin } = op.attrs as { begin: readonly number[] };
  const inp = op.inShapes[0]!;
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  op.shape.forEach((d, i) => {
    if (sameDim(d, inp[i]) && begin[i] === 0) return;
    if (isBatch(d) || isBatch(inp[i])) throw new CondgradError('exportOnnx', `op ${op.index} (slice) cuts the batch dim; only whole batches export`);
    starts.push(begin[i]);
    ends.push(begin[i] + d);
    axes.push(i);
  });
  const x = e.value(op.inputs[0]);
  if (axes.length === 0) return e.g.node('Identity', [x]);
  return e.g.node('Slice', [x, e.g.ints(starts), e.g.ints(ends), e.g.ints(axes)]);
};

const pad: OpMapper = (e, op) => {
  const g = op.attrs as PadGeometry;
  const after = g.outShape.map((s, i) => s - g.inShape[i] - g.before[i]);
  return e.g.node('Pad', [e.value(op.inputs[0]), e.g.ints([...g.before, ...after]), e.g.floats([g.value], [])], { mode: { s: 'constant' } });
};

const concat: OpMapper = (e, op) => {
  const { axis } = op.attrs as { axis: number };
  const a = axis < 0 ? axis + op.shape.length : axis;
  return e.g.node(
    'Concat',
    op.inputs.map((r) => e.value(r)),
    { axis: { i: a } },
  );
};

/** Every exported value is float32, so a cast is the identity. */
const cast: OpMapper = (e, op) => e.g.node('Identity', [e.value(op.inputs[0])]);

export const SHAPE: Record<string, OpMapper> = { reshape, permute, expand, slice, pad, concat, cast };
