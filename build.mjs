// Build: compiles the WebAssembly kernels, bundles the library and CLI with esbuild into dist/ (Node) and dist/browser/ (browsers), and emits the type declarations the exports map names.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { buildBrowser } from './build.browser.mjs';

if (existsSync('kernels/wasm/build.mjs')) {
  execFileSync(process.execPath, ['kernels/wasm/build.mjs'], { stdio: 'inherit' });
}

// A clean dist/ each time: `npm pack` ships all of it, so nothing stale may linger there.
rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
};

/**
 * Drops from a source map the text of the generated wasm modules (kernels/wasm/generated: one
 * base64 literal each, already in the bundle itself), so the tarball does not carry each module
 * twice more; their lines still map, a debugger just shows no source for them.
 */
function dropGeneratedSources(mapFile) {
  const map = JSON.parse(readFileSync(mapFile, 'utf8'));
  map.sourcesContent = map.sources.map((s, i) => (/kernels\/wasm\/generated\//.test(s) ? null : map.sourcesContent[i]));
  writeFileSync(mapFile, JSON.stringify(map));
}

// The library and the CLI in one build with code splitting: what both use (the library itself and its
// embedded wasm modules) lands once in shared chunks, instead of a second copy inside dist/cli.js.
const entryPoints = { index: 'index.ts', ...(existsSync('cli/main.ts') ? { cli: 'cli/main.ts' } : {}) };
const result = await build({ ...common, entryPoints, outdir: 'dist', splitting: true, chunkNames: 'chunks/[name]-[hash]', metafile: true });
for (const out of Object.keys(result.metafile.outputs)) if (out.endsWith('.js.map')) dropGeneratedSources(out);

// dist/browser/condgrad.js: the same API for browsers (see build.browser.mjs).
await buildBrowser();

// dist/types/index.d.ts and the files it references (tsc also type-checks the library here).
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
