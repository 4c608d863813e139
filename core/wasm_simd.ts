// Which of the wasm kernel builds runs: relaxed SIMD (fused multiply-adds) where the runtime validates it, or plain 128-bit SIMD.

import { CondgradError } from './errors.js';
import { readEnv } from './platform/env.js';

/**
 * The two builds of the wasm kernels: 'relaxed' (multiply-adds as f32x4.relaxed_madd, which V8
 * lowers to an FMA on CPUs that have one) and 'simd128' (f32x4.mul then f32x4.add).
 */
export type WasmSimd = 'relaxed' | 'simd128';

/** The environment variable that forces a wasm kernel build: 'relaxed', 'simd128' or 'auto' (unset or empty: auto). */
export const WASM_SIMD_ENV = 'CONDGRAD_WASM_SIMD';

/**
 * What 'auto' picks where relaxed SIMD validates. Measured on the conv bench shapes and matmul
 * (bench/relaxed_simd.ts, README "Relaxed SIMD"): see there for the ratios behind this choice.
 */
export const WASM_SIMD_AUTO_PREFERS: WasmSimd = 'relaxed';

/**
 * A module whose one function returns f32x4.relaxed_madd of three f32x4.splat(0): it validates only
 * where relaxed SIMD does (Node >= 21, Chrome >= 114; Node 20 with --experimental-wasm-relaxed-simd).
 */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 28, 1, 26, 0, 67, 0, 0, 0, 0, 253, 19, 67, 0, 0, 0, 0, 253, 19, 67, 0, 0, 0, 0, 253, 19,
  253, 133, 2, 11,
]);

/** True when this runtime validates WebAssembly relaxed SIMD (f32x4.relaxed_madd). */
export function wasmRelaxedSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}

/** A request for a kernel build: one of the builds, or 'auto' (relaxed where it validates and is preferred, else simd128). */
export type WasmSimdRequest = WasmSimd | 'auto';

/** What chooseWasmSimd looks at; each field defaults to this process's (tests inject their own). */
export interface WasmSimdProbe {
  /** The CONDGRAD_WASM_SIMD value (default: the environment's). */
  env?: string;
  /** Whether relaxed SIMD validates (default: wasmRelaxedSimdSupported()). */
  relaxed?: boolean;
}

const REQUESTS: readonly WasmSimdRequest[] = ['auto', 'relaxed', 'simd128'];

function checkRequest(what: string, v: unknown): WasmSimdRequest {
  if (!REQUESTS.includes(v as WasmSimdRequest)) {
    throw new CondgradError('wasm', `${what} must be one of ${REQUESTS.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as WasmSimdRequest;
}

/**
 * The kernel build to run: `requested` (the backend's `simd` option) wins, else CONDGRAD_WASM_SIMD,
 * else 'auto', which is WASM_SIMD_AUTO_PREFERS where relaxed SIMD validates and 'simd128'
 * otherwise. Asking for 'relaxed' where it does not validate is a CondgradError (it says how to
 * enable it), never a silent fallback; an unknown value is one too.
 */
export function chooseWasmSimd(requested?: WasmSimdRequest, probe: WasmSimdProbe = {}): WasmSimd {
  let want: WasmSimdRequest;
  let from: string;
  if (requested !== undefined) {
    want = checkRequest('the simd option', requested);
    from = `simd: '${want}'`;
  } else {
    const env = (probe.env ?? readEnv(WASM_SIMD_ENV) ?? '').trim();
    want = env === '' ? 'auto' : checkRequest(WASM_SIMD_ENV, env);
    from = `${WASM_SIMD_ENV}=${env}`;
  }
  const relaxed = probe.relaxed ?? wasmRelaxedSimdSupported();
  if (want === 'simd128') return 'simd128';
  if (want === 'auto') return relaxed ? WASM_SIMD_AUTO_PREFERS : 'simd128';
  if (!relaxed) {
    throw new CondgradError(
      'wasm',
      `${from} asks for the relaxed-SIMD kernels, but this runtime does not validate relaxed SIMD (Node >= 21 and Chrome >= 114 do; Node 20 needs --experimental-wasm-relaxed-simd)`,
    );
  }
  return 'relaxed';
}
