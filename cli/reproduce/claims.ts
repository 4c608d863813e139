// The papers' claims checked against the measured summaries, each with the numbers behind it and a verdict.

import type { Settings } from './plan.js';
import { difference, meanStd, type MeanStd, type VariantSummary } from './stats.js';

/**
 * held: the measured difference has the claimed sign and exceeds 2 standard errors of the
 * difference; contradicted: the opposite sign beyond 2 SE; not shown: within 2 SE either way;
 * no verdict: a single seed (no spread to judge by) or missing runs.
 */
export type Verdict = 'held' | 'not shown' | 'contradicted' | 'no verdict';

export interface Claim {
  id: string;
  /** The claim as the papers make it. */
  claim: string;
  source: string;
  /** What this run measured, in words and numbers. */
  measured: string;
  verdict: Verdict;
}

/** The 2-SE rule of Verdict applied to a difference (claimed to be positive). */
export function judge(diff: number, se: number | null): Verdict {
  if (se === null || !Number.isFinite(diff)) return 'no verdict';
  if (diff > 2 * se) return 'held';
  if (diff < -2 * se) return 'contradicted';
  return 'not shown';
}

const pts = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)} pts`;
const pct = (m: MeanStd): string => (m.n === 0 ? 'no runs' : `${(100 * m.mean).toFixed(2)}%${m.std === null ? '' : ` ± ${(100 * m.std).toFixed(2)}`}`);
const seText = (se: number | null): string => (se === null ? 'one seed, no SE' : `SE ${(100 * se).toFixed(2)} pts`);

/** The routers drawn and compared as early and late: the first and last block routers (the classifier's router is not a conv). */
export function earlyLate(layers: readonly string[]): { early: string; late: string } | null {
  const blocks = layers.filter((l) => l.startsWith('blocks.'));
  return blocks.length < 2 ? null : { early: blocks[0], late: blocks[blocks.length - 1] };
}

/** The CondConv variant the headline claims and the routing plot use: K = wideMatchK, else the largest K. */
export function headlineK(s: Settings): number {
  return s.wideMatchK ?? Math.max(...s.Ks);
}

function compareClaim(id: string, claim: string, source: string, a: VariantSummary | undefined, b: VariantSummary | undefined): Claim | null {
  if (a === undefined || b === undefined) return null;
  if (a.accuracy.n === 0 || b.accuracy.n === 0)
    return { id, claim, source, measured: `missing runs (${a.label}: ${a.accuracy.n}, ${b.label}: ${b.accuracy.n})`, verdict: 'no verdict' };
  const { diff, se } = difference(a.accuracy, b.accuracy);
  return {
    id,
    claim,
    source,
    measured: `${a.label} ${pct(a.accuracy)} vs ${b.label} ${pct(b.accuracy)}: ${pts(diff)} (${seText(se)})`,
    verdict: judge(diff, se),
  };
}

function macsClaim(k: VariantSummary, base: VariantSummary): Claim {
  const extra = k.macs / base.macs - 1;
  const split = Object.entries(k.macsByKind)
    .filter(([kind]) => kind === 'mixing' || kind === 'routing')
    .map(([kind, v]) => `${kind} ${Math.round(v).toLocaleString('en-US')}`)
    .join(', ');
  return {
    id: 'condconv-macs',
    claim: 'CondConv costs only a few percent more MACs than the baseline (taken here as at most +10%).',
    source: 'CondConv: MobileNetV1 567M → 600M multiply-adds at 8 experts (+5.8%)',
    measured: `${k.label} ${Math.round(k.macs).toLocaleString('en-US')} vs baseline ${Math.round(base.macs).toLocaleString('en-US')} MACs per image: ${extra >= 0 ? '+' : ''}${(100 * extra).toFixed(1)}% (${split}); params ×${(k.params / base.params).toFixed(1)}`,
    verdict: extra <= 0.1 ? 'held' : 'contradicted',
  };
}

function expertsClaim(s: Settings, byId: Map<string, VariantSummary>): Claim | null {
  const ks = s.Ks.filter((K) => (byId.get(`condconv-k${K}`)?.accuracy.n ?? 0) > 0);
  if (ks.length < 3) return null;
  const acc = (K: number): MeanStd => byId.get(`condconv-k${K}`)!.accuracy;
  const best = ks.reduce((a, K) => (acc(K).mean > acc(a).mean ? K : a), ks[0]);
  const first = ks[0];
  const { diff, se } = difference(acc(best), acc(first));
  const series = ks.map((K) => `K=${K} ${pct(acc(K))}`).join(', ');
  let verdict = best === first ? judge(acc(ks[ks.length - 1]).mean - acc(first).mean, difference(acc(ks[ks.length - 1]), acc(first)).se) : judge(diff, se);
  if (best === first && verdict === 'held') verdict = 'not shown';
  return {
    id: 'accuracy-vs-experts',
    claim: 'Accuracy rises with the number of experts, up to a point.',
    source: 'CondConv: accuracy grows from 1 to 8–32 experts, with diminishing returns',
    measured: `${series}; peak at K=${best}, ${pts(diff)} over K=${first} (${seText(se)})${best < ks[ks.length - 1] ? `; beyond the peak K=${ks[ks.length - 1]} is ${pts(acc(ks[ks.length - 1]).mean - acc(best).mean)}` : ''}`,
    verdict,
  };
}

function routingClaim(v: VariantSummary | undefined): Claim | null {
  if (v === undefined) return null;
  const el = earlyLate(Object.keys(v.classSpecificity));
  if (el === null) return null;
  const early = v.classSpecificity[el.early];
  const late = v.classSpecificity[el.late];
  const paired = meanStd(late.values.map((x, i) => x - early.values[i]));
  const se = paired.std === null ? null : paired.std / Math.sqrt(paired.n);
  const f = (m: MeanStd): string => `${m.mean.toFixed(3)}${m.std === null ? '' : ` ± ${m.std.toFixed(3)}`}`;
  return {
    id: 'routing-class-specific',
    claim: 'Routing weights are class-specific in deep layers and much less so in early layers.',
    source: 'CondConv, Figure 5 (mean routing weights per class, layers 12 and 26 and the FC)',
    measured: `${v.label}: share of α's variance explained by the class (η²) ${f(early)} in ${el.early} vs ${f(late)} in ${el.late} (paired difference ${paired.mean >= 0 ? '+' : ''}${paired.mean.toFixed(3)}${se === null ? ', one seed' : `, SE ${se.toFixed(3)}`})`,
    verdict: judge(paired.mean, se),
  };
}

/** Every claim the plan's variants can test (the quick plan tests few and judges none: one seed). */
export function evaluateClaims(s: Settings, vs: readonly VariantSummary[]): Claim[] {
  const byId = new Map(vs.map((v) => [v.id, v]));
  const K = headlineK(s);
  const base = byId.get('baseline');
  const cond = byId.get(`condconv-k${K}`);
  const out: (Claim | null)[] = [
    compareClaim(
      'condconv-accuracy',
      `Replacing the convolutions with CondConv (K=${K}) raises accuracy over the baseline (by 1 to several points).`,
      'CondConv: MobileNetV1 71.9% → 73.7% top-1 on ImageNet (+1.8) at 8 experts',
      cond,
      base,
    ),
    cond && base ? macsClaim(cond, base) : null,
    expertsClaim(s, byId),
    compareClaim(
      'condconv-vs-wider',
      `At equal MACs, CondConv K=${K} beats a wider plain model.`,
      'CondConv, Figure 3 (accuracy against MACs: CondConv above the width-scaled baselines)',
      cond,
      byId.get('wide'),
    ),
    s.dyconvK === null
      ? null
      : compareClaim(
          'dyconv-accuracy',
          `Dynamic convolution (softmax routing, T annealed 30 → 1, K=${s.dyconvK}) raises accuracy over the baseline.`,
          'DyConv: MobileNetV3-Small +2.9 top-1 on ImageNet for 4% more FLOPs (K=4)',
          byId.get(`dyconv-k${s.dyconvK}`),
          base,
        ),
    s.dyconvK === null
      ? null
      : compareClaim(
          'dyconv-vs-condconv',
          `Softmax routing with temperature annealing does at least as well as CondConv's sigmoid routing at K=${s.dyconvK}.`,
          'DyConv credits its two training choices, attention summing to one and near-uniform attention early (T from 30), for training dynamic kernels well',
          byId.get(`dyconv-k${s.dyconvK}`),
          byId.get(`condconv-k${s.dyconvK}`),
        ),
    s.dropout === null
      ? null
      : compareClaim(
          'expert-dropout',
          `Expert dropout (p=${s.dropout.p}) on the routing weights helps CondConv at K=${s.dropout.K}.`,
          'a question of this study, not a headline claim of either paper',
          byId.get(`condconv-k${s.dropout.K}-drop`),
          byId.get(`condconv-k${s.dropout.K}`),
        ),
    routingClaim(cond),
  ];
  return out.filter((c): c is Claim => c !== null);
}
