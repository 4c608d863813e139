// Sequential MNIST: each digit read as 28 steps of 28 features, a small 1-D CondConv net against its plain twin, trained from the command line.
// node --import tsx examples/seq_mnist.ts [--epochs 10] [--train 8000 --test 2000] [--experts 4] [--width 32] [--wide-width 64]
import { parseArgs } from 'node:util';
import * as cg from '../index.js';

export interface SeqNetOptions {
  /** 'cond': the two inner convolutions are CondConv1d (K experts, sigmoid routers); 'plain': Conv1d. */
  kind: 'cond' | 'plain';
  /** Channels of the stem (the blocks use twice that; default 32). */
  width?: number;
  /** K (default 4). */
  experts?: number;
  seed?: number;
}

/**
 * ImageToSequence ([B, 1, 28, 28] → [B, 28, 28]: channel c is pixel column c, step t is row t) → Conv1d(28, w, 3) → ReLU → [(Cond)Conv1d(w, 2w, 3) → ReLU → MaxPool1d(2)] →
 * [(Cond)Conv1d(2w, 2w, 3) → ReLU → MaxPool1d(2)] → GlobalAvgPool1d → Linear(2w, 10). The twins
 * differ only in the two block convolutions (CondConv keeps the stem and the head plain). The zoo's
 * 'seq-cnn' (condgrad train --model seq-cnn) is the same net, with a CondLinear head when converted.
 */
export function seqNet(o: SeqNetOptions): cg.Sequential {
  const w = o.width ?? 32;
  const K = o.experts ?? 4;
  const seed = o.seed ?? 0;
  const conv = (cin: number, cout: number, i: number): cg.Module =>
    o.kind === 'cond'
      ? new cg.CondConv1d(cin, cout, 3, { padding: 'same', numExperts: K, seed: seed + i })
      : new cg.Conv1d(cin, cout, 3, { padding: 'same', seed: seed + i });
  return new cg.Sequential(
    new cg.ImageToSequence(),
    new cg.Conv1d(28, w, 3, { padding: 'same', seed }),
    new cg.ReLU(),
    conv(w, 2 * w, 1),
    new cg.ReLU(),
    new cg.MaxPool1d(2),
    conv(2 * w, 2 * w, 2),
    new cg.ReLU(),
    new cg.MaxPool1d(2),
    new cg.GlobalAvgPool1d(),
    new cg.Linear(2 * w, 10, { seed: seed + 3 }),
  );
}

export interface SeqMnistOptions {
  train?: number;
  test?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  width?: number;
  experts?: number;
  seed?: number;
  /** Stop each epoch after this many batches (for quick runs). */
  maxBatches?: number;
  /** Also train a plain net this wide (e.g. one with about the CondConv net's parameter count). */
  wideWidth?: number;
  log?: (s: string) => void;
}

export interface SeqMnistResult {
  kind: 'cond' | 'plain';
  /** 'CondConv1d K=4 w=32', 'plain w=32', … */
  label: string;
  width: number;
  params: number;
  /** Multiply-accumulates per sample (summary(): conv, routing and mixing). */
  macs: number;
  testAccuracy: number;
  testLoss: number;
  /** Test loss and accuracy of the untrained net. */
  initialTestLoss: number;
  initialTestAccuracy: number;
  trainLoss: number;
  seconds: number;
}

/**
 * Trains the CondConv1d net and its plain twin (same width, so the same conv MACs) on the same
 * split, batches and seed, and a wider plain net when `wideWidth` is given; returns the results.
 */
export async function seqMnist(opts: SeqMnistOptions = {}): Promise<SeqMnistResult[]> {
  const log = opts.log ?? console.log;
  const data = cg.loadMnist({ train: opts.train ?? 8000, test: opts.test ?? 2000, normalize: true });
  const seed = opts.seed ?? 1;
  const batchSize = opts.batchSize ?? 64;
  const epochs = opts.epochs ?? 3;
  const out: SeqMnistResult[] = [];
  const width = opts.width ?? 32;
  const K = opts.experts ?? 4;
  const runs: { kind: 'cond' | 'plain'; width: number }[] = [
    { kind: 'cond', width },
    { kind: 'plain', width },
  ];
  if (opts.wideWidth !== undefined) runs.push({ kind: 'plain', width: opts.wideWidth });
  for (const { kind, width: w } of runs) {
    const label = kind === 'cond' ? `CondConv1d K=${K} w=${w}` : `plain w=${w}`;
    const net = seqNet({ kind, width: w, experts: K, seed });
    const lr = opts.lr ?? 3e-3;
    const opt = new cg.Adam(net.parameters(), { lr });
    const loaders = {
      train: new cg.DataLoader(data.train, { batchSize, seed }),
      test: new cg.DataLoader(data.test, { batchSize: 250, shuffle: false }),
    };
    const before = await cg.evaluate(net, loaders.test);
    const t0 = performance.now();
    const r = await cg.train(net, loaders, {
      epochs,
      optimizer: opt,
      seed,
      maxBatches: opts.maxBatches,
      schedule: cg.cosineLR(lr, { total: epochs * Math.min(loaders.train.numBatches, opts.maxBatches ?? Infinity), per: 'step' }),
      onEpoch: (e) =>
        log(
          `${label} epoch ${e.epoch}/${epochs}: train loss ${e.trainLoss.toFixed(4)} acc ${(100 * e.trainAccuracy).toFixed(2)}%, test acc ${(100 * (e.testAccuracy ?? 0)).toFixed(2)}% (${e.trainSeconds.toFixed(1)} s)`,
        ),
    });
    const last = r.history[r.history.length - 1];
    out.push({
      kind,
      label,
      width: w,
      params: net.numParameters(),
      macs: cg.summary(net, [1, 28, 28]).totalMacs,
      testAccuracy: last.testAccuracy ?? NaN,
      testLoss: last.testLoss ?? NaN,
      initialTestLoss: before.loss,
      initialTestAccuracy: before.accuracy,
      trainLoss: last.trainLoss,
      seconds: (performance.now() - t0) / 1000,
    });
  }
  for (const r of out)
    log(
      `${r.label}: ${r.params} parameters, ${r.macs} MACs/sample, test accuracy ${(100 * r.testAccuracy).toFixed(2)}% (untrained ${(100 * r.initialTestAccuracy).toFixed(2)}%), ${r.seconds.toFixed(0)} s`,
    );
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      train: { type: 'string' },
      test: { type: 'string' },
      epochs: { type: 'string' },
      batch: { type: 'string' },
      lr: { type: 'string' },
      width: { type: 'string' },
      experts: { type: 'string' },
      seed: { type: 'string' },
      'wide-width': { type: 'string' },
    },
  });
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  await seqMnist({
    train: num(values.train),
    test: num(values.test),
    epochs: num(values.epochs),
    batchSize: num(values.batch),
    lr: num(values.lr),
    width: num(values.width),
    experts: num(values.experts),
    seed: num(values.seed),
    wideWidth: num(values['wide-width']),
  });
}
