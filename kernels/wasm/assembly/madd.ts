// The fused-or-not multiply-add every float32 microkernel accumulates with (f32x4.relaxed_madd in the relaxed-SIMD build), and the lane sum they finish with.

/**
 * a·b + c per lane. The relaxed-SIMD build (ASC_FEATURE_RELAXED_SIMD, `--enable relaxed-simd`)
 * emits f32x4.relaxed_madd, which the engine may fuse (one rounding, an FMA) or not; the plain
 * build emits c + a·b as f32x4.mul then f32x4.add (two roundings), bit for bit what the kernels did before.
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** The sum of v's four lanes, left to right. */
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}
