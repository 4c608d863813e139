// Node platform facts: environment variables and the machine's parallelism (the browser build swaps in env.browser.ts).

import { availableParallelism } from 'node:os';

/** The name of the platform this build targets. */
export const PLATFORM = 'node' as const;

/** An environment variable, or undefined where it is unset. */
export function readEnv(name: string): string | undefined {
  return process.env[name];
}

/** Hardware threads this process may use. */
export function hardwareThreads(): number {
  return availableParallelism();
}

/** Whether wasm worker threads can share memory here (always in Node), and if not, why. */
export function sharedMemoryThreads(): { ok: true } | { ok: false; reason: string } {
  return { ok: true };
}
