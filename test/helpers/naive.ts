// Naive float64 references for elementwise, reduction, movement and matmul ops, written from the definitions with multi-indices.

/** A dense row-major float64 array with its shape. */
export interface Arr {
  shape: number[];
  data: Float64Array;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function arr(shape: readonly number[], data?: ArrayLike<number>): Arr {
  const out = { shape: [...shape], data: new Float64Array(sizeOf(shape)) };
  if (data) out.data.set(Array.from(data));
  return out;
}

/** Multi-index of flat index i in shape. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** Flat index of a multi-index in shape. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let off = 0;
  for (let d = 0; d < shape.length; d++) off = off * shape[d] + idx[d];
  return off;
}

/** NumPy broadcast of two shapes, or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Reads x at an output multi-index under broadcasting (size-1 and missing dims repeat). */
function readBroadcast(x: Arr, outIdx: readonly number[]): number {
  const lead = outIdx.length - x.shape.length;
  const idx = x.shape.map((d, i) => (d === 1 ? 0 : outIdx[i + lead]));
  return x.data[ravel(idx, x.shape)];
}

export function naiveBinary(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr | null {
  const shape = broadcastShape(a.shape, b.shape);
  if (shape === null) return null;
  const out = arr(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(readBroadcast(a, idx), readBroadcast(b, idx));
  }
  return out;
}

export function naiveUnary(x: Arr, f: (v: number) => number): Arr {
  return { shape: [...x.shape], data: x.data.map(f) };
}

export type NaiveReduce = 'sum' | 'mean' | 'max' | 'min';

/** Reduction over axes (all when undefined); null for invalid axes or max/min/mean of an empty axis. */
export function naiveReduce(x: Arr, axes: readonly number[] | undefined, keepDims: boolean, op: NaiveReduce): Arr | null {
  const r = x.shape.length;
  const list = axes === undefined ? x.shape.map((_, i) => i) : axes;
  const norm = new Set<number>();
  for (const a of list) {
    if (!Number.isInteger(a) || a < -r || a >= r) return null;
    const n = a < 0 ? a + r : a;
    if (norm.has(n)) return null;
    norm.add(n);
  }
  const count = sizeOf(x.shape.filter((_, i) => norm.has(i)));
  if (op !== 'sum' && count === 0) return null;
  const kept = x.shape.map((d, i) => (norm.has(i) ? 1 : d));
  const out = arr(kept);
  out.data.fill(op === 'max' ? -Infinity : op === 'min' ? Infinity : 0);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => (norm.has(d) ? 0 : v));
    const o = ravel(idx, kept);
    const v = x.data[i];
    if (op === 'max') out.data[o] = Math.max(out.data[o], v);
    else if (op === 'min') out.data[o] = Math.min(out.data[o], v);
    else out.data[o] += v;
  }
  if (op === 'mean') for (let i = 0; i < out.data.length; i++) out.data[i] /= count;
  if (!keepDims) out.shape = x.shape.filter((_, i) => !norm.has(i));
  return out;
}

/** out.shape[i] = x.shape[perm[i]]; null if perm is not a permutation. */
export function naivePermute(x: Arr, perm: readonly number[]): Arr | null {
  const r = x.shape.length;
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) return null;
  const shape = perm.map((p) => x.shape[p]);
  const out = arr(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(r);
    perm.forEach((p, j) => {
      src[p] = idx[j];
    });
    out.data[i] = x.data[ravel(src, x.shape)];
  }
  return out;
}

export function naiveSlice(x: Arr, begin: readonly number[], size: readonly number[]): Arr | null {
  const r = x.shape.length;
  if (begin.length !== r || size.length !== r) return null;
  const shape: number[] = [];
  for (let d = 0; d < r; d++) {
    const s = size[d] === -1 ? x.shape[d] - begin[d] : size[d];
    if (!Number.isInteger(begin[d]) || !Number.isInteger(s) || begin[d] < 0 || s < 0 || begin[d] + s > x.shape[d]) return null;
    shape.push(s);
  }
  const out = arr(shape);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape).map((v, d) => v + begin[d]);
    out.data[i] = x.data[ravel(idx, x.shape)];
  }
  return out;
}

export function naivePad(x: Arr, pads: readonly (readonly [number, number])[], value: number): Arr | null {
  if (pads.length !== x.shape.length || pads.some((p) => !p.every((v) => Number.isInteger(v) && v >= 0))) return null;
  const shape = x.shape.map((s, d) => s + pads[d][0] + pads[d][1]);
  const out = arr(shape);
  out.data.fill(value);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, d) => v + pads[d][0]);
    out.data[ravel(idx, shape)] = x.data[i];
  }
  return out;
}

export function naiveConcat(xs: readonly Arr[], axis: number): Arr | null {
  const r = xs[0].shape.length;
  if (!Number.isInteger(axis) || axis < -r || axis >= r) return null;
  const a = axis < 0 ? axis + r : axis;
  if (xs.some((x) => x.shape.length !== r || x.shape.some((d, j) => j !== a && d !== xs[0].shape[j]))) return null;
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((n, x) => n + x.shape[a], 0);
  const out = arr(shape);
  let start = 0;
  for (const x of xs) {
    for (let i = 0; i < x.data.length; i++) {
      const idx = unravel(i, x.shape);
      idx[a] += start;
      out.data[ravel(idx, shape)] = x.data[i];
    }
    start += x.shape[a];
  }
  return out;
}

/** Batched matmul with broadcast batch dims; null on rank < 2, K mismatch or unbroadcastable batches. */
export function naiveMatmul(a: Arr, b: Arr, transA = false, transB = false): Arr | null {
  if (a.shape.length < 2 || b.shape.length < 2) return null;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [K2, N] = transB ? [bc, br] : [br, bc];
  if (K !== K2) return null;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === null) return null;
  const shape = [...batch, M, N];
  const out = arr(shape);
  const at = (x: Arr, bIdx: number[], i: number, j: number): number => {
    const lead = bIdx.length - (x.shape.length - 2);
    const idx = x.shape.slice(0, -2).map((d, k) => (d === 1 ? 0 : bIdx[k + lead]));
    return x.data[ravel([...idx, i, j], x.shape)];
  };
  for (let o = 0; o < out.data.length; o++) {
    const idx = unravel(o, shape);
    const bIdx = idx.slice(0, -2);
    const [i, j] = idx.slice(-2);
    let s = 0;
    for (let k = 0; k < K; k++) s += (transA ? at(a, bIdx, k, i) : at(a, bIdx, i, k)) * (transB ? at(b, bIdx, j, k) : at(b, bIdx, k, j));
    out.data[o] = s;
  }
  return out;
}
