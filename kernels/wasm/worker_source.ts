// The kernel workers' program (as source text, so it needs no file next to the bundle): runs kernel slices on the shared memory.

/**
 * Control block (Int32Array over its own SharedArrayBuffer): [GEN, DONE, QUIT, ERROR, then per
 * thread t: fn index at 4 + 2t, argument pointer at 5 + 2t]. A worker sleeps on GEN, runs its
 * slot's kernel, bumps DONE and wakes the main thread.
 */
export const CTRL_GEN = 0;
export const CTRL_DONE = 1;
export const CTRL_QUIT = 2;
export const CTRL_ERROR = 3;
export const CTRL_SLOTS = 4;

/**
 * The body every kernel worker runs once it has its start-up data in scope (`module`, `memory`,
 * `ctrlBuffer`, `tid`, `names`, `spinMs`) and a `ready()` that tells the creator it has instantiated
 * the module. Between calls it spins for spinMs on GEN, then sleeps (see DEFAULT_SPIN_US in
 * core/threads.ts). Each platform's spawn module wraps it in its own bootstrap (kernels/wasm/spawn*.ts).
 */
export const KERNEL_LOOP = `
const inst = new WebAssembly.Instance(module, { env: { memory } });
const fns = names.map((n) => inst.exports[n]);
const ctrl = new Int32Array(ctrlBuffer);
let gen = Atomics.load(ctrl, ${CTRL_GEN});
ready();
for (;;) {
  for (const until = performance.now() + spinMs; Atomics.load(ctrl, ${CTRL_GEN}) === gen && performance.now() < until; );
  Atomics.wait(ctrl, ${CTRL_GEN}, gen);
  gen = Atomics.load(ctrl, ${CTRL_GEN});
  if (Atomics.load(ctrl, ${CTRL_QUIT}) !== 0) break;
  const fn = ctrl[${CTRL_SLOTS} + 2 * tid];
  if (fn >= 0) {
    try { fns[fn](ctrl[${CTRL_SLOTS + 1} + 2 * tid] >>> 0); } catch (e) { Atomics.store(ctrl, ${CTRL_ERROR}, 1 + tid); }
  }
  Atomics.add(ctrl, ${CTRL_DONE}, 1);
  Atomics.notify(ctrl, ${CTRL_DONE});
}
`;
