// Optimizers, training and checkpoints on every available backend (cpu, wasm, gpu): same results as the cpu reference, no host reads in the step.

import '../../kernels/register.js';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tensor } from '../../core/creation.js';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';
import { CondConv2d } from '../../nn/cond_conv.js';
import { BatchNorm2d } from '../../nn/layers/batchnorm2d.js';
import { Flatten } from '../../nn/layers/flatten.js';
import { Linear } from '../../nn/layers/linear.js';
import { ReLU } from '../../nn/layers/activations.js';
import { Sequential } from '../../nn/layers/sequential.js';
import { Adam, AdamW } from '../../nn/optim/adam.js';
import { SGD } from '../../nn/optim/sgd.js';
import type { Optimizer } from '../../nn/optim/optimizer.js';
import { DataLoader } from '../../nn/data/loader.js';
import { loadMnist } from '../../nn/data/mnist.js';
import { loadCheckpoint } from '../../nn/checkpoint.js';
import { train } from '../../nn/train.js';
import { expectClose } from '../helpers/close.js';
import { forEachBackend } from '../helpers/backends.js';

/** CondConv 1→4 3×3 s=2 K=2 (softmax router, expert dropout) → BN → ReLU → flatten → linear 784→10. */
function tiny(backend: AnyBackend): Sequential {
  return new Sequential(
    new CondConv2d(1, 4, 3, { stride: 2, padding: 1, numExperts: 2, router: { kind: 'softmax', expertDropout: 0.2 }, seed: 1, backend }),
    new BatchNorm2d(4, { backend }),
    new ReLU(),
    new Flatten(),
    new Linear(4 * 14 * 14, 10, { seed: 2, backend }),
  );
}

const OPTS: [string, (m: Sequential) => Optimizer][] = [
  ['Adam', (m) => new Adam(m.parameters(), { lr: 0.01, weightDecay: 0.01 })],
  ['SGD nesterov', (m) => new SGD(m.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 })],
];

async function losses(backend: AnyBackend, make: (m: Sequential) => Optimizer, ckpt?: string): Promise<{ steps: number[]; model: Sequential }> {
  const { train: tr } = loadMnist({ train: 128, test: 10 });
  const model = tiny(backend);
  const r = await train(
    model,
    { train: new DataLoader(tr, { batchSize: 32, seed: 1, shift: 2, mixup: 0.4 }) },
    {
      epochs: 2,
      optimizer: make(model),
      maxBatches: 2,
      checkpointFile: ckpt,
    },
  );
  return { steps: r.stepLosses, model };
}

describe('nn/optim + train per backend', () => {
  forEachBackend(({ backend }) => {
    it('three float32 steps p=[1,1] grads 0.5,-0.2,0.3: SGD nesterov, Adam, AdamW match the hand values', async () => {
      const cases: [(ps: ReturnType<typeof tensor>[]) => Optimizer, number][] = [
        [(ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 }), 0.750536646],
        [(ps) => new Adam(ps, { lr: 0.1 }), 0.8109953836811554],
        [(ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.1 }), 0.7836299894801902],
      ];
      for (const [make, want] of cases) {
        const p = tensor([1, 1], [2], { backend });
        const opt = make([p]);
        for (const g of [0.5, -0.2, 0.3]) {
          p.grad = tensor([g, g], [2], { backend });
          opt.step();
          opt.zeroGrad();
        }
        expectClose(await p.data(), [want, want], 1e-5);
      }
    });

    for (const [name, make] of OPTS) {
      it(`${name}: 4 training steps x=[32,1,28,28] match the cpu run; checkpoint loads on cpu`, async function () {
        this.timeout(120000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-be-'));
        try {
          const ckpt = path.join(dir, 'a.ckpt');
          const got = await losses(backend, make, ckpt);
          const ref = await losses(cpuBackend, make);
          expectClose(got.steps, ref.steps, 1e-3, 'step losses');
          const onCpu = tiny(cpuBackend);
          loadCheckpoint(ckpt, onCpu);
          for (const [k, t] of Object.entries(got.model.stateDict())) {
            expect(Array.from(onCpu.stateDict()[k].dataSync()), k).to.deep.equal(Array.from(await t.data()));
          }
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
});
