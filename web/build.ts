// Builds the demo page into dist/demo/: the browser library (dist/browser), the page and training-worker scripts, and the digits asset.
//
//   npx tsx web/build.ts          (npm run demo builds, then serves)

import { build } from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { mnistAll, mnistSplitIndices } from '../nn/data/mnist.js';
import { subset } from '../nn/data/dataset.js';
import { encodeDigits } from './digits.js';
import { buildBrowser } from '../build.browser.mjs';

/** Digits shipped to the page: the first 3000 of the fixed split for training, its last 1000 for testing. */
export const DEMO_TRAIN = 3000;
export const DEMO_TEST = 1000;

const out = 'dist/demo';

execFileSync(process.execPath, ['kernels/wasm/build.mjs'], { stdio: 'inherit' });
await buildBrowser();
mkdirSync(out, { recursive: true });

// The page and the worker import the library entry ('../index.js', so that they type-check against
// the sources); in the demo that import is the shipped bundle, ../browser/condgrad.js, as a user's would be.
const useBundle = {
  name: 'condgrad-bundle',
  setup(b: { onResolve(o: { filter: RegExp }, f: (a: { path: string; importer: string }) => { path: string; external: boolean } | undefined): void }) {
    b.onResolve({ filter: /^\.\.\/index\.js$/ }, (a) => (a.importer.includes('/web/') ? { path: '../browser/condgrad.js', external: true } : undefined));
  },
};
await build({
  entryPoints: { page: 'web/page.ts', worker: 'web/worker.ts' },
  outdir: out,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  plugins: [useBundle],
  logLevel: 'warning',
});
copyFileSync('web/index.html', `${out}/index.html`);

const all = mnistAll();
const idx = mnistSplitIndices(DEMO_TRAIN, DEMO_TEST);
const bytes = encodeDigits(28, subset(all, idx.train), subset(all, idx.test));
writeFileSync(`${out}/digits.bin`, bytes);
console.log(`demo: ${out}/ (digits.bin: ${DEMO_TRAIN} + ${DEMO_TEST} digits, ${(bytes.byteLength / 1024).toFixed(0)} KiB)`);
