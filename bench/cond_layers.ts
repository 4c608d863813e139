// Layer-level CondConv bench on wasm: fused path vs the plain layer at one K, forward and forward+backward, on the sweep's
// conv shapes and the zoo models' CondConv layers, with the mixing time and the floor the mixing MACs set.
//
// Run: npx tsx bench/cond_layers.ts [--set sweep|zoo|all] [--threads N] [--experts 8] [--rounds 15] [--only SUBSTRING] [--out DIR]
//
// Each round calls plain then fused (forward, then forward+backward) back to back, so load from other processes
// hits both alike; a row's ratio is the median of its per-round ratios. Every call runs inside tidy() and frees
// the previous call's gradients, as a training step does.

import '../kernels/register.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randn, rand } from '../core/creation.js';
import { noGrad } from '../core/engine.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { conv2dGeometry } from '../kernels/geometry/conv.js';
import { createWasmBackend, type WasmBackend } from '../kernels/wasm/backend.js';
import { condConv2d, condLinear } from '../ops/cond_conv.js';
import { condConv1d } from '../ops/cond_conv1d.js';
import { mixExperts } from '../ops/cond_mix.js';
import { conv2d } from '../ops/conv.js';
import { conv1d } from '../ops/conv1d.js';
import { matmul } from '../ops/matmul.js';
import { flagNumber, flagString } from './model/flags.js';
import { fileTimestamp, machineInfo } from './report/json.js';
import { markdownTable } from './report/table.js';
import { median } from './report/timing.js';
import { winogradPasses, type PassMultiplies } from './report/winograd_passes.js';

/** One layer: x [B, C, H, H] (2-d), [B, C, L = H] (1-d) or [B, C] (linear); k×k kernels, stride s; depthwise has groups = C = O. */
interface Layer {
  name: string;
  kind: '2d' | '1d' | 'linear';
  B: number;
  C: number;
  H: number;
  O: number;
  k: number;
  s: number;
  depthwise: boolean;
}

const conv = (name: string, B: number, C: number, H: number, O: number, k: number, s = 1, depthwise = false): Layer => ({
  name,
  kind: '2d',
  B,
  C,
  H,
  O,
  k,
  s,
  depthwise,
});
const dw = (name: string, B: number, C: number, H: number, s = 1): Layer => conv(name, B, C, H, C, 3, s, true);

/** The sweep's conv shapes (bench/report/sweep.ts, B = 8) and the peer table's two others (bench/peers/condconv.ts). */
const SWEEP: Layer[] = [
  conv('conv3x3 B8 C64 32² O64', 8, 64, 32, 64, 3),
  conv('conv3x3 B32 C32 16² O32', 32, 32, 16, 32, 3),
  conv('conv1x1 B8 C128 16² O128', 8, 128, 16, 128, 1),
  dw('dw3x3 B8 C128 32²', 8, 128, 32),
  conv('conv3x3 B1 C64 56² O64', 1, 64, 56, 64, 3),
  { name: 'conv1d k3 B8 C64 L1024 O64', kind: '1d', B: 8, C: 64, H: 1024, O: 64, k: 3, s: 1, depthwise: false },
];

/** The CondConv layers of the zoo models at batch 64 on 28×28 MNIST (nn/models: cnn's stages, mobilenet-v1's blocks, seq-cnn's stages, a classifier head). */
const ZOO: Layer[] = [
  conv('cnn conv3x3 C1 28² O16', 64, 1, 28, 16, 3),
  conv('cnn conv3x3 C16 14² O32', 64, 16, 14, 32, 3),
  conv('cnn conv3x3 C32 7² O64', 64, 32, 7, 64, 3),
  dw('mobilenet-v1 dw C16 28²', 64, 16, 28),
  conv('mobilenet-v1 pw C16 28² O32', 64, 16, 28, 32, 1),
  dw('mobilenet-v1 dw C32 28² s2', 64, 32, 28, 2),
  conv('mobilenet-v1 pw C32 14² O64', 64, 32, 14, 64, 1),
  dw('mobilenet-v1 dw C64 14²', 64, 64, 14),
  conv('mobilenet-v1 pw C64 14² O64', 64, 64, 14, 64, 1),
  dw('mobilenet-v1 dw C64 14² s2', 64, 64, 14, 2),
  conv('mobilenet-v1 pw C64 7² O128', 64, 64, 7, 128, 1),
  dw('mobilenet-v1 dw C128 7²', 64, 128, 7),
  conv('mobilenet-v1 pw C128 7² O128', 64, 128, 7, 128, 1),
  { name: 'seq-cnn conv1d k3 C32 L28 O64', kind: '1d', B: 64, C: 32, H: 28, O: 64, k: 3, s: 1, depthwise: false },
  { name: 'seq-cnn conv1d k3 C64 L14 O64', kind: '1d', B: 64, C: 64, H: 14, O: 64, k: 3, s: 1, depthwise: false },
  { name: 'head linear 128→10', kind: 'linear', B: 64, C: 128, H: 1, O: 10, k: 1, s: 1, depthwise: false },
];

/** Output pixels (positions) per sample. */
function outPixels(l: Layer): number {
  if (l.kind === 'linear') return 1;
  const side = Math.floor((l.H + 2 * Math.floor(l.k / 2) - l.k) / l.s) + 1;
  return l.kind === '1d' ? side : side * side;
}

/** Multiplies per MAC of the plain layer's three passes on wasm (Winograd counted; 1-d and linear layers: 1). */
function passesOf(l: Layer): PassMultiplies {
  if (l.kind !== '2d') return { forward: 1, inputGrad: 1, filterGrad: 1 };
  const opts = { padding: Math.floor(l.k / 2), stride: l.s, groups: l.depthwise ? l.C : 1 };
  return winogradPasses(conv2dGeometry('conv2d', [l.B, l.C, l.H, l.H], [l.O, l.depthwise ? 1 : l.C, l.k, l.k], opts));
}

interface Calls {
  plainF: () => void;
  fusedF: () => void;
  plainFB: () => void;
  fusedFB: () => void;
  mixF: () => void;
}

function callsOf(l: Layer, K: number, be: WasmBackend): Calls {
  const cg = l.depthwise ? 1 : l.C;
  const common = { dtype: 'float32' as const, backend: be, requiresGrad: true };
  const xShape = l.kind === '2d' ? [l.B, l.C, l.H, l.H] : l.kind === '1d' ? [l.B, l.C, l.H] : [l.B, l.C];
  const wShape = l.kind === '2d' ? [l.O, cg, l.k, l.k] : l.kind === '1d' ? [l.O, cg, l.k] : [l.O, l.C];
  const fan = wShape.slice(1).reduce((a, b) => a * b, 1);
  const x = randn(xShape, { ...common, seed: 1 });
  const w = randn(wShape, { ...common, seed: 2, std: 1 / Math.sqrt(fan) });
  const experts = randn([K, ...wShape], { ...common, seed: 3, std: 1 / Math.sqrt(fan) });
  const routing = rand([l.B, K], { ...common, seed: 4 });
  const opts = { padding: Math.floor(l.k / 2), stride: l.s, groups: l.depthwise ? l.C : 1 };
  let plain: () => Tensor, fused: () => Tensor;
  if (l.kind === '2d') {
    plain = () => conv2d(x, w, null, opts);
    fused = () => condConv2d(x, experts, routing, null, { ...opts, path: 'fused' });
  } else if (l.kind === '1d') {
    plain = () => conv1d(x, w, null, { padding: 'same' });
    fused = () => condConv1d(x, experts, routing, null, { padding: 'same', path: 'fused' });
  } else {
    // CondLinear: the path auto picks (moe for a layer this shape), against one Linear matmul.
    plain = () => matmul(x, w, { transB: true });
    fused = () => condLinear(x, experts, routing, null);
  }
  const dy = tidy(() => randn(noGrad(plain).shape, { dtype: 'float32', backend: be, seed: 5 }));
  const params = [x, w, experts, routing];
  const fb = (f: () => Tensor) => () => {
    for (const p of params) {
      p.grad?.dispose();
      p.grad = null;
    }
    tidy(() => f().backward(dy));
  };
  const fwd = (f: () => Tensor) => () => tidy(() => void noGrad(f));
  return { plainF: fwd(plain), fusedF: fwd(fused), plainFB: fb(plain), fusedFB: fb(fused), mixF: fwd(() => mixExperts(routing, experts)) };
}

interface Row {
  layer: string;
  batch: number;
  plainForwardMs: number;
  fusedForwardRatio: number;
  plainBackwardMs: number;
  fusedForwardBackwardRatio: number;
  mixForwardMs: number;
  /** (P + K) / P: fused over plain if mixing ran at the conv's speed per MAC (P output pixels per sample). */
  floor: number;
  /** The forward's floor with the plain conv's multiplies as wasm runs them: (P·f + K) / (P·f), f its multiplies per MAC. */
  floorForward: number;
  /** The same over a training step's three passes, against mixing's three (forward, dExperts, dα). */
  floorForwardBackward: number;
}

function measure(l: Layer, K: number, be: WasmBackend, rounds: number): Row {
  const c = callsOf(l, K, be);
  const all = Object.values(c) as (() => void)[];
  for (let i = 0; i < 2; i++) for (const f of all) f();
  const time = (f: () => void): number => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const t = { pF: [] as number[], fF: [] as number[], pFB: [] as number[], fFB: [] as number[], mix: [] as number[], rF: [] as number[], rFB: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    const pF = time(c.plainF),
      fF = time(c.fusedF),
      pFB = time(c.plainFB),
      fFB = time(c.fusedFB);
    t.pF.push(pF);
    t.fF.push(fF);
    t.pFB.push(pFB);
    t.fFB.push(fFB);
    t.rF.push(fF / pF);
    t.rFB.push(fFB / pFB);
    t.mix.push(time(c.mixF));
  }
  const P = outPixels(l);
  const m = passesOf(l),
    step = m.forward + m.inputGrad + m.filterGrad;
  return {
    layer: l.name,
    batch: l.B,
    plainForwardMs: median(t.pF),
    fusedForwardRatio: median(t.rF),
    plainBackwardMs: median(t.pFB),
    fusedForwardBackwardRatio: median(t.rFB),
    mixForwardMs: median(t.mix),
    floor: (P + K) / P,
    floorForward: (P * m.forward + K) / (P * m.forward),
    floorForwardBackward: (P * step + 3 * K) / (P * step),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const set = flagString(argv, 'set', 'all');
  if (!['sweep', 'zoo', 'all'].includes(set)) throw new Error(`--set must be sweep, zoo or all, got '${set}'`);
  const threads = flagNumber(argv, 'threads', 1);
  const K = flagNumber(argv, 'experts', 8);
  const rounds = flagNumber(argv, 'rounds', 15);
  const only = flagString(argv, 'only', '');
  const outDir = flagString(argv, 'out', 'bench-results');
  const load0 = os.loadavg();
  const be = await createWasmBackend({ threads });
  const layers = [...(set === 'zoo' ? [] : SWEEP), ...(set === 'sweep' ? [] : ZOO)].filter((l) => l.name.includes(only));
  const rows: Row[] = [];
  for (const l of layers) {
    const r = measure(l, K, be, rounds);
    rows.push(r);
    process.stderr.write(`${l.name}: fused/plain forward ${r.fusedForwardRatio.toFixed(2)}, forward+backward ${r.fusedForwardBackwardRatio.toFixed(2)}\n`);
  }
  await be.destroy();
  const load1 = os.loadavg();
  const f2 = (v: number): string => v.toFixed(2);
  console.log(`# CondConv layers, fused vs plain, K = ${K}, wasm ${threads} thread(s), ${rounds} interleaved rounds`);
  console.log(
    `\nLoad average ${load0.map(f2).join(' ')} at start, ${load1.map(f2).join(' ')} at the end; ${os.cpus()[0]?.model ?? ''}, node ${process.version}.`,
  );
  console.log(
    'Ratios: median of per-round fused/plain. floor: (P + K) / P, the ratio if mixing (B·K·|W| MACs) ran as fast per MAC as the conv (B·P·|W|).' +
      ' Winograd floors: the same with the plain conv counted at the multiplies wasm runs (1/4 under F(4x4,3x3), 1/2.25 under F(2x2,3x3)), forward and over the three passes.\n',
  );
  console.log(
    markdownTable(
      [
        'layer',
        'plain fwd ms',
        'fused/plain fwd',
        'plain fwd+bwd ms',
        'fused/plain fwd+bwd',
        'mixing fwd ms',
        'floor',
        'Winograd floor fwd',
        'Winograd floor fwd+bwd',
      ],
      rows.map((r) => [
        r.layer,
        f2(r.plainForwardMs),
        `${f2(r.fusedForwardRatio)}×`,
        f2(r.plainBackwardMs),
        `${f2(r.fusedForwardBackwardRatio)}×`,
        f2(r.mixForwardMs),
        `${f2(r.floor)}×`,
        `${f2(r.floorForward)}×`,
        `${f2(r.floorForwardBackward)}×`,
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `cond-layers-${threads}thr-${fileTimestamp(new Date())}.json`);
  fs.writeFileSync(file, JSON.stringify({ machine: machineInfo(), threads, K, rounds, loadStart: load0, loadEnd: load1, rows }, null, 2));
  console.log(`\nJSON: ${file}`);
}

await main();
