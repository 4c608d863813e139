// The browser build in a real Chromium (headless, WebGPU on SwiftShader): the demo page loads cleanly, trains on real digits with wasm threads,
// matches Node on condConv2d forward and backward on cpu, wasm and gpu, fails bad input with Node's errors, and still works without isolation.
// Run by `npm run test:browser` (which builds dist/browser and dist/demo first); needs `chromium` on PATH (.ci/setup installs it).

import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as cg from '../../index.js';
import { badInputCases, checkpointRoundTrip, condConvOn, parityInputs, trainLoop, type CheckpointTrip, type ParityResult } from '../../web/checks.js';
import { serve } from '../../web/serve.mjs';

const FLAGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPUService', '--use-webgpu-adapter=swiftshader'];
const SCREENSHOT = process.env.CONDGRAD_SCREENSHOT ?? '.tmp/demo.png';

function findChromium(): string {
  const named = process.env.CHROMIUM_PATH;
  if (named !== undefined && named !== '') return named;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error('no chromium on PATH: run `bash .ci/setup` (Debian: apt-get install chromium) or set CHROMIUM_PATH');
}

interface Watched {
  page: Page;
  problems: string[];
  console: string[];
}

/** A page whose page errors, failed requests, HTTP errors and console errors are collected. */
async function open(browser: Browser, url: string): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width: 1180, height: 760 } });
  const w: Watched = { page, problems: [], console: [] };
  page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => w.problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => {
    if (r.status() >= 400) w.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('console', (m) => {
    // the page's and its workers' messages
    w.console.push(m.text());
    if (m.type() === 'error') w.problems.push(`console error: ${m.text()}`);
  });
  await page.goto(url);
  return w;
}

interface Info {
  crossOriginIsolated: boolean;
  wasmThreads: number;
  wasmSimd: string;
  webgpu: boolean;
  hardwareConcurrency: number;
}
interface Trained {
  losses: number[];
  evals: { step: number; accuracy: number }[];
  heatmaps: number[][][];
  threads: number;
  msPerStep: number;
}

const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

/** max |a − b| / max |b| over the whole array. */
function relErr(a: number[], b: number[]): number {
  expect(a.length).to.equal(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

describe('browser build in Chromium (demo page)', function () {
  this.timeout(120000);
  let browser: Browser;
  let isolated: { server: Server; url: string };
  let plain: { server: Server; url: string };
  let demo: Watched;

  before(async function () {
    if (!existsSync('dist/demo/index.html') || !existsSync('dist/browser/condgrad.js')) {
      throw new Error('dist/demo is missing: run `npm run test:browser` (it builds first)');
    }
    isolated = await serve({ root: 'dist', port: 0, isolated: true });
    plain = await serve({ root: 'dist', port: 0, isolated: false });
    browser = await chromium.launch({ executablePath: findChromium(), args: FLAGS });
    const page = await browser.newPage();
    const ua = await page.evaluate(() => navigator.userAgent);
    await page.close();
    console.log(`      browser: Chromium ${browser.version()} (${ua})`);
    demo = await open(browser, `${isolated.url}demo/`);
  });

  after(async () => {
    await browser?.close();
    isolated?.server.close();
    plain?.server.close();
  });

  it('opens the demo page with no page errors or failed requests; it is cross-origin isolated and wasm runs on ≥ 2 threads', async () => {
    const info = await demo.page.evaluate(() => (window as unknown as { demo: { ready: Promise<Info> } }).demo.ready);
    console.log(
      `      page: crossOriginIsolated ${info.crossOriginIsolated}, wasm threads ${info.wasmThreads} (${info.wasmSimd}), WebGPU ${info.webgpu}, hardwareConcurrency ${info.hardwareConcurrency}`,
    );
    expect(demo.problems).to.deep.equal([]);
    expect(info.crossOriginIsolated).to.equal(true);
    expect(info.wasmThreads).to.be.at.least(2);
    // Chromium validates relaxed SIMD by default, so the relaxed-SIMD kernels run (and the parity checks below test them).
    expect(info.wasmSimd).to.equal('relaxed');
    expect(info.webgpu).to.equal(true);
  });

  it("trains 100 steps on real digits on wasm in the page's worker: the loss falls by ≥ 30 %, the curve and heatmap are drawn", async () => {
    const r = await demo.page.evaluate(() =>
      (window as unknown as { demo: { train(o: object): Promise<Trained> } }).demo.train({ backend: 'wasm', K: 4, steps: 100 }),
    );
    const first = mean(r.losses.slice(0, 10));
    const last = mean(r.losses.slice(-10));
    const acc = r.evals[r.evals.length - 1].accuracy;
    console.log(
      `      wasm (${r.threads} threads): loss ${first.toFixed(3)} (steps 1-10) -> ${last.toFixed(3)} (steps 91-100), test accuracy ${(100 * acc).toFixed(1)}% on 500 digits, ${r.msPerStep.toFixed(1)} ms/step`,
    );
    expect(r.losses).to.have.length(100);
    expect(r.threads).to.be.at.least(2);
    expect(last).to.be.at.most(0.7 * first);
    expect(acc).to.be.greaterThan(0.5);
    expect(r.heatmaps).to.have.length(2);
    for (const h of r.heatmaps) {
      expect(h).to.have.length(10);
      for (const row of h) {
        expect(row).to.have.length(4);
        expect(row.reduce((s, v) => s + v, 0)).to.be.closeTo(1, 1e-4); // softmax routing: each class's mean α sums to 1
      }
    }
    const rows = await demo.page.evaluate(() =>
      (window as unknown as { demo: { bench(o: object): Promise<{ path: string; ms: number }[]> } }).demo.bench({ backend: 'wasm', K: 4 }),
    );
    expect(rows.map((x) => x.path)).to.deep.equal(['fused', 'moe', 'plain conv2d']);
    for (const x of rows) expect(x.ms).to.be.greaterThan(0);
    console.log(`      one CondConv layer on wasm, K=4: ${rows.map((x) => `${x.path} ${x.ms.toFixed(2)} ms`).join(', ')}`);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await demo.page.screenshot({ path: SCREENSHOT });
    const ink = await demo.page.evaluate(() => {
      const d = (window as unknown as { demo: { ink(id: string): number } }).demo;
      return [d.ink('curve'), d.ink('heatmap')];
    });
    console.log(`      screenshot: ${SCREENSHOT}; drawn pixels: curve ${ink[0]}, heatmap ${ink[1]}`);
    expect(ink[0]).to.be.greaterThan(3000);
    expect(ink[1]).to.be.greaterThan(3000);
    expect(demo.problems).to.deep.equal([]);
  });

  it('condConv2d forward and backward (fixed seed) on cpu, wasm and gpu in the page match Node within 1e-5 relative', async () => {
    const inp = parityInputs(cg, ['cpu', 'wasm', 'gpu']);
    const node = await condConvOn(cg, inp, 'cpu');
    const got = await demo.page.evaluate(
      (i) => (window as unknown as { demo: { parity(i: unknown): Promise<Record<string, ParityResult | { error: string }>> } }).demo.parity(i),
      inp,
    );
    for (const b of inp.backends) {
      const r = got[b];
      expect(r, b).to.not.have.property('error');
      const errs = (['y', 'dx', 'dexperts', 'drouting', 'dbias'] as const).map((k) => [k, relErr((r as ParityResult)[k], node[k])] as const);
      console.log(`      ${b}: ${errs.map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', ')}`);
      for (const [k, e] of errs) expect(e, `${b} ${k}`).to.be.at.most(1e-5);
    }
    const mainThreads = await demo.page.evaluate(() => (window as unknown as { demo: { wasmThreads(): Promise<number> } }).demo.wasmThreads());
    console.log(`      (run on the page's main thread: wasm with ${mainThreads} threads, the fork-join spinning instead of Atomics.wait)`);
    expect(mainThreads).to.be.at.least(2);
    expect(demo.problems).to.deep.equal([]);
  });

  it("the gpu backend (WebGPU on SwiftShader) trains in the page's worker too: 6 steps, finite losses, the heatmaps", async () => {
    const t0 = Date.now();
    const r = await demo.page.evaluate(() =>
      (window as unknown as { demo: { train(o: object): Promise<Trained> } }).demo.train({ backend: 'gpu', K: 2, steps: 6, evalEvery: 6 }),
    );
    console.log(
      `      gpu in the worker: loss ${r.losses.map((v) => v.toFixed(3)).join(', ')}; ${((Date.now() - t0) / 1000).toFixed(1)} s with kernel compilation`,
    );
    expect(r.losses).to.have.length(6);
    for (const v of r.losses) expect(Number.isFinite(v)).to.equal(true);
    expect(mean(r.losses.slice(-2))).to.be.lessThan(mean(r.losses.slice(0, 2)));
    expect(r.heatmaps[1]).to.have.length(10);
    expect(demo.problems).to.deep.equal([]);
  });

  it('bad input gets the same CondgradError messages as in Node', async () => {
    const node = await badInputCases(cg);
    const page = await demo.page.evaluate(() => (window as unknown as { demo: { badInput(): Promise<[string, string, string][]> } }).demo.badInput());
    for (const [label, name] of node) expect(name, label).to.match(/^(CondgradError|SafetensorsError)$/);
    expect(page).to.deep.equal(node);
  });

  it('checkpoints go out and back in as bytes (Uint8Array, Blob) with the same SHA-256 as Node; a file path is a named error', async () => {
    const node = await checkpointRoundTrip(cg);
    const page = await demo.page.evaluate(() => (window as unknown as { demo: { checkpoints(): Promise<CheckpointTrip> } }).demo.checkpoints());
    console.log(`      checkpoint: ${page.bytes} bytes, sha256 ${page.sha256.slice(0, 16)}… (Node ${node.sha256.slice(0, 16)}…)`);
    expect(node.restoredMatches).to.equal(true);
    expect(page.restoredMatches).to.equal(true);
    expect(page.bytes).to.equal(node.bytes);
    expect(page.blobBytes).to.equal(page.bytes);
    expect(page.sha256).to.equal(node.sha256);
    expect(page.saveToPath).to.match(/^CondgradError: saveCheckpoint: cannot use the file 'run\/a\.ckpt': the browser build has no file system/);
  });

  it("the library's train() loop runs in the page with the same step losses as Node; a logFile is a named error", async () => {
    const node = await trainLoop(cg);
    const page = await demo.page.evaluate(() =>
      (window as unknown as { demo: { trainApi(): Promise<{ stepLosses: number[]; epochs: number; logFile: string }> } }).demo.trainApi(),
    );
    console.log(
      `      train(): step losses ${page.stepLosses.map((v) => v.toFixed(4)).join(', ')} (Node ${node.stepLosses.map((v) => v.toFixed(4)).join(', ')})`,
    );
    expect(page.epochs).to.equal(1);
    expect(page.stepLosses).to.have.length(2);
    for (let i = 0; i < 2; i++) expect(page.stepLosses[i]).to.be.closeTo(node.stepLosses[i], 1e-5 * Math.abs(node.stepLosses[i]));
    expect(page.logFile).to.match(/^CondgradError: train: cannot use the file 'run\/log\.json': the browser build has no file system/);
  });

  it('a page served without the isolation headers works on one thread over an unshared memory and says so once per context', async () => {
    const w = await open(browser, `${plain.url}demo/`);
    try {
      const info = await w.page.evaluate(() => (window as unknown as { demo: { ready: Promise<Info> } }).demo.ready);
      expect(info.crossOriginIsolated).to.equal(false);
      expect(info.wasmThreads).to.equal(1);
      expect(info.wasmSimd).to.equal('relaxed');
      const r = await w.page.evaluate(() =>
        (window as unknown as { demo: { train(o: object): Promise<Trained> } }).demo.train({ backend: 'wasm', K: 2, steps: 40, evalEvery: 20 }),
      );
      const first = mean(r.losses.slice(0, 5));
      const last = mean(r.losses.slice(-5));
      console.log(`      not isolated: wasm ${r.threads} thread, loss ${first.toFixed(3)} -> ${last.toFixed(3)} in 40 steps`);
      expect(r.threads).to.equal(1);
      expect(last).to.be.lessThan(0.85 * first);
      // The page's main thread too: wasm over an unshared memory (no SharedArrayBuffer here) matches Node.
      const inp = parityInputs(cg, ['wasm']);
      const node = await condConvOn(cg, inp, 'cpu');
      const got = await w.page.evaluate(
        (i) => (window as unknown as { demo: { parity(i: unknown): Promise<Record<string, ParityResult | { error: string }>> } }).demo.parity(i),
        inp,
      );
      expect(got.wasm).to.not.have.property('error');
      for (const k of ['y', 'dx', 'dexperts', 'drouting', 'dbias'] as const) expect(relErr((got.wasm as ParityResult)[k], node[k]), k).to.be.at.most(1e-5);
      expect(await w.page.evaluate(() => (window as unknown as { demo: { wasmThreads(): Promise<number> } }).demo.wasmThreads())).to.equal(1);
      const notes = w.console.filter((m) => m.includes('wasm backend runs on 1 thread'));
      expect(notes).to.have.length(2); // once in the training worker, once on the page's main thread
      expect(notes[0]).to.match(
        /not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/,
      );
      expect(w.problems).to.deep.equal([]);
    } finally {
      await w.page.close();
    }
  });
});
