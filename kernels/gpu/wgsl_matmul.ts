// WGSL batched matmul with register tiles (rows × columns of C per invocation) and a split over K where C is too small to fill the device.

import type { MatmulGeometry } from '../geometry/matmul.js';
import type { KernelSpec } from './codegen.js';
import { memoSpec, wgslSpec, wgslUnravel } from './wgsl.js';

/** Invocations below which the K sum is split into blocks summed by a second pass. */
const SPLIT_BELOW = 1024;
/** Fewest K terms one block sums. */
const MIN_K_BLOCK = 256;

/** Register tile: `m` rows × `n` columns of C per invocation, the K sum in `splits` blocks of `kBlock`. */
export interface MatmulPlan {
  readonly m: number;
  readonly n: number;
  readonly splits: number;
  readonly kBlock: number;
}

export function wgslMatmulPlan(g: MatmulGeometry): MatmulPlan {
  const m = Math.min(8, g.M);
  const n = Math.min(8, g.N);
  const tiles = g.batch * Math.ceil(g.M / m) * Math.ceil(g.N / n);
  const want = tiles >= SPLIT_BELOW ? 1 : Math.ceil(SPLIT_BELOW / tiles);
  const splits0 = Math.max(1, Math.min(want, Math.floor(g.K / MIN_K_BLOCK)));
  const kBlock = Math.ceil(g.K / splits0);
  return { m, n, splits: Math.ceil(g.K / kBlock), kBlock };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * C[s, b, m, n] = Σ_{k in block s} op(A)[b, m, k] · op(B)[b, k, n] for a tile of p.m × p.n of C;
 * arguments (a, b). With one split it is C itself ([batch, M, N]); otherwise the blocks' partial
 * sums [splits, batch·M·N], which summed over the first axis give C. K must be >= 1.
 */
export function wgslMatmulSpec(g: MatmulGeometry, p: MatmulPlan): KernelSpec {
  const key = `wgslMatmul${p.m}x${p.n}/${p.splits}x${p.kBlock}:${g.batch}:${g.M}:${g.N}:${g.K}:${g.transA}:${g.transB}:${g.aBatchStride}:${g.bBatchStride}`;
  return memoSpec(key, () => matmulSpec(g, p, key));
}

function matmulSpec(g: MatmulGeometry, p: MatmulPlan, key: string): KernelSpec {
  const { M, N, K } = g;
  const mt = Math.ceil(M / p.m);
  const nt = Math.ceil(N / p.n);
  const u = wgslUnravel('i', ['s', 'bt', 'mt', 'nt'], [p.splits, g.batch, mt, nt]);
  const [s, b, mi, ni] = u.coords;
  // op(A)[m, k] at a[ab + m·am + k·ak]; op(B)[k, n] at b[bb + k·bk + n·bn].
  const [am, ak] = g.transA ? [1, M] : [K, 1];
  const [bk, bn] = g.transB ? [1, K] : [N, 1];
  const lines = [
    ...u.lines,
    `let m0 = ${mi} * ${p.m};`,
    `let n0 = ${ni} * ${p.n};`,
    `let k0 = ${s} * ${p.kBlock};`,
    `let k1 = min(k0 + ${p.kBlock}, ${K});`,
    // Rows and columns past a ragged edge read the last one (their sums are not stored).
    ...range(p.m).map((i) => `let ar${i} = ${b} * ${g.aBatchStride} + min(m0 + ${i}, ${M - 1}) * ${am};`),
    ...range(p.n).map((j) => `let bc${j} = ${b} * ${g.bBatchStride} + min(n0 + ${j}, ${N - 1}) * ${bn};`),
    ...range(p.m).flatMap((i) => range(p.n).map((j) => `var c${i}_${j} = 0.0;`)),
    'for (var k = k0; k < k1; k++) {',
    ...range(p.m).map((i) => `let a${i} = a[ar${i} + k * ${ak}];`),
    ...range(p.n).map((j) => `let b${j} = b[bc${j} + k * ${bk}];`),
    ...range(p.m).flatMap((i) => range(p.n).map((j) => `c${i}_${j} = c${i}_${j} + a${i} * b${j};`)),
    '}',
    `let co = ${s} * ${g.batch * M * N} + ${b} * ${M * N} + m0 * ${N} + n0;`,
  ];
  for (const i of range(p.m)) {
    for (const j of range(p.n)) {
      const st = `y[co + ${i * N + j}] = c${i}_${j};`;
      const checks = [...(M % p.m === 0 ? [] : [`m0 + ${i} < ${M}`]), ...(N % p.n === 0 ? [] : [`n0 + ${j} < ${N}`])];
      lines.push(checks.length === 0 ? st : `if (${checks.join(' && ')}) { ${st} }`);
    }
  }
  const threads = p.splits * g.batch * mt * nt;
  return wgslSpec('matmul', key, ['a', 'b'], lines, p.splits * g.batch * M * N, threads);
}
