// The demo's training worker: trains a small CondConv net on the digits asset with the chosen backend and K, times one CondConv layer's paths, and reports progress to the page.

// '../index.js' type-checks against the sources; web/build.ts points it at the shipped bundle, ../browser/condgrad.js.
import * as cg from '../index.js';
import { decodeDigits, type Digits } from './digits.js';

type BackendName = 'cpu' | 'wasm' | 'gpu';

export interface TrainRequest {
  backend: BackendName;
  K: number;
  steps: number;
  batch?: number;
  lr?: number;
  evalEvery?: number;
  seed?: number;
}

export interface TrainResult {
  backend: BackendName;
  threads: number;
  K: number;
  losses: number[];
  evals: { step: number; accuracy: number }[];
  /** Per CondConv layer (first, second): the mean routing weight α of each expert per true class, [10][K]. */
  heatmaps: number[][][];
  msPerStep: number;
}

export interface BenchRow {
  path: string;
  ms: number;
}

/** Two CondConv layers (softmax routers with 16 hidden units) and a linear classifier: [B, 1, 28, 28] → [B, 10]. */
class DigitNet extends cg.Module {
  c1: cg.CondConv2d;
  c2: cg.CondConv2d;
  fc: cg.Linear;
  constructor(K: number, seed: number) {
    super();
    this.c1 = new cg.CondConv2d(1, 8, 3, { numExperts: K, stride: 2, padding: 1, router: { kind: 'softmax', hidden: 16 }, seed });
    this.c2 = new cg.CondConv2d(8, 16, 3, { numExperts: K, stride: 2, padding: 1, router: { kind: 'softmax', hidden: 16 }, seed: seed + 1 });
    this.fc = new cg.Linear(16 * 7 * 7, 10, { seed: seed + 2 });
  }
  hidden(x: cg.Tensor): cg.Tensor {
    return cg.relu(this.c1.forward(x));
  }
  override forward(x: cg.Tensor): cg.Tensor {
    const h2 = cg.relu(this.c2.forward(this.hidden(x)));
    return this.fc.forward(cg.reshape(h2, [x.shape[0], 16 * 7 * 7]));
  }
}

let digits: Digits | null = null;
async function loadDigits(): Promise<Digits> {
  if (digits === null) {
    const res = await fetch(new URL('./digits.bin', import.meta.url));
    if (!res.ok) throw new Error(`digits.bin: HTTP ${res.status}`);
    digits = decodeDigits(new Uint8Array(await res.arrayBuffer()));
  }
  return digits;
}

async function useBackend(name: BackendName): Promise<unknown> {
  const b = name === 'cpu' ? cg.getBackend('cpu') : await cg.initBackend(name);
  cg.setBackend(b);
  return b;
}

function threadsOf(b: unknown): number {
  return (b as { threads?: number }).threads ?? 1;
}

const post = (m: unknown): void => (self as unknown as { postMessage(m: unknown): void }).postMessage(m);

function batchOf(set: Digits['train'], order: Int32Array, start: number, B: number): { x: Float32Array; labels: Int32Array } {
  const per = 28 * 28;
  const x = new Float32Array(B * per);
  const labels = new Int32Array(B);
  for (let i = 0; i < B; i++) {
    const j = order[(start + i) % order.length];
    x.set(set.images.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = set.labels[j];
  }
  return { x, labels };
}

async function accuracy(net: DigitNet, d: Digits, n: number): Promise<number> {
  let correct = 0;
  const B = 250;
  for (let s = 0; s < n; s += B) {
    const b = Math.min(B, n - s);
    const x = cg.tensor(d.test.images.subarray(s * 784, (s + b) * 784), [b, 1, 28, 28]);
    const logits = cg.noGrad(() => net.forward(x));
    const v = await logits.data();
    x.dispose();
    logits.dispose();
    for (let i = 0; i < b; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (v[i * 10 + c] > v[i * 10 + best]) best = c;
      if (best === d.test.labels[s + i]) correct++;
    }
  }
  return correct / n;
}

async function routingHeatmaps(net: DigitNet, d: Digits, n: number, K: number): Promise<number[][][]> {
  const sums = [0, 1].map(() => Array.from({ length: 10 }, () => new Array<number>(K).fill(0)));
  const counts = new Array<number>(10).fill(0);
  const B = 250;
  for (let s = 0; s < n; s += B) {
    const b = Math.min(B, n - s);
    const x = cg.tensor(d.test.images.subarray(s * 784, (s + b) * 784), [b, 1, 28, 28]);
    const alphas = cg.noGrad(() => cg.tidy(() => [net.c1.router.forward(x), net.c2.router.forward(net.hidden(x))]));
    const a = [await alphas[0].data(), await alphas[1].data()];
    x.dispose();
    for (const t of alphas) t.dispose();
    for (let i = 0; i < b; i++) {
      const c = d.test.labels[s + i];
      counts[c]++;
      for (let l = 0; l < 2; l++) for (let k = 0; k < K; k++) sums[l][c][k] += a[l][i * K + k];
    }
  }
  return sums.map((m) => m.map((row, c) => row.map((v) => v / Math.max(1, counts[c]))));
}

async function train(req: TrainRequest): Promise<TrainResult> {
  const d = await loadDigits();
  const b = await useBackend(req.backend);
  const { K, steps } = req;
  const B = req.batch ?? 32;
  const evalEvery = req.evalEvery ?? 25;
  const seed = req.seed ?? 1;
  const net = new DigitNet(K, seed);
  const opt = new cg.Adam(net.parameters(), { lr: req.lr ?? 0.01 });
  const order = new cg.Rng(seed).shuffle(Int32Array.from({ length: d.train.length }, (_, i) => i)) as Int32Array;
  const losses: number[] = [];
  const evals: { step: number; accuracy: number }[] = [];
  const t0 = performance.now();
  let trainMs = 0;
  for (let step = 0; step < steps; step++) {
    const ts = performance.now();
    const { x, labels } = batchOf(d.train, order, step * B, B);
    const loss = cg.tidy(() => {
      const l = cg.crossEntropy(net.forward(cg.tensor(x, [B, 1, 28, 28])), labels);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l.detach();
    });
    const [v] = await loss.data();
    loss.dispose();
    trainMs += performance.now() - ts;
    losses.push(v);
    let acc: number | undefined;
    if ((step + 1) % evalEvery === 0 || step === steps - 1) {
      acc = await accuracy(net, d, 500);
      evals.push({ step: step + 1, accuracy: acc });
    }
    post({ type: 'progress', step: step + 1, steps, loss: v, accuracy: acc, seconds: (performance.now() - t0) / 1000 });
  }
  const heatmaps = await routingHeatmaps(net, d, d.test.length, K);
  return { backend: req.backend, threads: threadsOf(b), K, losses, evals, heatmaps, msPerStep: trainMs / steps };
}

/** One CondConv layer, forward + backward, on the three paths: fused, moe, and a plain conv2d of the same shape. */
async function bench(req: { backend: BackendName; K: number; reps?: number }): Promise<BenchRow[]> {
  await useBackend(req.backend);
  const reps = req.reps ?? 5;
  const [B, C, H, O] = [16, 32, 16, 32];
  const x = cg.randn([B, C, H, H], { seed: 1, requiresGrad: true });
  const experts = cg.randn([req.K, O, C, 3, 3], { seed: 2, requiresGrad: true });
  const routing = cg.rand([B, req.K], { seed: 3, requiresGrad: true });
  const w = cg.randn([O, C, 3, 3], { seed: 4, requiresGrad: true });
  const runs: [string, () => cg.Tensor][] = [
    ['fused', () => cg.condConv2d(x, experts, routing, null, { padding: 1, path: 'fused' })],
    ['moe', () => cg.condConv2d(x, experts, routing, null, { padding: 1, path: 'moe' })],
    ['plain conv2d', () => cg.conv2d(x, w, null, { padding: 1 })],
  ];
  const once = async (f: () => cg.Tensor): Promise<number> => {
    const t0 = performance.now();
    const s = cg.tidy(() => {
      const y = cg.sum(f());
      y.backward();
      return y.detach();
    });
    await s.data();
    await x.grad!.data();
    s.dispose();
    for (const t of [x, experts, routing, w]) {
      t.grad?.dispose();
      t.grad = null;
    }
    return performance.now() - t0;
  };
  const times = runs.map(() => [] as number[]);
  for (const [, f] of runs) await once(f); // warm-up (compiles gpu kernels)
  for (let r = 0; r < reps; r++) for (let i = 0; i < runs.length; i++) times[i].push(await once(runs[i][1]));
  for (const t of [x, experts, routing, w]) t.dispose();
  const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  return runs.map(([path], i) => ({ path, ms: median(times[i]) }));
}

async function info(): Promise<Record<string, unknown>> {
  const wasm = cg.listBackends().includes('wasm') ? cg.getBackend('wasm') : await cg.initBackend('wasm');
  return {
    crossOriginIsolated: (self as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated,
    wasmThreads: threadsOf(wasm),
    wasmSimd: (wasm as { simd?: string }).simd,
    webgpu: 'gpu' in navigator,
    hardwareConcurrency: navigator.hardwareConcurrency,
  };
}

const handlers: Record<string, (a: never) => Promise<unknown>> = { train, bench, info };

(self as unknown as { onmessage: unknown }).onmessage = async (e: MessageEvent<{ id: number; type: string; args: unknown }>) => {
  const { id, type, args } = e.data;
  try {
    post({ type: 'result', id, value: await handlers[type](args as never) });
  } catch (err) {
    const x = err as Error;
    post({ type: 'error', id, error: { name: x.name, message: x.message } });
  }
};
post({ type: 'loaded' });
