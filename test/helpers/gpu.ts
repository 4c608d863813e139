// The gpu kernel suites' shared backend: created once, skipped with a reason only when no adapter (or gpu package) exists, destroyed after all tests.

import { expect } from 'chai';
import { CondgradError } from '../../core/errors.js';
import type { GpuBackend, GpuStorage } from '../../kernels/gpu/backend.js';
import { createGpuBackend } from '../../kernels/gpu/device.js';
import { expectClose } from './close.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let shared: Promise<GpuBackend | CondgradError> | null = null;

function acquire(): Promise<GpuBackend | CondgradError> {
  shared ??= createGpuBackend().then(
    (b) => {
      const a = b.adapterInfo;
      console.log(
        `      gpu adapter: ${a.name} (${a.description}; vendor '${a.vendor}', architecture '${a.architecture}', dawn backend ${a.backendType}, ${a.featureLevel}), kernels in ${b.mode} mode`,
      );
      return b;
    },
    (e: unknown) => {
      // Only a missing adapter (or gpu package: webgpu has no build for every platform) may skip;
      // anything else (a broken kernel, a wrong self-test) fails.
      if (e instanceof CondgradError && /no WebGPU adapter|the gpu backend needs the optional package/.test(e.message)) return e;
      throw e;
    },
  );
  return shared;
}

// Root-level hook: frees the device once every suite has run, so the process can exit.
after(async () => {
  if (shared === null) return;
  const b = await shared.catch(() => null);
  if (b !== null && !(b instanceof CondgradError)) await b.destroy();
  shared = null;
});

/**
 * A describe block whose tests get the gpu backend. Without an adapter the block skips with the
 * reason printed, unless CONDGRAD_REQUIRE_GPU=1, which turns that into a failure.
 */
export function describeGpu(title: string, body: (gpu: () => GpuBackend) => void): void {
  describe(title, function () {
    let backend: GpuBackend | null = null;
    before(async function () {
      const b = await acquire();
      if (b instanceof CondgradError) {
        if (process.env.CONDGRAD_REQUIRE_GPU === '1') throw new Error(`CONDGRAD_REQUIRE_GPU=1 but ${b.message}`);
        console.log(`      skipping '${title}': ${b.message}`);
        this.skip();
      }
      backend = b;
      expect(backend.mode).to.equal('webgpu');
    });
    body(() => {
      if (backend === null) throw new Error('gpu backend not initialised');
      return backend;
    });
  });
}

/** Reads a gpu storage and compares it with the reference at `tol` (relative, absolute below 1), then frees it. */
export async function expectGpuClose(gpu: GpuBackend, s: GpuStorage, want: ArrayLike<number>, tol: number, label = ''): Promise<void> {
  const got = await gpu.read(s);
  gpu.dispose(s);
  expectClose(got, want, tol, label);
}

/**
 * Elementwise relative check: |got - want| <= rtol·|want| + atol, for kernels without accumulation
 * (where the project-wide expectClose's absolute floor of 1 would be loose).
 */
export function expectRel(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, label = ''): void {
  expect(got.length, `${label} length`).to.equal(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (!Number.isFinite(w)) {
      if (Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w))) continue;
      expect.fail(`${label} [${i}]: got ${g}, want ${w}`);
    }
    if (!(Math.abs(g - w) <= rtol * Math.abs(w) + atol)) {
      expect.fail(`${label} [${i}]: got ${g}, want ${w} (diff ${Math.abs(g - w)}, rtol ${rtol}, atol ${atol})`);
    }
  }
}

/**
 * Runs full garbage collections and lets finalizers run, so that storages earlier tests dropped
 * without dispose() are freed before a test counts live buffers.
 */
export async function settleGc(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
