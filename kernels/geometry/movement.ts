// Geometry of the movement kernels: constant padding and concatenation.

/** y has outShape; y[i] = x[i - before] where that is inside x, else `value`. */
export interface PadGeometry {
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly before: readonly number[];
  readonly value: number;
}

/**
 * Concatenation along one axis, seen as [outer, axisSize_i * inner] blocks: input i contributes
 * `widths[i]` contiguous elements per outer row, at column `starts[i]` of a row `rowWidth` wide.
 */
export interface ConcatGeometry {
  readonly outShape: readonly number[];
  readonly outer: number;
  readonly widths: readonly number[];
  readonly starts: readonly number[];
  readonly rowWidth: number;
}

export function concatGeometry(shapes: readonly (readonly number[])[], axis: number): ConcatGeometry {
  const first = shapes[0];
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= first[d];
  let inner = 1;
  for (let d = axis + 1; d < first.length; d++) inner *= first[d];
  const widths = shapes.map((s) => s[axis] * inner);
  const starts: number[] = [];
  let acc = 0;
  for (const w of widths) {
    starts.push(acc);
    acc += w;
  }
  const outShape = [...first];
  outShape[axis] = shapes.reduce((n, s) => n + s[axis], 0);
  return Object.freeze({ outShape, outer, widths, starts, rowWidth: acc });
}
