// `condgrad reproduce`: trains the CondConv / DyConv / baseline variants on MNIST in parallel child processes and writes the report.

import { resolve } from 'node:path';
import { runReproduction } from './reproduce/experiment.js';
import { FULL, QUICK } from './reproduce/plan.js';
import { selfWorkerCommand } from './reproduce/pool.js';
import { runJobFile } from './reproduce/worker.js';
import { backendFromEnv } from './backend.js';
import { num, str, UsageError, type Command } from './command.js';

export const reproduceCommand: Command = {
  name: 'reproduce',
  description: 'Reproduce the CondConv/DyConv claims at small scale on MNIST: accuracy against experts and MACs; JSON, REPORT.md and plots.',
  usage: [
    '  --quick              1 seed, baseline and CondConv K=4, 1 epoch on 4000 training digits (a smoke run, under a minute)',
    '  --jobs <n>           training runs in parallel, each its own process (default 2)',
    '  --threads <n>        wasm threads per run (default: cores / jobs, at least 1)',
    '  --out <dir>          output directory (default reproduction)',
    '  --fresh              rerun every run, even those whose runs/<id>.json already holds the same config',
    '  --worker <job.json>  internal: run one job file (what each child process does)',
    "Every run trains on the wasm backend (its numbers are the report's); $CONDGRAD_BACKEND, if set, must say wasm.",
  ].join('\n'),
  options: {
    quick: { type: 'boolean' },
    jobs: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    fresh: { type: 'boolean' },
    worker: { type: 'string' },
  },
  async run(values, _positionals, io) {
    const job = str(values, 'worker');
    if (job !== undefined) {
      await runJobFile(job);
      return 0;
    }
    const env = backendFromEnv();
    if (env !== null && env !== 'wasm')
      throw new UsageError(`CONDGRAD_BACKEND=${env}, but the reproduction runs on the wasm backend only; unset it or set it to wasm`);
    const jobs = num(values, 'jobs', 2, { min: 1, max: 256, integer: true });
    const threads = values.threads === undefined ? undefined : num(values, 'threads', 1, { min: 1, max: 64, integer: true });
    const outDir = resolve(str(values, 'out', 'reproduction'));
    const { results, files } = await runReproduction({
      settings: values.quick ? QUICK : FULL,
      jobs,
      threads,
      outDir,
      worker: selfWorkerCommand(),
      fresh: values.fresh === true,
      log: io.err,
    });
    for (const c of results.claims) io.out(`${c.verdict.padEnd(12)} ${c.claim}\n             ${c.measured}`);
    io.out(`\nWall time ${(results.wallSeconds / 60).toFixed(1)} min. Files:`);
    for (const f of files) io.out(`- ${f}`);
    for (const f of results.failed) io.err(`reproduce: ${f.id} failed: ${f.error}`);
    return results.failed.length > 0 ? 1 : 0;
  },
};
