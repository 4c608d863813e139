// Train here, serve anywhere: a CondConv net trained ten Adam steps on MNIST digits, exported to ONNX and run by onnxruntime at another batch size.
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import * as cg from '../index.js';

export async function onnxServe(file: string, log: (s: string) => void = console.log): Promise<{ agree: number; maxDiff: number }> {
  // 1. Train: a zoo model with CondConv in its last stage, 10 Adam steps on 64-digit batches.
  const model = cg.createModel('mobilenet-v1', { width: 0.25, experts: 4, convert: 'last', seed: 1 });
  const digits = cg.loadMnist({ train: 640, test: 100 });
  const loader = new cg.DataLoader(digits.train, { batchSize: 64, seed: 1 });
  const opt = new cg.Adam(model.parameters(), { lr: 3e-3 });
  for (const batch of loader.epoch(0)) {
    cg.tidy(() => {
      const loss = cg.crossEntropy(model.forward(cg.tensor(batch.images, batch.shape)), batch.labels);
      loss.backward();
      opt.step();
      opt.zeroGrad();
    });
  }

  // 2. Export: one file, symbolic batch, CondConv as a Scan of one Conv per sample.
  writeFileSync(file, cg.exportOnnx(model, { inputShape: [1, 28, 28] }));

  // 3. Serve: onnxruntime on the 100 test digits in one batch, against condgrad's own eval forward.
  const session = await ort.InferenceSession.create(file);
  const pixels = digits.test.images; // 100 digits, [1, 28, 28] each
  const { output } = await session.run({ input: new ort.Tensor('float32', pixels, [100, 1, 28, 28]) });
  const x = cg.tensor(pixels, [100, 1, 28, 28]);
  const ours = cg.noGrad(() => model.eval().forward(x)).dataSync();
  const theirs = output.data as Float32Array;
  let agree = 0;
  let maxDiff = 0;
  const argmax = (a: ArrayLike<number>, i: number): number => {
    let b = 0;
    for (let k = 1; k < 10; k++) if (a[i * 10 + k] > a[i * 10 + b]) b = k;
    return b;
  };
  for (let i = 0; i < 100; i++) agree += argmax(ours, i) === argmax(theirs, i) ? 1 : 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
  log(`onnxruntime and condgrad agree on ${agree}/100 predictions; largest logit difference ${maxDiff.toExponential(1)}`);
  await session.release();
  return { agree, maxDiff };
}

if (import.meta.url === `file://${process.argv[1]}`) await onnxServe('model.onnx');
