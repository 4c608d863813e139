// The relaxed-SIMD wasm kernels: chosen only where relaxed SIMD validates, reported as backend.simd, and as close to the cpu reference as the plain ones.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { AnyBackend, Storage } from '../../core/backend.js';
import { CondgradError } from '../../core/errors.js';
import { WASM_SIMD_ENV, wasmRelaxedSimdSupported, type WasmSimd } from '../../core/wasm_simd.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { conv2dGeometry, type Conv2dGeometry, type Conv2dOptions } from '../../kernels/geometry/conv.js';
import { matmulGeometry } from '../../kernels/geometry/matmul.js';
import { buildWasm } from '../../kernels/wasm/build.mjs';
import { createWasmBackend, type WasmBackend } from '../../kernels/wasm/backend.js';
import { expectClose } from '../helpers/close.js';
import { mulberry32, randArray } from '../helpers/rng.js';

const RELAXED = wasmRelaxedSimdSupported();

/** The wasm bytes of a module kernels/wasm/build.mjs generated (its one base64 string literal). */
function generated(file: string): Uint8Array<ArrayBuffer> {
  const src = readFileSync(fileURLToPath(new URL(`../../kernels/wasm/generated/${file}`, import.meta.url)), 'utf8');
  const m = /'([A-Za-z0-9+/=]+)'/.exec(src);
  if (m === null) throw new Error(`${file}: no base64 module`);
  return Uint8Array.from(Buffer.from(m[1], 'base64'));
}
const TOL = 1e-4;

/** Shapes that reach every kernel with a multiply-add: Winograd, im2col GEMM, wide (stride 1, implicit im2col), 1×1, depthwise 3×3 and general taps, ragged tiles. */
const CONVS: { x: number[]; w: number[]; opts: Conv2dOptions; perSample?: boolean }[] = [
  { x: [2, 8, 10, 9], w: [12, 8, 3, 3], opts: { padding: 1 } },
  { x: [3, 8, 8, 8], w: [3, 5, 8, 3, 3], opts: { padding: 'same' }, perSample: true },
  { x: [2, 3, 11, 13], w: [5, 3, 3, 3], opts: { padding: 'same', stride: 2 } },
  { x: [2, 5, 9, 30], w: [7, 5, 2, 5], opts: { padding: [0, 1, 2, 1] } },
  { x: [2, 16, 6, 6], w: [17, 16, 1, 1], opts: {} },
  { x: [2, 12, 17, 19], w: [12, 1, 3, 3], opts: { padding: 1, groups: 12 } },
  { x: [2, 6, 15, 14], w: [2, 12, 1, 3, 3], opts: { padding: 'same', stride: 2, groups: 6 }, perSample: true },
  { x: [1, 4, 20, 20], w: [8, 1, 5, 5], opts: { padding: 2, dilation: 2, groups: 4 } },
];

function geometry(c: (typeof CONVS)[number]): Conv2dGeometry {
  return conv2dGeometry('conv2d', c.x, c.w, { stride: 1, dilation: 1, groups: 1, ...c.opts }, c.perSample === true);
}

/** Runs f on `be` with float32 copies of `inputs` and on the cpu reference in float64; compares. */
function parity(be: AnyBackend, inputs: Float32Array[], f: (b: AnyBackend, xs: Storage[]) => Storage, label: string): void {
  const xs = inputs.map((a) => be.fromArray(a));
  const out = f(be, xs);
  const got = be.readSync(out);
  for (const s of [...xs, out]) be.dispose(s);
  const ref = cpuBackend as unknown as AnyBackend;
  const want = ref.readSync(
    f(
      ref,
      inputs.map((a) => ref.fromArray(Float64Array.from(a))),
    ),
  );
  expectClose(got, want, TOL, label);
}

describe('wasm relaxed-SIMD kernels', () => {
  before(async function () {
    this.timeout(120000);
    await buildWasm({ quiet: true });
  });

  it('the relaxed module uses relaxed SIMD: it validates exactly where the probe does, the plain one everywhere', async () => {
    const relaxed = generated('kernels_wasm_relaxed.ts');
    const plain = generated('kernels_wasm.ts');
    expect(WebAssembly.validate(relaxed)).to.equal(RELAXED);
    expect(WebAssembly.validate(plain)).to.equal(true);
  });

  it(`simd: 'simd128' and ${WASM_SIMD_ENV}=simd128 force the plain build; auto says which it picked`, async () => {
    const forced = await createWasmBackend({ threads: 1, simd: 'simd128' });
    const auto = await createWasmBackend({ threads: 1 });
    const old = process.env[WASM_SIMD_ENV];
    process.env[WASM_SIMD_ENV] = 'simd128';
    let fromEnv: WasmBackend | null = null;
    try {
      fromEnv = await createWasmBackend({ threads: 1 });
    } finally {
      if (old === undefined) delete process.env[WASM_SIMD_ENV];
      else process.env[WASM_SIMD_ENV] = old;
    }
    expect([forced.simd, fromEnv.simd]).to.deep.equal(['simd128', 'simd128']);
    const autoWant = old === 'relaxed' || ((old ?? '') === '' && RELAXED) ? 'relaxed' : 'simd128';
    expect(auto.simd).to.equal(old === 'simd128' ? 'simd128' : autoWant);
    for (const b of [forced, auto, fromEnv]) await b.destroy();
  });

  if (!RELAXED) {
    it("simd: 'relaxed' is refused where relaxed SIMD does not validate (run with --experimental-wasm-relaxed-simd to test the kernels)", async () => {
      let err: unknown = null;
      await createWasmBackend({ threads: 1, simd: 'relaxed' }).catch((e: unknown) => (err = e));
      expect(err).to.be.instanceOf(CondgradError);
      expect((err as Error).message).to.match(/does not validate relaxed SIMD/);
    });
    return;
  }

  for (const threads of [1, 2]) {
    describe(`${threads} thread${threads > 1 ? 's' : ''}`, () => {
      const bes = new Map<WasmSimd, WasmBackend>();
      before(async () => {
        for (const simd of ['relaxed', 'simd128'] as const) bes.set(simd, await createWasmBackend({ threads, simd, minWorkPerThread: 1 }));
      });
      after(async () => {
        for (const b of bes.values()) await b.destroy();
      });

      it('reports the relaxed build', () => {
        expect(bes.get('relaxed')?.simd).to.equal('relaxed');
      });

      for (const [i, c] of CONVS.entries()) {
        it(`conv2d forward, input and filter gradients x=[${c.x}] w=[${c.w}] ${JSON.stringify(c.opts)}: relaxed and plain both match the reference`, () => {
          const g = geometry(c);
          const rng = mulberry32(100 + i);
          const x = randArray(rng, g.batch * g.inC * g.inH * g.inW, 'float32') as Float32Array;
          const w = randArray(rng, g.weightSize * (g.perSampleWeights ? g.batch : 1), 'float32') as Float32Array;
          const dy = randArray(rng, g.batch * g.outC * g.outH * g.outW, 'float32') as Float32Array;
          for (const [simd, be] of bes) {
            parity(be, [x, w], (b, [xs, ws]) => b.conv2d(xs, ws, g), `${simd} forward`);
            parity(be, [dy, w], (b, [d, ws]) => b.conv2dBackwardInput(d, ws, g), `${simd} input grad`);
            parity(be, [x, dy], (b, [xs, d]) => b.conv2dBackwardFilter(xs, d, g), `${simd} filter grad`);
          }
        });
      }

      it('matmul (blocked K, ragged tiles, transposes, batched) matches the reference', () => {
        const rng = mulberry32(7);
        for (const [batch, m, k, n, tA, tB] of [
          [1, 37, 300, 45, false, false],
          [3, 9, 17, 33, true, false],
          [2, 16, 64, 16, false, true],
        ] as const) {
          const g = matmulGeometry('matmul', batch, batch, tA ? [k, m] : [m, k], tB ? [n, k] : [k, n], tA, tB);
          const a = randArray(rng, batch * m * k, 'float32') as Float32Array;
          const b = randArray(rng, batch * k * n, 'float32') as Float32Array;
          for (const [simd, be] of bes) parity(be, [a, b], (bb, [as, bs]) => bb.matmul(as, bs, g), `${simd} matmul ${batch}x${m}x${k}x${n}`);
        }
      });
    });
  }
});
