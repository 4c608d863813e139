// The peer bench's CondConv formulations compute CondConv: onnxruntime's grouped fold and moe graphs and tfjs's per-sample loop against the cpu reference.

import { expect } from 'chai';
import '../../kernels/register.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { condData, oursCond, ortCond, tfCondLoop, toTfLayout, type CondShape } from '../../bench/peers/condconv.js';

const SHAPES: CondShape[] = [
  { name: 'conv3x3', x: [2, 3, 5, 4], outC: 4, k: 3, depthwise: false },
  { name: 'conv1x1', x: [3, 4, 3, 3], outC: 2, k: 1, depthwise: false },
  { name: 'dw3x3', x: [2, 3, 4, 5], outC: 3, k: 3, depthwise: true },
];
const K = 3;

function expectClose(got: Float32Array, want: Float32Array, label: string): void {
  expect(got.length, label).to.equal(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  expect(worst, label).to.be.below(1e-5);
}

describe('peer bench CondConv formulations', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const s of SHAPES) {
    it(`${s.name}: ORT fold, ORT moe and the tfjs per-sample loop match the cpu reference condConv2d`, async () => {
      const d = condData(s, K, 7);
      const want = oursCond(cpuBackend, s, K, d)();
      expect(want.some((v) => v !== 0)).to.equal(true);
      for (const kind of ['fold', 'moe'] as const) {
        const e = await ortCond(kind, 1, s, K, d);
        try {
          expectClose(await e.run(), want, `ORT ${kind}`);
        } finally {
          await e.release();
        }
      }
      const t = toTfLayout(s, K, d);
      const [B, C, H, W] = s.x;
      const y = tfCondLoop(tf, tf.tensor4d(t.x, [B, H, W, C]), tf.tensor2d(d.routing, [B, K]), tf.tensor2d(t.experts, [K, t.experts.length / K]), s);
      const nhwc = y.dataSync() as Float32Array;
      const O = s.outC;
      const nchw = new Float32Array(nhwc.length);
      for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let i = 0; i < H * W; i++) nchw[(b * O + o) * H * W + i] = nhwc[(b * H * W + i) * O + o];
      expectClose(nchw, want, 'tfjs loop');
    });
  }

  it('the plain conv of the same shape (K = 0) differs from CondConv', () => {
    const s = SHAPES[0];
    const d = condData(s, K, 7);
    const plain = oursCond(cpuBackend, s, 0, d)();
    const cond = oursCond(cpuBackend, s, K, d)();
    expect(plain.length).to.equal(cond.length);
    expect(plain.some((v, i) => Math.abs(v - cond[i]) > 1e-3)).to.equal(true);
  });
});
