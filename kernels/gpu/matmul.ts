// gpu.js source for batched matmul: one thread per C element, the K loop unrolled in register tiles.

import type { MatmulGeometry } from '../geometry/matmul.js';
import { affine, Emitter, type KernelSpec } from './codegen.js';

/** K elements per unrolled step: four independent partial sums hide the FMA latency. */
export const K_TILE = 4;

/**
 * C[b, m, n] = Σ_k op(A)[b, m, k] · op(B)[b, k, n]; arguments (A, B). Threads run along n, so
 * neighbouring threads read neighbouring B (or A^T) elements. K must be >= 1.
 */
export function matmulSpec(g: MatmulGeometry): KernelSpec {
  const { M, N, K } = g;
  const e = new Emitter();
  const [b, m, n] = e.unravel(e.let('i', 'this.thread.x'), [g.batch, M, N]);
  // op(A)[m, k] at aBase + k * ak; op(B)[k, n] at bBase + k * bk.
  const aBase = e.let(
    'ab',
    affine(0, [
      [b, g.aBatchStride],
      [m, g.transA ? 1 : K],
    ]),
  );
  const bBase = e.let(
    'bb',
    affine(0, [
      [b, g.bBatchStride],
      [n, g.transB ? K : 1],
    ]),
  );
  const ak = g.transA ? M : 1;
  const bk = g.transB ? 1 : N;
  const full = Math.floor(K / K_TILE);
  const accs = Array.from({ length: K_TILE }, (_, t) => `s${t}`);
  accs.forEach((s) => e.line(`let ${s} = 0;`));
  if (full > 0) {
    e.line(`for (let kt = 0; kt < ${full}; kt++) {`);
    const k0 = e.let('k', `kt * ${K_TILE}`);
    accs.forEach((s, t) => {
      const k = t === 0 ? k0 : e.let('k', `${k0} + ${t}`);
      e.line(
        `${s} = ${s} + a[${affine(0, [
          [aBase, 1],
          [k, ak],
        ])}] * b[${affine(0, [
          [bBase, 1],
          [k, bk],
        ])}];`,
      );
    });
    e.line('}');
  }
  for (let k = full * K_TILE, t = 0; k < K; k++, t++) {
    e.line(`${accs[t]} = ${accs[t]} + a[${affine(k * ak, [[aBase, 1]])}] * b[${affine(k * bk, [[bBase, 1]])}];`);
  }
  const key = `matmul:${g.batch}:${M}:${N}:${K}:${g.transA}:${g.transB}:${g.aBatchStride}:${g.bBatchStride}`;
  return { name: 'matmul', key, source: e.source(['a', 'b'], '(s0 + s1) + (s2 + s3)'), outSize: g.batch * M * N, dynamic: false };
}
