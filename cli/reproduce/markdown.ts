// REPORT.md of the reproduction: claims and verdicts, setup, per-variant table, plots, routing specificity, runs and how to rerun.

import { FAMILY_LABEL, WIDTH_PROBE } from './plan.js';
import { FILES, type Results } from './results.js';
import type { MeanStd, VariantSummary } from './stats.js';

/** The report's section headings, in order (the tests check them). */
export const SECTIONS = ['Claims', 'Setup', 'Results', 'Plots', 'Routing', 'Runs', 'Reproduce'] as const;

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const accText = (m: MeanStd): string => (m.n === 0 ? '–' : `${(100 * m.mean).toFixed(2)}${m.std === null ? '' : ` ± ${(100 * m.std).toFixed(2)}`}`);
const secText = (m: MeanStd): string => (m.n === 0 ? '–' : m.mean.toFixed(1));

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function claimsSection(r: Results): string[] {
  const held = r.claims.filter((c) => c.verdict === 'held').length;
  return [
    `## ${SECTIONS[0]}`,
    '',
    r.claims.length === 0
      ? 'The plan has too few variants to test any claim.'
      : `${r.preset === 'quick' ? 'Quick run: accuracy verdicts need several seeds, so only the MAC claim (arithmetic on the model summary) gets one.' : `${held} of ${r.claims.length} claims held at this scale.`} A verdict needs the difference to exceed two standard errors of the difference of the seed means (${r.settings.seeds.length} seed${r.settings.seeds.length > 1 ? 's' : ''} per variant; a rough rule, not a significance test). "not shown" means within that noise; "contradicted", beyond it the other way.`,
    '',
    ...table(
      ['claim', 'paper', 'measured here', 'verdict'],
      r.claims.map((c) => [c.claim, c.source, c.measured, `**${c.verdict}**`]),
    ),
    '',
  ];
}

function setupSection(r: Results): string[] {
  const s = r.settings;
  const quick =
    s.preset === 'quick'
      ? [
          '> **Quick run** (`--quick`): one seed, two variants, one epoch on the first ' +
            `${s.trainSize} digits of the training split. It checks that the pipeline works; its numbers are not evidence for or against any claim.`,
          '',
        ]
      : [];
  return [
    `## ${SECTIONS[1]}`,
    '',
    ...quick,
    `- Data: real MNIST digits from the \`mnist\` package, the project's fixed split (one permutation by a fixed seed): ${s.trainSize} training digits${s.trainSize < 8000 ? ' (the first of the 8000-digit train split)' : ''} and the same ${s.testSize} test digits for every run; pixels in [0, 1], random shifts of up to ±${s.shift} px in training.`,
    `- Model: MobileNetV1-style (stem 3×3 conv, five depthwise-separable blocks at 28→14→7 px, global pool, FC) at width ${s.width}. CondConv variants convert every block (depthwise and pointwise convs share one router per block, computed from the block input, as in the paper) and the final FC (CondLinear with its own router); the stem stays a plain conv. Every CondConv and DyConv run converts the same layers.`,
    `- Width choice: baselines trained with these settings (seed 1) reached ${WIDTH_PROBE.map((p) => `${(100 * p.testAccuracy).toFixed(2)}% at width ${p.width} (${int(p.params)} params)`).join(' and ')}; width ${s.width} puts the baseline near 97%, well below 100%, leaving room for capacity to matter, within the time budget.`,
    `- Variants: ${r.variants.map((v) => v.label).join('; ')}.${r.wide ? ` The wider baseline's width ${r.wide.width} was searched so that its MACs (${int(r.wide.macs)}) come closest to ${r.wide.targetVariant}'s (${int(r.wide.targetMacs)}).` : ''}${s.dyconvK !== null ? ` DyConv: softmax routing (DyConv's two-layer attention) with the temperature falling 30 → 1 linearly over the first ${s.temperatureEpochs} of ${s.epochs} epochs, set per epoch.` : ''}`,
    `- Training, the same for every run: ${s.epochs} epoch${s.epochs > 1 ? 's' : ''}, Adam lr ${s.lr} with a per-step cosine decay, batch ${s.batchSize}, no weight decay, seeds ${s.seeds.join(', ')} (seeding init, shuffling, shifts and expert dropout). These are the \`condgrad train\` defaults, not tuned for any variant.`,
    `- MACs per image come from the model summary and include CondConv's kernel mixing (K·|W| per image) and the routers (global pool + FC). Parameters count every expert.`,
    `- Timing: training on the wasm backend, ${r.threadsPerRun} thread${r.threadsPerRun > 1 ? 's' : ''} per run, ${r.jobs} run${r.jobs > 1 ? 's' : ''} in parallel on ${r.machine.cores} cores (${r.machine.cpuModel}; ${r.machine.node}) — seconds per epoch include contention with the other parallel runs and anything else on the machine. Batch-1 inference ms per image: measured after training, one variant at a time in one process (wasm, ${r.latency?.threads ?? '?'} thread), on each variant's seed-${s.seeds[0]} initialisation (compute does not depend on the weights), the median of ${s.latency.rounds} rounds of ${s.latency.images} digits after ${s.latency.warmup} warm-up forwards.`,
    '',
  ];
}

/** Notes kept next to the results and shown in the report (markdown bodies). */
export interface ReportNotes {
  /** The findings of cli/reproduce/expert_dropout.ts, from FILES.expertDropout. */
  expertDropout?: string;
}

function resultsSection(r: Results, notes: ReportNotes): string[] {
  const dropout = notes.expertDropout === undefined ? [] : ['### Expert dropout: why it hurts here', '', notes.expertDropout.trim(), ''];
  const base = r.variants.find((v) => v.id === 'baseline');
  const dm = (v: VariantSummary): string =>
    base === undefined || v.id === 'baseline' ? '–' : `${v.macs >= base.macs ? '+' : ''}${(100 * (v.macs / base.macs - 1)).toFixed(1)}%`;
  return [
    `## ${SECTIONS[2]}`,
    '',
    ...table(
      [
        'variant',
        'family',
        'K',
        'params',
        'MACs / image',
        'MACs vs baseline',
        'test acc % (mean ± std)',
        'seeds',
        'train acc %',
        'train s / epoch',
        'img/s',
        'inference ms / image (batch 1)',
      ],
      r.variants.map((v) => [
        v.label,
        FAMILY_LABEL[v.family],
        v.experts === null ? '–' : String(v.experts),
        int(v.params),
        int(v.macs),
        dm(v),
        accText(v.accuracy),
        String(v.accuracy.n),
        accText(v.trainAccuracy),
        secText(v.trainSecondsPerEpoch),
        v.samplesPerSecond.n === 0 ? '–' : int(v.samplesPerSecond.mean),
        v.msPerImage === null ? '–' : v.msPerImage.toFixed(2),
      ]),
    ),
    '',
    'MACs split by kind (per image):',
    '',
    ...table(
      ['variant', ...kinds(r)],
      r.variants.map((v) => [v.label, ...kinds(r).map((k) => (v.macsByKind[k] === undefined ? '–' : int(v.macsByKind[k])))]),
    ),
    '',
    ...dropout,
  ];
}

function kinds(r: Results): string[] {
  return [...new Set(r.variants.flatMap((v) => Object.keys(v.macsByKind)))].sort();
}

function plotsSection(r: Results): string[] {
  const routing = r.routingPlot ? [`![routing weights per class](${FILES.routing})`, ''] : [];
  return [
    `## ${SECTIONS[3]}`,
    '',
    `![accuracy against MACs](${FILES.accuracyMacs})`,
    '',
    `![accuracy against experts](${FILES.accuracyExperts})`,
    '',
    ...routing,
  ];
}

function routingSection(r: Results): string[] {
  const withRouting = r.variants.filter((v) => Object.keys(v.classSpecificity).length > 0);
  const layers = [...new Set(withRouting.flatMap((v) => Object.keys(v.classSpecificity)))];
  const f = (m: MeanStd | undefined): string => (m === undefined || m.n === 0 ? '–' : `${m.mean.toFixed(3)}${m.std === null ? '' : ` ± ${m.std.toFixed(3)}`}`);
  const plot = r.routingPlot
    ? `The heatmap shows run ${r.routingPlot.run}: the mean α per test-digit class of ${r.routingPlot.early} (early, first block) and ${r.routingPlot.late} (late, last block), each with its own colour scale.`
    : 'No CondConv run with two block routers finished, so there is no heatmap.';
  return [
    `## ${SECTIONS[4]}`,
    '',
    `Class specificity of the routing weights: η², the share of the variance of α (over test digits and experts) explained by the digit class — 0 when routes ignore the class, 1 when the class alone sets them. Mean ± std over seeds. ${plot}`,
    '',
    ...(withRouting.length === 0
      ? ['No routed variant finished.']
      : table(
          ['variant', ...layers],
          withRouting.map((v) => [v.label, ...layers.map((l) => f(v.classSpecificity[l]))]),
        )),
    '',
  ];
}

function runsSection(r: Results): string[] {
  const failed =
    r.failed.length === 0
      ? []
      : ['', `**${r.failed.length} run(s) failed** (logs in runs/<id>.log):`, '', ...r.failed.map((f) => `- ${f.id}: ${f.error.split('\n')[0]}`)];
  return [
    `## ${SECTIONS[5]}`,
    '',
    `${r.runs.length} runs finished in ${(r.wallSeconds / 60).toFixed(1)} min wall time (${r.reusedRuns} reused from an earlier invocation's runs/ files). Each run's JSON (config, per-epoch history, routing statistics) is in runs/<id>.json.`,
    '',
    ...table(
      ['run', 'test acc %', 'test loss', 'train s / epoch', 'run wall s'],
      r.runs.map((x) => [x.id, (100 * x.testAccuracy).toFixed(2), x.testLoss.toFixed(4), x.trainSecondsPerEpoch.toFixed(1), x.wallSeconds.toFixed(0)]),
    ),
    ...failed,
    '',
  ];
}

function reproduceSection(r: Results): string[] {
  return [
    `## ${SECTIONS[6]}`,
    '',
    `\`condgrad reproduce${r.preset === 'quick' ? ' --quick' : ''} --jobs <n>\` reruns everything (runs whose runs/<id>.json matches the config are reused unless --fresh is given). Each run is deterministic for its seed; the wasm backend's results do not depend on its thread count. One run alone (seed ${r.settings.seeds[0]}):`,
    '',
    ...r.variants.map((v) => `- ${v.label}: \`${v.command}\``),
    '',
  ];
}

/** The whole REPORT.md. */
export function reportMarkdown(r: Results, notes: ReportNotes = {}): string {
  const title = r.preset === 'quick' ? 'CondConv reproduction on MNIST (quick smoke run)' : 'CondConv reproduction on MNIST: accuracy against experts and MACs';
  return [
    `# ${title}`,
    '',
    `Written ${r.createdAt}. Do CondConv's and DyConv's claims hold for a small MobileNetV1 on real MNIST digits, trained with this engine? Results in ${FILES.results}.`,
    '',
    ...claimsSection(r),
    ...setupSection(r),
    ...resultsSection(r, notes),
    ...plotsSection(r),
    ...routingSection(r),
    ...runsSection(r),
    ...reproduceSection(r),
  ].join('\n');
}
