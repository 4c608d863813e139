// Why expert dropout hurts the reproduction's CondConv K=8: short runs that switch each suspected cause on and off, and a few eval-time probes.
//
//   node --import tsx cli/reproduce/expert_dropout.ts [--steps 150] [--seeds 1,2] [--variants a,b] [--threads 1] [--test-size 1000]
//
// Each run is the reproduction's CondConv K=8 model (mobilenet-v1, width 0.5, every block and
// the head converted, sigmoid routing), Adam lr 0.002 with a per-step cosine decay over --steps
// steps of batch 64, on the reproduction's data. Variants change one thing each (see VARIANTS).
// After training, the test digits are scored three ways: plain eval; eval with the routers'
// expert dropout left on; eval with BatchNorm on batch statistics. The last columns give the
// relative size of the per-sample kernel change the (inverted) dropout masks make in the first
// pointwise CondConv, ‖W(m⊙α) − W(α)‖ / ‖W(α)‖, at initialisation and after training.
// Findings: reproduction/expert-dropout.md (shown in reproduction/REPORT.md).

import { parseArgs } from 'node:util';
import { noGrad, setBackend } from '../../core/engine.js';
import { tidy } from '../../core/scope.js';
import { tensor } from '../../core/creation.js';
import type { Tensor } from '../../core/tensor.js';
import { buildRun, configFromFlags } from '../train_config.js';
import { createWasmBackend } from '../../kernels/wasm/backend.js';
import { Rng } from '../../core/random.js';
import { mul, div } from '../../ops/arithmetic.js';
import { dropout } from '../../ops/dropout.js';
import { sum } from '../../ops/broadcast.js';
import { batchImages, type DataLoader } from '../../nn/data/loader.js';
import { scoreLogits } from '../../nn/evaluate.js';
import { BatchNorm2d } from '../../nn/layers/batchnorm2d.js';
import type { Module } from '../../nn/module.js';
import { CondLinear } from '../../nn/cond_linear.js';
import { Router } from '../../nn/router.js';
import { train } from '../../nn/train.js';

type DropMode = 'library' | 'renorm' | 'unscaled' | 'perlayer';
interface Variant {
  p: number;
  where: 'all' | 'blocks' | 'head';
  mode: DropMode;
  sameExperts: boolean;
  about: string;
  plain?: boolean;
}

const VARIANTS: Record<string, Variant> = {
  p0: { p: 0, where: 'all', mode: 'library', sameExperts: false, about: 'no expert dropout' },
  'p0.2': {
    p: 0.2,
    where: 'all',
    mode: 'library',
    sameExperts: false,
    about: 'the reproduction: p = 0.2 on every router (inverted dropout, kept weights ×1.25)',
  },
  'p0.2-blocks': { p: 0.2, where: 'blocks', mode: 'library', sameExperts: false, about: 'p = 0.2 on the shared block routers only' },
  'p0.2-head': { p: 0.2, where: 'head', mode: 'library', sameExperts: false, about: 'p = 0.2 on the CondLinear head router only' },
  'p0.2-unscaled': { p: 0.2, where: 'all', mode: 'unscaled', sameExperts: false, about: 'p = 0.2, kept weights not rescaled' },
  'p0.2-renorm': { p: 0.2, where: 'all', mode: 'renorm', sameExperts: false, about: 'p = 0.2, kept weights rescaled so that each sample keeps Σ_k α_bk' },
  'p0.2-perlayer': {
    p: 0.2,
    where: 'all',
    mode: 'perlayer',
    sameExperts: false,
    about: 'p = 0.2, but each conv of a block draws its own mask on the shared α',
  },
  'p0-same': { p: 0, where: 'all', mode: 'library', sameExperts: true, about: 'no expert dropout, the K experts of every layer start as copies of one' },
  'p0.2-same': { p: 0.2, where: 'all', mode: 'library', sameExperts: true, about: 'p = 0.2, the K experts of every layer start as copies of one' },
  plain: { p: 0, where: 'all', mode: 'library', sameExperts: false, plain: true, about: 'the plain baseline (no CondConv), same width' },
  'plain-gain': {
    p: 0.2,
    where: 'all',
    mode: 'library',
    sameExperts: false,
    plain: true,
    about:
      "the plain baseline, every block conv's output scaled per sample by mean_k(m_k), m_k ∈ {0, 1.25} with P(0) = 0.2, K = 8: the gain noise expert dropout makes when all α_k and experts are equal",
  },
  'p0.05': { p: 0.05, where: 'all', mode: 'library', sameExperts: false, about: 'p = 0.05 on every router' },
};

/** Routers of the model with whether each is the head's. */
function routers(model: Module): { r: Router; head: boolean }[] {
  const head = new Set<Router>();
  for (const m of model.modules()) if (m instanceof CondLinear) head.add(m.router);
  return model
    .modules()
    .filter((m): m is Router => m instanceof Router)
    .map((r) => ({ r, head: head.has(r) }));
}

/** Sets each router's dropout as the variant says; non-library modes replace the router's forward. */
function configure(model: Module, v: Variant): void {
  for (const { r, head } of routers(model)) {
    const on = v.where === 'all' || (v.where === 'head') === head;
    const p = on ? v.p : 0;
    Object.defineProperty(r, 'expertDropout', { value: v.mode === 'library' || (v.mode === 'perlayer' && head) ? p : 0 });
    if (v.mode === 'library' || v.mode === 'perlayer' || p === 0) continue;
    const plain = r.forward.bind(r);
    r.forward = (x: Tensor): Tensor => {
      const alpha = plain(x);
      if (!r.training) return alpha;
      const m = new Float32Array(alpha.size);
      for (let i = 0; i < m.length; i++) m[i] = r.dropoutRng.next() < p ? 0 : 1;
      const kept = mul(alpha, tensor(m, alpha.shape, { backend: alpha.backend }));
      if (v.mode === 'unscaled') return kept;
      // renorm: α' = (m ⊙ α) · Σ_k α_bk / Σ_k m_bk α_bk (gradient through both sums).
      return mul(kept, div(sum(alpha, [1], true), sum(kept, [1], true)));
    };
  }
  if (v.plain === true && v.p > 0) {
    const blocks = (model as unknown as { blocks: Module }).blocks;
    const rng = new Rng(104729);
    blocks.modules().forEach((m) => {
      const conv = (m as unknown as { conv?: Module }).conv;
      if (conv === undefined || !(m as unknown as { bn?: Module }).bn) return;
      const plain = conv.forward.bind(conv);
      conv.forward = (x: Tensor): Tensor => {
        const y = plain(x);
        if (!conv.training) return y;
        const B = y.shape[0];
        const g = new Float32Array(B);
        for (let b = 0; b < B; b++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += rng.next() < v.p ? 0 : 1 / (1 - v.p);
          g[b] = s / 8;
        }
        return mul(y, tensor(g, [B, 1, 1, 1], { backend: y.backend }));
      };
    });
    return;
  }
  if (v.mode === 'perlayer') {
    model.modules().forEach((m, i) => {
      if (m instanceof CondLinear || (m as unknown as { experts?: Tensor }).experts === undefined) return;
      const layer = m as unknown as { forward(x: Tensor, routing?: Tensor): Tensor; training: boolean };
      const plain = layer.forward.bind(layer);
      const rng = new Rng(7919 * (i + 1));
      layer.forward = (x: Tensor, routing?: Tensor): Tensor =>
        plain(x, routing !== undefined ? dropout(routing, v.p, { training: layer.training, rng }) : routing);
    });
  }
  if (v.sameExperts) {
    noGrad(() => {
      for (const m of model.modules()) {
        const e = (m as { experts?: Tensor }).experts;
        if (e === undefined || e.shape[0] < 2) continue;
        const d = e.dataSync();
        const per = e.size / e.shape[0];
        const c = Float32Array.from(d);
        for (let k = 1; k < e.shape[0]; k++) c.copyWithin(k * per, 0, per);
        e.assign(tensor(c, e.shape, { backend: e.backend }));
      }
    });
  }
}

/** Test accuracy with routers and BatchNorm layers in the given modes. */
async function score(model: Module, loader: DataLoader, routerTraining: boolean, bnBatchStats: boolean): Promise<number> {
  const bn = model.modules().filter((m) => m instanceof BatchNorm2d);
  const saved = bn.map((m) => m.stateDict());
  const copies = Object.fromEntries(bn.flatMap((_, i) => Object.entries(saved[i]).map(([k, t]) => [`${i}.${k}`, Float32Array.from(t.dataSync())])));
  model.eval();
  for (const { r } of routers(model)) r.training = routerTraining;
  for (const m of bn) m.training = bnBatchStats;
  let correct = 0;
  let n = 0;
  for (const batch of loader.epoch(0)) {
    const logits = tidy(() => noGrad(() => model.forward(batchImages(batch))));
    correct += scoreLogits(logits.dataSync(), logits.shape, batch.labels).correct;
    n += batch.labels.length;
    logits.dispose();
  }
  // Batch-statistics mode moved the running statistics: put them back.
  noGrad(() => bn.forEach((_, i) => Object.entries(saved[i]).forEach(([k, t]) => t.assign(tensor(copies[`${i}.${k}`], t.shape, { backend: t.backend })))));
  model.train();
  return correct / n;
}

/** Mean over test samples of ‖Σ_k (m_k − 1) α_k W_k‖ / ‖Σ_k α_k W_k‖ for the first block's pointwise CondConv, masks as in training. */
function kernelNoise(model: Module, loader: DataLoader, p: number): number {
  const expertsOf = (m: Module): Tensor | undefined => (m as unknown as { experts?: Tensor }).experts;
  const layer = model.modules().find((m) => expertsOf(m)?.rank === 5 && expertsOf(m)?.shape[4] === 1) as unknown as
    { experts: Tensor; router: Router } | undefined;
  if (layer === undefined || p === 0) return 0;
  const r = layer.router;
  const [batch] = loader.epoch(0);
  model.eval();
  const alpha = tidy(() =>
    noGrad(() => {
      // The block input: run the stem then route it (the stem is the model's first child).
      const x = batchImages(batch);
      const stem = (model as unknown as { stem: Module }).stem;
      return r.forward(stem.forward(x));
    }),
  );
  model.train();
  const a = alpha.dataSync();
  const [B, K] = alpha.shape;
  alpha.dispose();
  const e = layer.experts.dataSync();
  const per = e.length / K;
  let total = 0;
  for (let b = 0; b < B; b++) {
    const m = Array.from({ length: K }, () => (r.dropoutRng.next() < p ? 0 : 1 / (1 - p)));
    let num = 0;
    let den = 0;
    for (let j = 0; j < per; j++) {
      let w = 0;
      let dw = 0;
      for (let k = 0; k < K; k++) {
        w += a[b * K + k] * e[k * per + j];
        dw += (m[k] - 1) * a[b * K + k] * e[k * per + j];
      }
      num += dw * dw;
      den += w * w;
    }
    total += Math.sqrt(num / den);
  }
  return total / B;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      seeds: { type: 'string' },
      variants: { type: 'string' },
      threads: { type: 'string' },
      'test-size': { type: 'string' },
    },
  });
  const steps = Number(values.steps ?? 150);
  const seeds = (values.seeds ?? '1,2').split(',').map(Number);
  const names = (values.variants ?? Object.keys(VARIANTS).join(',')).split(',');
  setBackend(await createWasmBackend({ threads: Number(values.threads ?? 1) }));
  const epochs = 3;
  const perEpoch = Math.ceil(steps / epochs);
  console.log(`steps ${epochs * perEpoch} (batch 64), seeds ${seeds.join(',')}; accuracies in %`);
  console.log('variant | seed | train acc (last epoch) | test acc | test, dropout on | test, BN batch stats | kernel change at init | at end');
  for (const name of names) {
    const v = VARIANTS[name];
    if (v === undefined) throw new Error(`unknown variant ${name}: ${Object.keys(VARIANTS).join(', ')}`);
    for (const seed of seeds) {
      const c = configFromFlags({
        model: 'mobilenet-v1',
        width: '0.5',
        experts: v.plain === true ? '1' : '8',
        convert: v.plain === true ? 'none' : 'all',
        routing: 'sigmoid',
        'expert-dropout': '0',
        epochs: String(epochs),
        'max-batches': String(perEpoch),
        seed: String(seed),
        'test-size': values['test-size'] ?? '1000',
      });
      const run = buildRun(c);
      configure(run.model, v);
      const noise0 = kernelNoise(run.model, run.test, v.p);
      const res = await train(run.model, { train: run.train }, { epochs, optimizer: run.optimizer, schedule: run.schedule, seed, maxBatches: perEpoch });
      const trainAcc = res.history[res.history.length - 1].trainAccuracy;
      const test = await score(run.model, run.test, false, false);
      // Only router-applied dropout is switched on by the routers' training flag.
      const testDrop = v.p > 0 && v.mode !== 'perlayer' && v.plain !== true ? await score(run.model, run.test, true, false) : null;
      const testBn = await score(run.model, run.test, false, true);
      const noise1 = kernelNoise(run.model, run.test, v.p);
      const pc = (x: number): string => (100 * x).toFixed(1);
      console.log(
        `${name} | ${seed} | ${pc(trainAcc)} | ${pc(test)} | ${testDrop === null ? '–' : pc(testDrop)} | ${pc(testBn)} | ${noise0.toFixed(2)} | ${noise1.toFixed(2)}`,
      );
    }
  }
  for (const name of names) console.log(`- ${name}: ${VARIANTS[name].about}`);
  process.exit(0);
}

await main();
