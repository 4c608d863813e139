// 1,000 tidy()-scoped training steps on the gpu backend: live device buffers, bytes, compiled kernels and process memory stay flat.

import '../../kernels/register.js';
import { expect } from 'chai';
import { tensor } from '../../core/creation.js';
import { tidy } from '../../core/scope.js';
import { CondLinear } from '../../nn/cond_linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { GlobalAvgPool2d } from '../../nn/layers/pool.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { Adam } from '../../nn/optim/adam.js';
import { crossEntropy } from '../../ops/softmax.js';
import { describeGpu, settleGc } from '../helpers/gpu.js';
import { mulberry32, randArray } from '../helpers/rng.js';

const STEPS = 1000;
const WARMUP = 20;
const CHECKS = [100, 500, 1000];
const B = 4;
const S = 8;
/** Allowed growth of the process's resident set from step 100 to step 1000, after a forced GC. */
const RSS_SLACK = 64 * 1024 * 1024;

interface Reading {
  step: number;
  /** Live buffers before the forced GC: what tidy() and the optimizer freed themselves. */
  beforeGc: number;
  liveBuffers: number;
  liveBytes: number;
  compiled: number;
  rss: number;
}

describeGpu('gpu training memory', (gpu) => {
  it(`${STEPS} Adam steps of conv 1→4 3×3 + relu + GAP + CondLinear 4→10 K=4, x=[${B},1,${S},${S}]: live buffers and bytes equal after warm-up at steps ${CHECKS.join(', ')}; RSS +≤64 MiB from step 100`, async function () {
    this.timeout(300000);
    const g = gpu();
    await g.flush();
    await settleGc();
    const baseline = g.memory().liveBuffers as number;
    const model = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, seed: 1, backend: g }),
      new ReLU(),
      new GlobalAvgPool2d(),
      new CondLinear(4, 10, { numExperts: 4, seed: 2, backend: g }),
    );
    model.train();
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const rng = mulberry32(5);
    const batches = Array.from({ length: 8 }, () => ({
      x: randArray(rng, B * S * S, 'float32') as Float32Array,
      labels: Array.from({ length: B }, () => Math.floor(rng() * 10)),
    }));

    const read = async (step: number): Promise<Reading> => {
      await g.flush();
      const beforeGc = g.memory().liveBuffers as number;
      await settleGc();
      await g.flush();
      const m = g.memory();
      return {
        step,
        beforeGc,
        liveBuffers: m.liveBuffers as number,
        liveBytes: m.liveBytes as number,
        compiled: g.kernelCache().compiled,
        rss: process.memoryUsage().rss,
      };
    };

    const readings: Reading[] = [];
    const losses: number[] = [];
    for (let step = 1; step <= STEPS; step++) {
      const { x, labels } = batches[step % batches.length];
      const loss = tidy(() => {
        const l = crossEntropy(model.forward(tensor(x, [B, 1, S, S], { backend: g })), labels);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l;
      });
      losses.push((await loss.data())[0]);
      loss.dispose();
      if (step === WARMUP || CHECKS.includes(step)) readings.push(await read(step));
    }
    const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
    console.log(
      `      ${readings.map((r) => `step ${r.step}: ${r.liveBuffers} buffers (${r.beforeGc} before GC), ${r.liveBytes} B, ${r.compiled} kernels compiled, rss ${mib(r.rss)}`).join('\n      ')}`,
    );

    const [warm, ...later] = readings;
    // What stays alive between steps: each parameter and Adam's two moments for it.
    expect(warm.liveBuffers - baseline).to.equal(3 * model.parameters().length);
    for (const r of later) {
      expect(r.beforeGc, `live buffers before GC at step ${r.step} vs step ${WARMUP}`).to.equal(warm.liveBuffers);
      expect(r.liveBuffers, `live buffers at step ${r.step} vs step ${WARMUP}`).to.equal(warm.liveBuffers);
      expect(r.liveBytes, `live bytes at step ${r.step} vs step ${WARMUP}`).to.equal(warm.liveBytes);
      expect(r.compiled, `kernels compiled by step ${r.step} vs step ${WARMUP}`).to.equal(warm.compiled);
    }
    const at100 = readings.find((r) => r.step === 100)!;
    const at1000 = readings.find((r) => r.step === 1000)!;
    expect(at1000.rss - at100.rss, `rss ${mib(at100.rss)} at step 100, ${mib(at1000.rss)} at step 1000`).to.be.at.most(RSS_SLACK);
    // The steps did train: every loss is finite and the last 8 (one pass over the batches) are below the first 8.
    expect(losses.every(Number.isFinite)).to.equal(true);
    const sum = (a: number[]): number => a.reduce((s, v) => s + v, 0);
    expect(sum(losses.slice(-8))).to.be.below(sum(losses.slice(0, 8)));
    for (const p of model.parameters()) p.dispose();
  });
});
