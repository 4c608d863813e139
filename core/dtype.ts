// Element types: the two float dtypes a tensor can hold, and their typed-array classes.

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export const DTYPES: readonly DType[] = ['float32', 'float64'];

/** Allocates a zeroed typed array of the dtype's class. */
export function allocArray(dtype: DType, size: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(size) : new Float64Array(size);
}

/** The dtype a typed array stores. */
export function dtypeOfArray(a: FloatArray): DType {
  return a instanceof Float32Array ? 'float32' : 'float64';
}

export function isDType(v: unknown): v is DType {
  return v === 'float32' || v === 'float64';
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float32' ? 4 : 8;
}
