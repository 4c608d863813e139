// Slot numbers of the i32 argument block each kernel reads, and the fixed scratch sizes the host reserves for the kernels;
// shared verbatim by the AssemblyScript kernels and the host.

/** Conv kernels (forward, backward, depthwise): geometry, pointers and the work range. */
export const C_BATCH = 0;
export const C_INC = 1;
export const C_INH = 2;
export const C_INW = 3;
export const C_OUTC = 4;
export const C_OUTH = 5;
export const C_OUTW = 6;
export const C_KH = 7;
export const C_KW = 8;
export const C_SH = 9;
export const C_SW = 10;
export const C_DH = 11;
export const C_DW = 12;
/** May be negative (the transposed conv of backward-input crops instead of padding). */
export const C_PADT = 13;
export const C_PADL = 14;
export const C_GROUPS = 15;
export const C_INCPG = 16;
export const C_OUTCPG = 17;
/** Elements between two samples' kernels; 0 when the kernel is shared. */
export const C_WSTRIDE = 18;
export const C_X = 19;
export const C_W = 20;
export const C_Y = 21;
export const C_SCRATCH = 22;
/** This thread's work items [ITEM0, ITEM1). */
export const C_ITEM0 = 23;
export const C_ITEM1 = 24;
/** Output columns (pixels) per block. */
export const C_NC = 25;
/** Column blocks per (sample, group). */
export const C_NBLK = 26;
/** Backward-filter: elements between two samples' dW in the output; 0 sums the batch. */
export const C_OSTRIDE = 27;
/** Backward-filter: column-block range [BLK0, BLK1) of every sample this thread does. */
export const C_BLK0 = 28;
export const C_BLK1 = 29;
/** Winograd: tile rows per block. */
export const C_TROWS = 30;
/** 1 for a 1x1, stride-1, unpadded conv (Conv2dGeometry.pointwise): x itself is the column matrix. */
export const C_POINTWISE = 31;
/**
 * 1: W holds the kernels of the conv this stride-1 forward transposes ([og, cg, kH, kW] per group of that
 * conv), read transposed and flipped while packing: the input gradient without a flipped copy.
 */
export const C_WFLIP = 32;
export const C_SLOTS = 33;

/** Winograd F(2x2, 3x3) forward: bytes of small scratch before the U planes (the GEMM's ragged tile). */
export const W2_TMP = 256;
/** Winograd F(4x4, 3x3) forward: bytes of small scratch before the U planes (the GEMM's ragged tile, the transforms' buffers). */
export const W4_TMP = 2048;
/** Winograd filter gradient: bytes of the transforms' tiles after the dU accumulators (then a GEMM_TILE). */
export const WF_TMP = 1024;
/** Bytes of the GEMM micro-kernel's ragged-tile scratch (`tile` of micro in gemm.ts). */
export const GEMM_TILE = 128;

/** Matmul: C[b] = op(A[b]) · op(B[b]). */
export const M_M = 0;
export const M_N = 1;
export const M_K = 2;
/** Element strides of A: (row i, col k) at i*RS + k*CS. */
export const M_ARS = 3;
export const M_ACS = 4;
export const M_BRS = 5;
export const M_BCS = 6;
export const M_ABATCH = 7;
export const M_BBATCH = 8;
export const M_A = 9;
export const M_B = 10;
export const M_C = 11;
export const M_SCRATCH = 12;
export const M_ITEM0 = 13;
export const M_ITEM1 = 14;
export const M_NC = 15;
export const M_NBLK = 16;
export const M_SLOTS = 17;

/** Pooling: x [planes, inH, inW] -> y [planes, outH, outW]. */
export const P_INH = 0;
export const P_INW = 1;
export const P_OUTH = 2;
export const P_OUTW = 3;
export const P_KH = 4;
export const P_KW = 5;
export const P_SH = 6;
export const P_SW = 7;
export const P_PADT = 8;
export const P_PADL = 9;
export const P_INCLPAD = 10;
export const P_X = 11;
export const P_DY = 12;
export const P_Y = 13;
export const P_ITEM0 = 14;
export const P_ITEM1 = 15;
export const P_SCRATCH = 16;
export const P_SLOTS = 17;

/**
 * Elementwise: rows of a 4-dim iteration [D0, D1, D2, D3] (D3 innermost); A and B carry
 * element strides per dim. Items are rows (i0, i1, i2). OP is the op code; F0/F1 hold f32 constants.
 */
export const E_OP = 0;
export const E_D0 = 1;
export const E_D1 = 2;
export const E_D2 = 3;
export const E_D3 = 4;
export const E_SA0 = 5;
export const E_SA1 = 6;
export const E_SA2 = 7;
export const E_SA3 = 8;
export const E_SB0 = 9;
export const E_SB1 = 10;
export const E_SB2 = 11;
export const E_SB3 = 12;
export const E_A = 13;
export const E_B = 14;
export const E_Y = 16;
export const E_ITEM0 = 17;
export const E_ITEM1 = 18;
export const E_F0 = 19;
export const E_F1 = 20;
export const E_SLOTS = 21;

/** Binary op codes. */
export const OP_ADD = 0;
export const OP_SUB = 1;
export const OP_MUL = 2;
export const OP_DIV = 3;
export const OP_MAX = 4;
export const OP_MIN = 5;
export const OP_EQ = 6;
export const OP_GT = 7;

/** Unary op codes (F0/F1 carry affine scale/shift or clamp min/max). */
export const U_RELU = 0;
export const U_NEG = 1;
export const U_ABS = 2;
export const U_SQUARE = 3;
export const U_AFFINE = 4;
export const U_CLAMP = 5;
export const U_SQRT = 6;
export const U_RELU6 = 7;

/** Reduce op codes. */
export const R_SUM = 0;
export const R_MAX = 1;
export const R_MIN = 2;
/** A sum divided by R_DIV (accumulated in f64, divided before rounding to f32). */
export const R_MEAN = 3;

/**
 * Reductions: outputs iterate the outer view [O0, O1, O2], reduced elements the inner view
 * [I0, I1, I2] (strides in elements). MODE 0: items are outputs and I2 is contiguous; MODE 1:
 * items are outer rows (o0, o1) and the O2 outputs of a row are contiguous in x. Sums and means
 * accumulate in f64 (as the cpu reference does), max and min in f32 (NaN-propagating).
 */
export const R_OP = 0;
export const R_MODE = 1;
export const R_O0 = 2;
export const R_O1 = 3;
export const R_O2 = 4;
export const R_SO0 = 5;
export const R_SO1 = 6;
export const R_SO2 = 7;
export const R_I0 = 8;
export const R_I1 = 9;
export const R_I2 = 10;
export const R_SI0 = 11;
export const R_SI1 = 12;
export const R_SI2 = 13;
export const R_X = 14;
export const R_Y = 15;
export const R_ITEM0 = 16;
export const R_ITEM1 = 17;
/** The divisor of R_MEAN (1 for the other ops). */
export const R_DIV = 18;
/** MODE 1 sums: this thread's scratch of O2 f64 accumulators. */
export const R_SCRATCH = 19;
export const R_SLOTS = 20;

/**
 * Scheduling slots, the same in every block: items [0, S_N) are claimed S_CHUNK at a time from the
 * shared i32 counter at S_COUNTER (see nextItem); S_END is the end of this thread's current chunk.
 */
export const S_COUNTER = 36;
export const S_CHUNK = 37;
export const S_N = 38;
export const S_END = 39;

/** Every block has room for this many slots. */
export const ARG_SLOTS = 40;

/** The fused Adam step (adam.ts): seven float pointers, the element count, then f32 scalars. */
export const AD_P = 0;
export const AD_G = 1;
export const AD_M = 2;
export const AD_V = 3;
export const AD_OUTP = 4;
export const AD_OUTM = 5;
export const AD_OUTV = 6;
export const AD_N = 7;
/** beta1, 1 - beta1, beta2, 1 - beta2. */
export const AD_B1 = 8;
export const AD_C1 = 9;
export const AD_B2 = 10;
export const AD_C2 = 11;
/** 1 / sqrt(1 - beta2^t). */
export const AD_INVBC2 = 12;
export const AD_EPS = 13;
/** -lr / (1 - beta1^t). */
export const AD_STEP = 14;
/** Adam's L2 weight decay (0 for AdamW). */
export const AD_L2 = 15;
/** AdamW's 1 - lr·wd (1 for Adam). */
export const AD_KEEP = 16;
export const AD_SLOTS = 17;
/**
 * Batch norm (float32 data, float64 sums): x and dy are [BATCH, CH, PLANE]; items are channels.
 * SUMS: 2 f64 per channel; PARAMS: 4 f32 per channel (see assembly/norm.ts); Y: the output
 * (bnBackward: dx, or 0 for the sums only); STATS: [3, C] f32 (mean, variance, invstd); W: the
 * weight [C] (0: none, γ = 1).
 */
export const N_BATCH = 0;
export const N_CH = 1;
export const N_PLANE = 2;
export const N_X = 3;
export const N_DY = 4;
export const N_SUMS = 5;
export const N_PARAMS = 6;
export const N_Y = 7;
export const N_STATS = 8;
export const N_W = 9;
export const N_SLOTS = 10;
