// Runs the wasm parity suites on the relaxed-SIMD kernels: CONDGRAD_WASM_SIMD=relaxed (so a runtime without relaxed SIMD fails, never falls back), with Node 20's V8 flag where it is needed.
import { spawnSync } from 'node:child_process';

/** f32x4.relaxed_madd of three splats (the probe core/wasm_simd.ts uses). */
const PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 28, 1, 26, 0, 67, 0, 0, 0, 0, 253, 19, 67, 0, 0, 0, 0, 253, 19, 67, 0, 0, 0, 0, 253, 19,
  253, 133, 2, 11,
]);

/** The suites whose float32 results go through the multiply-add kernels, plus the build-choice tests. */
const SUITES = [
  'test/core/wasm_simd.test.ts',
  'test/kernels/wasm_*.test.ts',
  'test/kernels/conv_parity.test.ts',
  'test/kernels/matmul_parity.test.ts',
  'test/ops/conv.test.ts',
  'test/ops/cond_conv.test.ts',
  'test/ops/matmul.test.ts',
];

const flag = WebAssembly.validate(PROBE) ? [] : ['-n', 'experimental-wasm-relaxed-simd'];
const args = ['node_modules/mocha/bin/mocha.js', '--no-config', '-n', 'import=tsx', ...flag, '--timeout', '120000', '--reporter', 'dot', ...SUITES];
const r = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, CONDGRAD_WASM_SIMD: 'relaxed', CONDGRAD_TEST_BACKENDS: 'wasm' },
});
process.exit(r.status ?? 1);
