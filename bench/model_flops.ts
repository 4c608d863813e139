// Bench: the FLOP floor of CondConv at model level: each zoo model's training MACs, plain against every stage CondConv (conv + mixing + routing), and the best throughput ratio those counts allow.
// Run: npx tsx bench/model_flops.ts [--experts 8] [--width 1]

import '../kernels/register.js';
import { conv2dGeometry } from '../kernels/geometry/conv.js';
import { MODEL_NAMES, createModel } from '../nn/models/index.js';
import { flagNumber } from './model/flags.js';
import { markdownTable } from './report/table.js';
import { winogradPasses } from './report/winograd_passes.js';

const argv = process.argv.slice(2);
const K = flagNumber(argv, 'experts', 8);
const WIDTH = flagNumber(argv, 'width', 1);

/**
 * A training step costs about 3x the forward MACs: a conv's forward, input and filter gradients
 * are one pass each, and so are mixing's forward (W_b = Σ α W_k) and its two backward products
 * (dExperts = αᵀ dW, dα = dW Eᵀ). So the ratio floor is plain / (plain-twin convs + mixing +
 * routing), all per sample; with mixing ideal at conv speed, a model cannot beat it.
 */
function kinds(convert: 'none' | 'all'): { macs: Record<string, number>; winograd: number; saved: number } {
  const m = createModel(name, convert === 'none' ? { convert, width: WIDTH } : { convert, experts: K, width: WIDTH });
  const s = m.summary(m.inputShape);
  let winograd = 0,
    saved = 0;
  for (const r of s.rows) {
    const w = winogradMacs(r.inputShape, r.outputShape, r.macsByKind.conv ?? 0);
    winograd += w.macs;
    saved += w.saved;
  }
  return { macs: s.macsByKind, winograd, saved };
}

/** Batch of the geometry the Winograd tile is chosen on (the model benches' default). */
const CHOICE_BATCH = 64;

/**
 * The conv MACs of a row that the wasm backend runs as Winograd (3x3 taps, stride 1, >= 8 channels each side; see
 * conv_choice.ts), and the multiplies it saves over a training step's three passes: F(4x4,3x3) runs a pass in 1/4
 * of its MACs, F(2x2,3x3) in 1/2.25 (winogradPasses).
 */
function winogradMacs(x: readonly number[], y: readonly number[], conv: number): { macs: number; saved: number } {
  if (conv === 0 || x.length !== 4 || y.length !== 4) return { macs: 0, saved: 0 };
  const taps = conv / (y[1] * y[2] * y[3] * x[1]);
  if (!(taps === 9 && x[2] === y[2] && x[3] === y[3] && x[1] >= 8 && y[1] >= 8)) return { macs: 0, saved: 0 };
  const g = conv2dGeometry('conv2d', [CHOICE_BATCH, x[1], x[2], x[3]], [y[1], x[1], 3, 3], { padding: 1 });
  const p = winogradPasses(g);
  const kept = (p.forward + p.inputGrad + p.filterGrad) / 3;
  return { macs: conv, saved: conv * (1 - kept) };
}

let name = MODEL_NAMES[0];
const rows: string[][] = [];
for (name of MODEL_NAMES) {
  const { macs: plain, winograd, saved } = kinds('none'),
    { macs: cond } = kinds('all');
  const sum = (r: Record<string, number>, ks: string[]): number => ks.reduce((a, k) => a + (r[k] ?? 0), 0);
  const p = sum(plain, ['conv', 'linear', 'pool', 'routing', 'mixing']);
  const work = sum(cond, ['conv', 'linear', 'pool']);
  const mix = cond.mixing ?? 0,
    route = cond.routing ?? 0;
  const f = (n: number): string => `${(n / 1e6).toFixed(2)}M`;
  // Winograd does the same conv in fewer multiplies; mixing has no such shortcut.
  const w = saved;
  rows.push([
    name,
    f(p),
    f(work),
    f(mix),
    f(route),
    `${((100 * mix) / work).toFixed(1)} %`,
    `${(p / (work + mix + route)).toFixed(3)}×`,
    `${((100 * winograd) / p).toFixed(0)} %`,
    `${((p - w) / (work - w + mix + route)).toFixed(3)}×`,
  ]);
}
console.log(`# FLOP floor of CondConv training, K = ${K}, width ${WIDTH}: forward MACs per sample (a training step is about 3x each)\n`);
console.log(
  markdownTable(
    ['model', 'plain', 'CondConv convs', 'mixing', 'routing', 'mixing / convs', 'floor: K / plain', 'Winograd share', 'floor with Winograd'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  ),
);
console.log(
  `\nfloor = plain / (convs + mixing + routing) with every MAC at one speed; 'with Winograd' counts the 3x3 stride-1 convs the wasm backend runs as Winograd at 1/4 (F(4x4,3x3)) or 1/2.25 (F(2x2,3x3), and the filter gradients conv_choice.ts runs as Winograd) of their MACs per pass (mixing has no such shortcut).`,
);
