// The programs the package test writes into its fresh project: an ESM training script, strict TypeScript consumers, a tsconfig and a run without the gpu packages.

/** The ESM program the consumer runs: trains a small CondConv net on real digits, and reports each backend. */
export const TRAIN_MJS = `import * as cg from 'condgrad';
const out = { default: cg.getBackend().name };
const wasm = await cg.initBackend('wasm', { threads: 2, makeDefault: true });
out.threads = wasm.threads;
const data = cg.loadMnist({ train: 320, test: 32, normalize: true });
// conv(1→8)+relu+pool, CondConv(8→16, K = 4, its own sigmoid router)+relu+pool, dense(784→10).
class Net extends cg.Module {
  c1 = new cg.Conv2d(1, 8, 3, { padding: 1, seed: 2 });
  c2 = new cg.CondConv2d(8, 16, 3, { numExperts: 4, padding: 1, seed: 3 });
  flat = new cg.Flatten();
  fc = new cg.Linear(16 * 7 * 7, 10, { seed: 4 });
  forward(x) {
    const pool = (t) => cg.maxPool2d(t, { kernelSize: 2 });
    return this.fc.forward(this.flat.forward(pool(cg.relu(this.c2.forward(pool(cg.relu(this.c1.forward(x))))))));
  }
}
const net = new Net();
const opt = new cg.Adam(net.parameters(), { lr: 1e-2 });
const loader = new cg.DataLoader(data.train, { batchSize: 32, seed: 5, dropLast: true });
out.losses = [];
for (let epoch = 0; epoch < 2; epoch++) {
  for (const b of loader.epoch(epoch)) {
    const loss = cg.tidy(() => {
      const l = cg.crossEntropy(net.forward(cg.batchImages(b)), b.labels);
      l.backward();
      opt.step();
      opt.zeroGrad();
      return l;
    });
    out.losses.push(loss.item());
    loss.dispose();
  }
}
out.paramsOn = net.parameters()[0].backend.name;
const x = cg.randn([2, 3, 5, 5], { seed: 6, backend: 'cpu' });
out.cpuSum = cg.sum(cg.conv2d(x, cg.randn([4, 3, 3, 3], { seed: 7, backend: 'cpu' }), null, { padding: 1 })).item();
try {
  const gpu = await cg.initBackend('gpu');
  const g = cg.tensor(await x.data(), [2, 3, 5, 5], { backend: gpu });
  const w = cg.tensor(await cg.randn([4, 3, 3, 3], { seed: 7, backend: 'cpu' }).data(), [4, 3, 3, 3], { backend: gpu });
  out.gpu = { ok: true, sum: (await cg.sum(cg.conv2d(g, w, null, { padding: 1 })).data())[0] };
} catch (e) {
  out.gpu = { ok: false, name: e.name, isCondgradError: e instanceof cg.CondgradError, message: e.message };
}
await cg.closeBackends();
console.log(JSON.stringify(out));
`;

/** A strict TypeScript consumer: must type-check, and each @ts-expect-error must still be an error. */
export const CONSUMER_TS = `import * as cg from 'condgrad';
import { CondgradError, type Tensor, type InitBackendOptions } from 'condgrad';

const x: Tensor = cg.randn([2, 3, 5, 5], { seed: 1 });
const experts = cg.randn([4, 6, 3, 3, 3], { seed: 2, requiresGrad: true });
const routing = cg.rand([2, 4], { seed: 3 });
const y: Tensor = cg.condConv2d(x, experts, routing, null, { padding: 'same', path: 'fused' });
const shape: readonly number[] = y.shape;
// @ts-expect-error 'fusd' is not a condConv2d path
cg.condConv2d(x, experts, routing, null, { path: 'fusd' });
// @ts-expect-error threads is a number
const bad: InitBackendOptions = { threads: '2' };
// @ts-expect-error 'tpu' is not a backend
void cg.initBackend('tpu');
const wasm = await cg.initBackend('wasm', { threads: 2 });
const threads: number = wasm.threads;
const legacy = await cg.initBackend('cpu', true);
const err: CondgradError | null = null;
export { shape, bad, threads, legacy, err };
`;

/** The same call with the wrong path and no @ts-expect-error: tsc must reject it (so the check above is not vacuous). */
export const WRONG_PATH_TS = `import * as cg from 'condgrad';
const x = cg.randn([2, 3, 5, 5]);
cg.condConv2d(x, cg.randn([4, 6, 3, 3, 3]), cg.rand([2, 4]), null, { path: 'fusd' });
`;

export const TSCONFIG = {
  compilerOptions: { strict: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', noEmit: true, types: ['node'], skipLibCheck: false },
};

/** Without the WebGPU stack: cpu and wasm compute, and asking for the gpu backend is one named error. */
export const ABSENT_MJS = `import * as cg from 'condgrad';
const out = { default: cg.getBackend().name };
const w = cg.randn([4, 4], { seed: 1 });
out.wasmSum = cg.sum(cg.matmul(w, w)).item();
const c = cg.randn([4, 4], { seed: 1, backend: 'cpu' });
out.cpuSum = cg.sum(cg.matmul(c, c)).item();
try {
  await cg.initBackend('gpu');
  out.gpu = 'started';
} catch (e) {
  out.gpu = { isCondgradError: e instanceof cg.CondgradError, message: e.message };
}
await cg.closeBackends();
console.log(JSON.stringify(out));
`;
