// Bench: the round trip of one fork-join hand-off (the caller wakes a worker through the control block and waits for its reply), with the worker sleeping at once or spinning first.
// Run: npx tsx bench/thread_wake.ts [--spin-us 0,200] [--calls 2000] [--gap-us 20]

import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { flagList, flagNumber } from './model/flags.js';

const argv = process.argv.slice(2);
const SPINS = flagList(argv, 'spin-us', '0,200').map(Number);
const CALLS = flagNumber(argv, 'calls', 2000);
const GAP_US = flagNumber(argv, 'gap-us', 20);

/** The worker: waits for slot 0 to change (spinning up to spinMs, then Atomics.wait, as the kernel workers do), answers in slot 1. */
const WORKER = `
const { workerData } = require('node:worker_threads');
const c = new Int32Array(workerData.sab), spinMs = workerData.spinMs;
let g = 0;
for (;;) {
  for (const until = performance.now() + spinMs; Atomics.load(c, 0) === g && performance.now() < until; );
  Atomics.wait(c, 0, g);
  g = Atomics.load(c, 0);
  if (g < 0) break;
  Atomics.add(c, 1, 1);
  Atomics.notify(c, 1);
}`;

const quantile = (s: number[], q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];

async function roundTrips(spinUs: number): Promise<number[]> {
  const sab = new SharedArrayBuffer(8);
  const c = new Int32Array(sab);
  const spinMs = spinUs / 1000;
  const w = new Worker(WORKER, { eval: true, workerData: { sab, spinMs } });
  await new Promise((r) => setTimeout(r, 200));
  const ts: number[] = [];
  for (let i = 1; i <= CALLS; i++) {
    // The caller's own work between two calls (the JS of an op), during which the worker spins or sleeps.
    for (const t0 = performance.now(); performance.now() - t0 < GAP_US / 1000;);
    const want = Atomics.load(c, 1) + 1;
    const t = performance.now();
    Atomics.store(c, 0, i);
    Atomics.notify(c, 0);
    for (const until = performance.now() + spinMs; Atomics.load(c, 1) < want && performance.now() < until;);
    while (Atomics.load(c, 1) < want) Atomics.wait(c, 1, want - 1);
    ts.push((performance.now() - t) * 1000);
  }
  Atomics.store(c, 0, -1);
  Atomics.notify(c, 0);
  await w.terminate();
  return ts.slice(CALLS / 10).sort((a, b) => a - b);
}

console.log(
  `# fork-join hand-off round trip, ${CALLS} calls ${GAP_US} µs apart; ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, node ${process.version}\n`,
);
console.log('| worker spin µs | median µs | p90 µs | p99 µs |');
console.log('|--:|--:|--:|--:|');
for (const spin of SPINS) {
  const s = await roundTrips(spin);
  console.log(`| ${spin} | ${quantile(s, 0.5).toFixed(1)} | ${quantile(s, 0.9).toFixed(1)} | ${quantile(s, 0.99).toFixed(1)} |`);
}
