// Browser platform facts: no environment variables; threads only where the page is cross-origin isolated (SharedArrayBuffer).

/** The name of the platform this build targets. */
export const PLATFORM = 'browser' as const;

/** Browsers have no environment variables: always undefined. */
export function readEnv(_name: string): string | undefined {
  return undefined;
}

/** navigator.hardwareConcurrency (1 where it is missing). */
export function hardwareThreads(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
}

/**
 * Workers can share the wasm memory only on a cross-origin isolated page (COOP same-origin and
 * COEP require-corp), where SharedArrayBuffer exists and a shared memory can be posted.
 */
export function sharedMemoryThreads(): { ok: true } | { ok: false; reason: string } {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function') return { ok: true };
  return {
    ok: false,
    reason: 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
  };
}
