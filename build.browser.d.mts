// Types of build.browser.mjs (the browser build).
import type { BuildResult, Plugin } from 'esbuild';

/** Resolves `./x.js` to `./x.browser.ts` where that file exists, and refuses every Node built-in. */
export declare const browserPlatform: Plugin;
/** Builds the library for browsers into `outdir` (default dist/browser, minified). */
export declare function buildBrowser(opts?: { outdir?: string; minify?: boolean }): Promise<BuildResult>;
