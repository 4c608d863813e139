// The fixed cost of one small condConv2d call on the cpu backend (validation, planning, geometry, tape): median µs per call,
// optionally against another checkout loaded side by side, rounds interleaved in one process.
// Run: npx tsx bench/cond_overhead.ts [--against <dir of another checkout>] [--reps 61] [--calls 300]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './report/timing.js';

const { values: args } = parseArgs({
  options: { against: { type: 'string' }, reps: { type: 'string', default: '61' }, calls: { type: 'string', default: '300' } },
});
const REPS = Number(args.reps);
const CALLS = Number(args.calls);
const here = resolve(import.meta.dirname, '..');
const roots = args.against === undefined ? [here] : [resolve(args.against), here];

interface Case {
  tree: string;
  name: string;
  run: () => void;
}

/** The cases of one source tree, built from that tree's own modules (its Tensor class, engine and cpu backend). */
async function casesOf(root: string): Promise<Case[]> {
  const load = (p: string): Promise<Record<string, unknown>> => import(pathToFileURL(`${root}/${p}`).href) as Promise<Record<string, unknown>>;
  await load('kernels/register.ts');
  const { Tensor } = (await load('core/tensor.ts')) as typeof import('../core/tensor.js');
  const { cpuBackend } = (await load('kernels/cpu/backend.ts')) as typeof import('../kernels/cpu/backend.js');
  const { tidy } = (await load('core/scope.ts')) as typeof import('../core/scope.js');
  const { Rng } = (await load('core/random.ts')) as typeof import('../core/random.js');
  const { condConv2d } = (await load('ops/cond_conv.ts')) as typeof import('../ops/cond_conv.js');
  const rand = (shape: number[], seed: number, requiresGrad = false): InstanceType<typeof Tensor> => {
    const rng = new Rng(seed);
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.uniform(-1, 1));
    return new Tensor(cpuBackend.fromArray(data), shape, cpuBackend, requiresGrad);
  };
  // B2 C4 5×5, K 2 experts of [4, 4, 3, 3], padding 1: the kernels themselves take a few µs.
  const x = rand([2, 4, 5, 5], 1),
    experts = rand([2, 4, 4, 3, 3], 2),
    routing = rand([2, 2], 3),
    bias = rand([2, 4], 4);
  const expertsG = rand([2, 4, 4, 3, 3], 2, true);
  const tree = root === here ? 'this tree' : root;
  return [
    {
      tree,
      name: "path 'auto', no tape",
      run: () => {
        tidy(() => condConv2d(x, experts, routing, bias, { padding: 1 }));
      },
    },
    {
      tree,
      name: "path 'fused', no tape",
      run: () => {
        tidy(() => condConv2d(x, experts, routing, bias, { padding: 1, path: 'fused' }));
      },
    },
    {
      tree,
      name: "path 'auto', experts require grad (taped)",
      run: () => {
        tidy(() => condConv2d(x, expertsG, routing, bias, { padding: 1 }));
      },
    },
  ];
}

const cases: Case[] = [];
for (const r of roots) cases.push(...(await casesOf(r)));
const samples = cases.map(() => [] as number[]);
for (let rep = -5; rep < REPS; rep++) {
  // Each round times CALLS calls of every case of every tree, so drift hits all of them alike.
  cases.forEach((c, i) => {
    const t = performance.now();
    for (let k = 0; k < CALLS; k++) c.run();
    if (rep >= 0) samples[i].push(((performance.now() - t) * 1000) / CALLS);
  });
}
console.log(
  `condConv2d x [2,4,5,5], experts [2,4,4,3,3], routing [2,2], bias [2,4], padding 1, cpu backend, float32; median of ${REPS} interleaved rounds × ${CALLS} calls (Node ${process.version})`,
);
cases.forEach((c, i) => console.log(`  ${c.tree}: ${c.name}: ${median(samples[i]).toFixed(2)} µs/call`));
if (roots.length === 2) {
  const n = cases.length / 2;
  for (let j = 0; j < n; j++) {
    const ratio = median(samples[n + j].map((v, k) => v / samples[j][k]));
    console.log(`  ${cases[j].name}: this tree / ${roots[0]} = ${ratio.toFixed(3)} (median of per-round ratios)`);
  }
}
