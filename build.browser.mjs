// The browser build: dist/browser/condgrad.js (ES module, no Node built-ins). Each module with a `<name>.browser.ts`
// sibling is replaced by it at build time; any Node built-in left is a build error.
import { build } from 'esbuild';
import { existsSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Resolves `./x.js` to `./x.browser.ts` where that file exists, and refuses every Node built-in. */
export const browserPlatform = {
  name: 'condgrad-browser-platform',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.importer.includes('node_modules')) return undefined;
      const file = resolve(dirname(args.importer), args.path).replace(/\.js$/, '');
      const swap = `${file}.browser.ts`;
      return existsSync(swap) ? { path: swap } : undefined;
    });
    // protobufjs (ONNX export) probes for 'fs' inside a try and works without it (it is only for
    // loading .proto files from disk, which condgrad never does): give that one probe an empty module.
    b.onResolve({ filter: /^fs$/ }, (args) =>
      /[\\/]protobufjs[\\/]src[\\/]util[\\/]fs\.js$/.test(args.importer) ? { path: 'fs', namespace: 'condgrad-no-fs' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'condgrad-no-fs' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    b.onResolve({ filter: /^node:|^(fs|path|os|crypto|module|url|worker_threads|child_process)$/ }, (args) => ({
      errors: [{ text: `${args.importer} imports the Node built-in '${args.path}': give it a .browser.ts sibling` }],
    }));
  },
};

/** Builds the library for browsers into `outdir` (condgrad.js plus lazily loaded chunks: the wasm and gpu backends). */
export async function buildBrowser({ outdir = 'dist/browser', minify = true } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  return build({
    entryPoints: { condgrad: 'index.ts' },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    minify,
    keepNames: true,
    chunkNames: 'chunks/[name]-[hash]',
    // gpu.js's browser build (its .min.js: the smaller source to start from); it loads only when the gpu backend starts.
    alias: { 'gpu.js': 'gpu.js/dist/gpu-browser.min.js' },
    plugins: [browserPlatform],
    logLevel: 'warning',
    metafile: true,
  });
}
