// Movement ops: reshape, permute/transpose, slice, concat, pad, and cast (expand lives with its adjoint, sum, in ops/broadcast.ts).

import { CondgradError, checkInt, describeValue, fmtShape, isList } from '../core/errors.js';
import { runOp, type Op } from '../core/op.js';
import { Tensor } from '../core/tensor.js';
import type { DType } from '../core/dtype.js';
import { concatGeometry, type PadGeometry } from '../kernels/geometry/movement.js';
import { coalesce, type StridedView } from '../kernels/geometry/strided.js';
import { contiguousStrides, sizeOf } from '../core/shape.js';

/** The plan of a view op: its output shape and the coalesced strided view to gather. */
export function gatherPlan(shape: readonly number[], view: StridedView): { shape: readonly number[]; view: StridedView } {
  const c = coalesce(view.dims, [view.strides]);
  return { shape, view: { dims: c.dims, strides: c.strides[0], offset: view.offset } };
}

const reshapeOp: Op<{ shape: readonly number[] }, { shape: readonly number[] }> = {
  name: 'reshape',
  savesData: () => false,
  plan([x], { shape }) {
    const known = shape.filter((d) => d !== -1);
    const holes = shape.length - known.length;
    known.forEach((d, i) => checkInt('reshape', `shape[${i}]`, d, 0));
    if (holes > 1) throw new CondgradError('reshape', `only one -1 is allowed in shape ${fmtShape(shape)}`);
    const knownSize = sizeOf(known);
    let out = [...shape];
    if (holes === 1) {
      if (knownSize === 0 || x.size % knownSize !== 0)
        throw new CondgradError('reshape', `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
      out = shape.map((d) => (d === -1 ? x.size / knownSize : d));
    }
    if (sizeOf(out) !== x.size)
      throw new CondgradError('reshape', `cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)} (${sizeOf(out)} elements)`);
    return { shape: out };
  },
  // A copy, so that disposing either tensor never frees the other's storage.
  forward(backend, [x]) {
    return backend.gather(x, { dims: [x.size], strides: [1], offset: 0 });
  },
  backward(dy, { inputs: [x] }) {
    return [reshape(dy, x.shape)];
  },
};

/** Same data, new shape (one entry may be -1). x: any shape with the same element count. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (!Array.isArray(shape)) throw new CondgradError('reshape', `shape must be an array, got ${String(shape)}`);
  return runOp(reshapeOp, [x], { shape }, ['x']);
}

const permuteOp: Op<{ perm: readonly number[] }, { shape: readonly number[]; view: StridedView }> = {
  name: 'permute',
  savesData: () => false,
  plan([x], { perm }) {
    const r = x.rank;
    if (!isList(perm) || perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      throw new CondgradError('permute', `perm ${JSON.stringify(perm)} is not a permutation of the ${r} dims of x ${fmtShape(x.shape)}`);
    }
    const s = contiguousStrides(x.shape);
    const shape = perm.map((p) => x.shape[p]);
    return gatherPlan(shape, { dims: shape, strides: perm.map((p) => s[p]), offset: 0 });
  },
  forward: (backend, [x], plan) => backend.gather(x, plan.view),
  backward(dy, { attrs: { perm } }) {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => {
      inv[p] = i;
    });
    return [permute(dy, inv)];
  },
};

/** Reorders dims: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  return runOp(permuteOp, [x], { perm }, ['x']);
}

/** Swaps two dims (default: the last two). */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const r = x.rank;
  checkInt('transpose', 'dim0', dim0);
  checkInt('transpose', 'dim1', dim1);
  const a = dim0 < 0 ? dim0 + r : dim0;
  const b = dim1 < 0 ? dim1 + r : dim1;
  if (!(a >= 0 && a < r && b >= 0 && b < r)) throw new CondgradError('transpose', `dims ${dim0}, ${dim1} are out of range for x ${fmtShape(x.shape)}`);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

interface SliceAttrs {
  begin: readonly number[];
  size: readonly number[];
}
const sliceOp: Op<SliceAttrs, { shape: readonly number[]; view: StridedView; pad: PadGeometry }> = {
  name: 'slice',
  savesData: () => false,
  plan([x], { begin, size }) {
    if (begin.length !== x.rank || size.length !== x.rank) {
      throw new CondgradError('slice', `begin ${fmtShape(begin)} and size ${fmtShape(size)} must each have one entry per dim of x ${fmtShape(x.shape)}`);
    }
    const shape = size.map((s, d) => (s === -1 ? x.shape[d] - begin[d] : s));
    shape.forEach((s, d) => {
      checkInt('slice', `begin[${d}]`, begin[d], 0, x.shape[d]);
      checkInt('slice', `size[${d}]`, s, 0, x.shape[d] - begin[d]);
    });
    const strides = contiguousStrides(x.shape);
    const offset = begin.reduce((o, b, d) => o + b * strides[d], 0);
    const g = gatherPlan(shape, { dims: shape, strides, offset });
    const pad = { inShape: shape, outShape: x.shape, before: begin, value: 0 };
    return { ...g, pad };
  },
  forward: (backend, [x], plan) => backend.gather(x, plan.view),
  backward: (dy, { plan }) => [padTo(dy, plan.pad)],
};

/** x[begin[d] : begin[d] + size[d]] on every dim (size -1 = to the end). */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  if (!Array.isArray(begin) || !Array.isArray(size))
    throw new CondgradError('slice', `begin and size must be arrays, got ${describeValue(begin)} and ${describeValue(size)}`);
  return runOp(sliceOp, [x], { begin, size }, ['x']);
}

const padOp: Op<PadGeometry, { shape: readonly number[] }> = {
  name: 'pad',
  savesData: () => false,
  plan: (_x, g) => ({ shape: g.outShape }),
  forward: (backend, [x], _plan, g) => backend.pad(x, g),
  backward: (dy, { attrs: g }) => [slice(dy, g.before, g.inShape)],
};

function padTo(x: Tensor, g: PadGeometry): Tensor {
  return runOp(padOp, [x], g, ['x']);
}

/** Constant padding: `pads[d] = [before, after]` for each dim. */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (!isList(pads) || pads.length !== x.rank)
    throw new CondgradError('pad', `pads must have one [before, after] pair per dim of x ${fmtShape(x.shape)}, got ${JSON.stringify(pads)}`);
  pads.forEach((p, d) => {
    if (!isList(p) || p.length !== 2)
      throw new CondgradError('pad', `pads[${d}] must be a [before, after] pair, got ${JSON.stringify(p)} (x ${fmtShape(x.shape)})`);
    const [b, a] = p;
    checkInt('pad', `pads[${d}][0]`, b, 0);
    checkInt('pad', `pads[${d}][1]`, a, 0);
  });
  if (!Number.isFinite(value)) throw new CondgradError('pad', `value must be finite, got ${value}`);
  const outShape = x.shape.map((s, d) => s + pads[d][0] + pads[d][1]);
  return padTo(x, { inShape: x.shape, outShape, before: pads.map((p) => p[0]), value });
}

const concatOp: Op<{ axis: number }, ReturnType<typeof concatGeometry> & { shape: readonly number[] }> = {
  name: 'concat',
  savesData: () => false,
  plan(xs, { axis }) {
    const r = xs[0].rank;
    checkInt('concat', 'axis', axis, -r, r - 1);
    const a = axis < 0 ? axis + r : axis;
    xs.forEach((t, i) => {
      if (t.rank !== r || t.shape.some((d, j) => j !== a && d !== xs[0].shape[j])) {
        throw new CondgradError('concat', `input ${i} ${fmtShape(t.shape)} does not match input 0 ${fmtShape(xs[0].shape)} outside axis ${a}`);
      }
    });
    const g = concatGeometry(
      xs.map((t) => t.shape),
      a,
    );
    return { ...g, shape: g.outShape };
  },
  forward: (backend, xs, g) => backend.concat(xs, g),
  backward(dy, { inputs, attrs }) {
    const r = dy.rank;
    const a = attrs.axis < 0 ? attrs.axis + r : attrs.axis;
    let start = 0;
    return inputs.map((t) => {
      const begin = dy.shape.map((_, d) => (d === a ? start : 0));
      start += t.shape[a];
      return slice(dy, begin, t.shape);
    });
  },
};

/** Joins tensors along `axis`; all other dims must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) throw new CondgradError('concat', 'needs a non-empty array of tensors');
  return runOp(concatOp, xs, { axis });
}

const castOp: Op<{ dtype: DType }, { shape: readonly number[] }> = {
  name: 'cast',
  savesData: () => false,
  plan: ([x]) => ({ shape: x.shape }),
  forward: (backend, [x], _p, { dtype }) => backend.cast(x, dtype),
  backward: (dy, { inputs: [x] }) => [cast(dy, x.dtype)],
};

/** Converts to another dtype (a copy even when the dtype already matches). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'float64') throw new CondgradError('cast', `dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  return runOp(castOp, [x], { dtype }, ['x']);
}

/** Flattens dims from `startDim` on into one. */
export function flatten(x: Tensor, startDim = 1): Tensor {
  checkInt('flatten', 'startDim', startDim, 0, Math.max(0, x.rank - 1));
  return reshape(x, [...x.shape.slice(0, startDim), sizeOf(x.shape.slice(startDim))]);
}
