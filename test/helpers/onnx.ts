// Runs exported ONNX models in onnxruntime-node and compares them with condgrad's eval-mode forward pass.

import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { randn } from '../../core/creation.js';
import { noGrad } from '../../core/engine.js';
import type { Module } from '../../nn/module.js';

/** Runs an exported model on x ([B, ...inputShape], float32) in onnxruntime. */
export async function runOnnx(
  session: ort.InferenceSession,
  x: Float32Array,
  shape: readonly number[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const out = await session.run({ input: new ort.Tensor('float32', x, [...shape]) });
  return { data: out.output.data as Float32Array, dims: out.output.dims };
}

/**
 * Asserts that one exported file, run at each batch size, gives condgrad's eval-mode output to
 * `tol` relative to the output's largest magnitude; returns the worst relative error seen.
 */
export async function expectOnnxMatches(
  model: Module,
  bytes: Uint8Array,
  inputShape: readonly number[],
  batches: readonly number[],
  tol = 1e-4,
): Promise<number> {
  const session = await ort.InferenceSession.create(bytes);
  const training = model.training;
  model.eval();
  let worst = 0;
  try {
    for (const B of batches) {
      const x = randn([B, ...inputShape], { seed: 100 + B, backend: model.parameters()[0]?.backend });
      const ref = noGrad(() => model.forward(x));
      const want = ref.dataSync();
      const got = await runOnnx(session, Float32Array.from(x.dataSync()), x.shape);
      expect([...got.dims], `output dims at batch ${B}`).to.deep.equal([...ref.shape]);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      expect(scale, `batch ${B}: reference output is all zeros`).to.be.greaterThan(0);
      for (let i = 0; i < want.length; i++) {
        const rel = Math.abs(got.data[i] - want[i]) / scale;
        worst = Math.max(worst, rel);
        if (!(rel <= tol)) expect.fail(`batch ${B} [${i}]: onnxruntime ${got.data[i]}, condgrad ${want[i]} (relative error ${rel.toExponential(2)} > ${tol})`);
      }
    }
  } finally {
    model.train(training);
  }
  await session.release();
  return worst;
}
