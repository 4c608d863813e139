// Reproduction tests: the quick run through child processes into a temp dir (results.json keys, REPORT.md sections, SVG series), reuse of finished runs, determinism, and the helpers' rules.

import '../../kernels/register.js';
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, setBackend } from '../../core/engine.js';
import { createWasmBackend } from '../../kernels/wasm/backend.js';
import { buildWasm } from '../../kernels/wasm/build.mjs';
import { earlyLate, judge } from '../../cli/reproduce/claims.js';
import { matchWidth, modelCost } from '../../cli/reproduce/cost.js';
import { runReproduction } from '../../cli/reproduce/experiment.js';
import { SECTIONS } from '../../cli/reproduce/markdown.js';
import { QUICK, runSpecs, variants, FULL } from '../../cli/reproduce/plan.js';
import { MARK } from '../../cli/reproduce/plots.js';
import { runPool, type WorkerCommand } from '../../cli/reproduce/pool.js';
import { FILES, type Results } from '../../cli/reproduce/results.js';
import { meanStd } from '../../cli/reproduce/stats.js';
import { executeRun, type RunResult } from '../../cli/reproduce/worker.js';

const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
/** Children run the TypeScript CLI through tsx, as this test process does. */
const WORKER: WorkerCommand = { command: process.execPath, args: ['--import', 'tsx', CLI, 'reproduce', '--worker'] };

/** The `series: …` of every point drawn in the SVG's `<mark>_marks` group. */
function pointSeries(svg: string, mark: string): string[] {
  const group = svg.match(new RegExp(`<g class="mark-symbol role-mark ${mark}_marks"[^>]*>(.*?)</g>`, 's'))?.[1] ?? '';
  return [...group.matchAll(/<path aria-label="[^"]*\bseries: ([^;"]+)[;"][^>]*aria-roledescription="point"/g)].map((m) => m[1]);
}

function legendLabels(svg: string): string[] {
  return [...svg.matchAll(/<g class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

describe('reproduce: quick run through child processes (baseline and CondConv K=4, 1 seed, 1 epoch, 4000 digits)', function () {
  this.timeout(240000);
  let dir = '';
  let results: Results;
  let files: string[] = [];

  before(async () => {
    await buildWasm({ quiet: true });
    dir = mkdtempSync(join(tmpdir(), 'condgrad-reproduce-'));
    ({ results, files } = await runReproduction({ settings: QUICK, jobs: 2, outDir: dir, worker: WORKER }));
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('writes results.json, REPORT.md and three SVG plots; no run failed', () => {
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).to.deep.equal(
      [FILES.accuracyExperts, FILES.accuracyMacs, FILES.report, FILES.results, FILES.routing].sort(),
    );
    for (const f of files) expect(existsSync(f), f).to.equal(true);
    expect(results.failed).to.deep.equal([]);
  });

  it('results.json: format, settings, variants with cost and accuracy, runs with history and routing, claims, latency', () => {
    const r = JSON.parse(readFileSync(join(dir, FILES.results), 'utf8')) as Results;
    expect(r).to.include.all.keys(
      'format',
      'version',
      'preset',
      'createdAt',
      'machine',
      'jobs',
      'threadsPerRun',
      'wallSeconds',
      'reusedRuns',
      'settings',
      'wide',
      'variants',
      'claims',
      'routingPlot',
      'latency',
      'runs',
      'failed',
    );
    expect([r.format, r.version, r.preset, r.jobs, r.reusedRuns, r.wide]).to.deep.equal(['condgrad-reproduction', 1, 'quick', 2, 0, null]);
    expect(r.settings).to.deep.equal(QUICK);
    expect(r.variants.map((v) => v.id)).to.deep.equal(['baseline', 'condconv-k4']);
    const [base, cond] = r.variants;
    expect(base).to.include.all.keys(
      'params',
      'macs',
      'macsByKind',
      'accuracy',
      'trainSecondsPerEpoch',
      'samplesPerSecond',
      'msPerImage',
      'classSpecificity',
      'command',
    );
    expect([base.params, base.macs]).to.deep.equal([10634, modelCost(base).macs]);
    expect(cond.macs).to.equal(modelCost(cond).macs);
    expect(cond.macsByKind).to.include.all.keys('conv', 'mixing', 'routing');
    for (const v of r.variants) {
      expect(v.accuracy.n).to.equal(1);
      expect(v.accuracy.std).to.equal(null);
      expect(v.accuracy.mean).to.be.within(0, 1);
      expect(v.msPerImage).to.be.greaterThan(0);
      expect(v.trainSecondsPerEpoch.mean).to.be.greaterThan(0);
    }
    expect(r.runs.map((x) => [x.id, x.history.length, x.history[0].steps, x.backend, x.threads])).to.have.deep.members([
      ['baseline-s1', 1, 63, 'wasm', 1],
      ['condconv-k4-s1', 1, 63, 'wasm', 1],
    ]);
    const run = r.runs.find((x) => x.id === 'condconv-k4-s1')!;
    expect(run.routing.map((x) => x.layer)).to.deep.equal([
      'blocks.0.router',
      'blocks.1.router',
      'blocks.2.router',
      'blocks.3.router',
      'blocks.4.router',
      'head.fc.router',
    ]);
    for (const s of run.routing) {
      expect(s.classMeans).to.have.length(10);
      for (const row of s.classMeans) {
        expect(row).to.have.length(4);
        for (const a of row) expect(a).to.be.within(0, 1);
      }
      expect(s.classCounts.reduce((a, b) => a + b, 0)).to.equal(2000);
      expect(s.classSpecificity).to.be.within(0, 1);
    }
    expect(r.runs.find((x) => x.id === 'baseline-s1')!.routing).to.deep.equal([]);
    expect(r.routingPlot).to.deep.equal({ run: 'condconv-k4-s1', early: 'blocks.0.router', late: 'blocks.4.router' });
    expect(r.claims.map((c) => [c.id, c.verdict])).to.deep.equal([
      ['condconv-accuracy', 'no verdict'],
      ['condconv-macs', 'held'],
      ['routing-class-specific', 'no verdict'],
    ]);
    expect(Object.keys(r.latency!.variants)).to.deep.equal(['baseline', 'condconv-k4']);
  });

  it('REPORT.md: title, the sections in order, the quick-run notice, one table row per variant, plot links', () => {
    const md = readFileSync(join(dir, FILES.report), 'utf8');
    expect(md.startsWith('# CondConv reproduction on MNIST (quick smoke run)')).to.equal(true);
    const heads = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(heads).to.deep.equal([...SECTIONS]);
    expect(md).to.include('**Quick run**');
    expect(md).to.include('first 4000 digits of the training split');
    expect(md).to.match(/^\| baseline w=0\.5 \| baseline \| – \| 10,634 \| 946,144 \|/m);
    expect(md).to.match(/^\| CondConv K=4 \| CondConv \(sigmoid\) \| 4 \| 41,000 \|/m);
    for (const f of [FILES.accuracyMacs, FILES.accuracyExperts, FILES.routing]) expect(md).to.include(`](${f})`);
    expect(md).to.include('`condgrad train --model mobilenet-v1 --width 0.5 --experts 4 --convert all');
  });

  it('accuracy-vs-macs.svg: one point per variant, the CondConv line, labels and a legend of both series', () => {
    const svg = readFileSync(join(dir, FILES.accuracyMacs), 'utf8');
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(pointSeries(svg, MARK.points)).to.have.members(['baseline', 'CondConv (sigmoid)']);
    expect(svg).to.include(`${MARK.condconvLine}_marks`);
    expect(svg).to.include(`${MARK.labels}_marks`);
    expect(legendLabels(svg)).to.deep.equal(['baseline', 'CondConv (sigmoid)']);
  });

  it('accuracy-vs-experts.svg: the CondConv point at K=4 and the baseline as a reference rule', () => {
    const svg = readFileSync(join(dir, FILES.accuracyExperts), 'utf8');
    expect(pointSeries(svg, MARK.points)).to.deep.equal(['CondConv (sigmoid)']);
    const rules = svg.match(new RegExp(`<g class="mark-rule role-mark ${MARK.referenceRules}_marks"[^>]*>(.*?)</g>`, 's'))?.[1] ?? '';
    expect([...rules.matchAll(/aria-roledescription="rule mark"/g)]).to.have.length(1);
    expect(legendLabels(svg)).to.deep.equal(['baseline', 'CondConv (sigmoid)']);
  });

  it('routing-per-class.svg: an early and a late panel of 10 classes × 4 experts', () => {
    const svg = readFileSync(join(dir, FILES.routing), 'utf8');
    const groups = [...svg.matchAll(new RegExp(`<g class="mark-rect role-mark ${MARK.routingCells}_marks"[^>]*>(.*?)</g>`, 'gs'))];
    expect(groups).to.have.length(2);
    for (const g of groups) expect([...g[1].matchAll(/aria-roledescription="rect mark"/g)]).to.have.length(40);
    expect(svg).to.match(/early: blocks\.0\.router \(η² 0\.\d{3}\)/);
    expect(svg).to.match(/late: blocks\.4\.router \(η² 0\.\d{3}\)/);
  });

  it('a second invocation reuses the finished runs (same numbers, no training)', async () => {
    const again = await runReproduction({ settings: QUICK, jobs: 2, outDir: dir, worker: WORKER });
    expect(again.results.reusedRuns).to.equal(2);
    expect(again.results.runs.map((x) => x.testAccuracy)).to.deep.equal(results.runs.map((x) => x.testAccuracy));
  });
});

describe('reproduce: one run is deterministic for its seed (wasm, 1 and 2 threads)', function () {
  this.timeout(120000);

  it('CondConv K=2 w=0.5, 256 training digits, 1 epoch: identical accuracy, losses and routing', async () => {
    await buildWasm({ quiet: true });
    const s = { ...QUICK, Ks: [2], trainSize: 256 };
    const spec = runSpecs(s, variants(s, null), () => 0).find((x) => x.variant === 'condconv-k2')!;
    const out: RunResult[] = [];
    const prev = getBackend();
    for (const threads of [1, 2]) {
      const b = await createWasmBackend({ threads });
      setBackend(b);
      try {
        out.push(await executeRun(spec, threads));
      } finally {
        setBackend(prev);
        await b.destroy();
      }
    }
    const strip = (r: RunResult): unknown => ({ acc: r.testAccuracy, loss: r.testLoss, train: r.history.map((h) => h.trainLoss), routing: r.routing });
    expect(strip(out[0])).to.deep.equal(strip(out[1]));
    expect(out[0].history).to.have.length(1);
    expect(out[0].history[0].steps).to.equal(4);
  });
});

describe('reproduce: plan, cost, statistics and verdict rules', () => {
  it('the full plan: 9 variants × 3 seeds, the costliest first, every CondConv converting the same layers', () => {
    const vs = variants(FULL, 0.532);
    expect(vs.map((v) => v.id)).to.deep.equal([
      'baseline',
      'condconv-k1',
      'condconv-k2',
      'condconv-k4',
      'condconv-k8',
      'condconv-k16',
      'dyconv-k4',
      'wide',
      'condconv-k8-drop',
    ]);
    const specs = runSpecs(FULL, vs, (v) => (v.experts ?? 0) + (v.family === 'wide' ? 8.5 : 0));
    expect(specs).to.have.length(27);
    expect(specs.slice(0, 3).map((x) => x.id)).to.deep.equal(['condconv-k16-s1', 'condconv-k16-s2', 'condconv-k16-s3']);
    expect(new Set(specs.filter((x) => x.config.convert !== 'none').map((x) => x.config.convert))).to.deep.equal(new Set(['all']));
    expect(
      new Set(specs.map((x) => JSON.stringify([x.config.epochs, x.config.lr, x.config.optimizer, x.config.schedule, x.config.batchSize, x.config.trainSize]))),
    ).to.have.property('size', 1);
    const dy = specs.find((x) => x.variant === 'dyconv-k4')!;
    expect([dy.config.routing, dy.config.temperatureEpochs]).to.deep.equal(['softmax', 2]);
    expect(specs.find((x) => x.variant === 'condconv-k8-drop')!.config.expertDropout).to.equal(0.2);
  });

  it('matchWidth: the plain width whose MACs are closest to the target (w=0.5 → its own MACs)', () => {
    const target = modelCost({ width: 0.5, experts: null, routing: 'sigmoid' }).macs;
    expect(matchWidth(target, 0.4, 1).macs).to.equal(target);
    const k8 = modelCost({ width: 0.5, experts: 8, routing: 'sigmoid' }).macs;
    const m = matchWidth(k8, 0.5, 1);
    for (const w of [m.width - 0.001, m.width + 0.001]) {
      expect(Math.abs(modelCost({ width: w, experts: null, routing: 'sigmoid' }).macs - k8)).to.be.at.least(Math.abs(m.macs - k8));
    }
  });

  it('meanStd (sample std, null for one value), judge (2 SE rule), earlyLate (first and last block routers)', () => {
    const m = meanStd([0.96, 0.97, 0.98]);
    expect(m.mean).to.be.closeTo(0.97, 1e-12);
    expect(m.std).to.be.closeTo(0.01, 1e-12);
    expect(meanStd([0.5]).std).to.equal(null);
    expect([judge(0.03, 0.01), judge(0.01, 0.01), judge(-0.03, 0.01), judge(0.5, null)]).to.deep.equal(['held', 'not shown', 'contradicted', 'no verdict']);
    expect(earlyLate(['blocks.0.router', 'blocks.2.router', 'blocks.4.router', 'head.fc.router'])).to.deep.equal({
      early: 'blocks.0.router',
      late: 'blocks.4.router',
    });
    expect(earlyLate(['head.fc.router'])).to.equal(null);
  });

  it('runPool: a failing child is reported with its exit code and log tail; the others still run', async function () {
    this.timeout(30000);
    const dir = mkdtempSync(join(tmpdir(), 'condgrad-pool-'));
    try {
      const worker: WorkerCommand = {
        command: process.execPath,
        args: ['-e', 'const f = process.argv[1]; console.log("ran " + f); process.exit(f.endsWith("bad") ? 3 : 0)'],
      };
      const tasks = ['a', 'bad', 'c'].map((id) => ({ id, jobFile: join(dir, id), logFile: join(dir, `${id}.log`) }));
      const out = await runPool(tasks, 2, worker);
      expect(out.map((o) => [o.id, o.ok])).to.deep.equal([
        ['a', true],
        ['bad', false],
        ['c', true],
      ]);
      expect(out[1].error).to.match(/^exit code 3\nran .*bad$/);
      expect(readFileSync(join(dir, 'c.log'), 'utf8')).to.match(/ran .*c\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
