#!/usr/bin/env node
// The condgrad command: runs the bundled CLI, dist/cli.js (built by `npm run build`, and before `npm pack`).
try {
  await import('../dist/cli.js');
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/cli.js')) {
    console.error('condgrad: dist/cli.js is missing; in a checkout, run `npm run build` first');
    process.exit(1);
  }
  throw e;
}
