// The default backend: CONDGRAD_BACKEND wins, else wasm where WebAssembly SIMD is available, else cpu; never silent.

import '../../kernels/register.js';
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseDefaultBackend, wasmSimdSupported, BACKEND_ENV } from '../../core/engine.js';
import { CondgradError } from '../../core/errors.js';
import type { AnyBackend } from '../../core/backend.js';
import { cpuBackend } from '../../kernels/cpu/backend.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A stand-in for a started backend (never computed with). */
const fakeWasm = { name: 'wasm' } as unknown as AnyBackend;

/** A probe that records which backends were started and what was reported. */
function probe(env: string, simd: boolean, fail: string | null) {
  const started: string[] = [];
  const warnings: string[] = [];
  return {
    started,
    warnings,
    p: {
      env,
      simd,
      start: async (name: 'wasm' | 'gpu') => {
        started.push(name);
        if (fail !== null) throw new Error(fail);
        return fakeWasm;
      },
      warn: (m: string) => warnings.push(m),
    },
  };
}

/** Runs the package entry (sources through tsx) in a child node; prints the default backend's name and that of a conv output. */
function child(env: string | undefined): { status: number | null; signal: string | null; out: string; err: string } {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e[BACKEND_ENV];
  if (env !== undefined) e[BACKEND_ENV] = env;
  const script = `const m = await import(${JSON.stringify(join(root, 'index.ts'))});
const y = m.conv2d(m.randn([2, 3, 8, 8], { seed: 1 }), m.randn([4, 3, 3, 3], { seed: 2 }), null, { padding: 1 });
console.log(m.getBackend().name, y.backend.name, Number.isFinite(m.sum(y).item()));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: e, encoding: 'utf8', timeout: 45000 });
  return { status: r.status, signal: r.signal, out: r.stdout.trim(), err: r.stderr };
}

describe('default backend', () => {
  it('this runtime validates the WebAssembly SIMD probe (Node >= 20)', () => {
    expect(wasmSimdSupported()).to.equal(true);
  });

  it('unset, SIMD available → wasm is started and chosen', async () => {
    const t = probe('', true, null);
    expect(await chooseDefaultBackend(t.p)).to.equal(fakeWasm);
    expect(t.started).to.deep.equal(['wasm']);
    expect(t.warnings).to.deep.equal([]);
  });

  it('unset, no SIMD → cpu, nothing started', async () => {
    const t = probe('', false, null);
    expect(await chooseDefaultBackend(t.p)).to.equal(cpuBackend);
    expect(t.started).to.deep.equal([]);
  });

  it('unset, SIMD available but wasm fails to start → cpu, and the reason is reported', async () => {
    const t = probe('', true, 'no shared memory');
    expect(await chooseDefaultBackend(t.p)).to.equal(cpuBackend);
    expect(t.warnings).to.have.length(1);
    expect(t.warnings[0]).to.match(/wasm backend failed to start \(no shared memory\); using the cpu backend/);
  });

  it(`${BACKEND_ENV}=cpu → cpu even with SIMD; =wasm → wasm even without the probe`, async () => {
    const cpu = probe('cpu', true, null);
    expect(await chooseDefaultBackend(cpu.p)).to.equal(cpuBackend);
    expect(cpu.started).to.deep.equal([]);
    const wasm = probe(' wasm ', false, null);
    expect(await chooseDefaultBackend(wasm.p)).to.equal(fakeWasm);
    expect(wasm.started).to.deep.equal(['wasm']);
  });

  it(`${BACKEND_ENV}=wasm that fails to start throws with the reason; an unknown name throws`, async () => {
    const failing = probe('wasm', true, 'no shared memory');
    const e1 = await chooseDefaultBackend(failing.p).then(
      () => null,
      (e: unknown) => e,
    );
    expect(e1).to.be.instanceOf(CondgradError);
    expect((e1 as Error).message).to.match(/CONDGRAD_BACKEND=wasm was requested but the wasm backend failed to start: no shared memory/);
    expect(failing.warnings).to.deep.equal([]);
    const e2 = await chooseDefaultBackend(probe('tpu', true, null).p).then(
      () => null,
      (e: unknown) => e,
    );
    expect(e2).to.be.instanceOf(CondgradError);
    expect((e2 as Error).message).to.match(/CONDGRAD_BACKEND='tpu' is not a backend \(expected cpu, wasm, gpu\)/);
  });

  describe('importing the package entry in a child process', function () {
    this.timeout(120000);

    it('unset → wasm (SIMD available), computes on it, reports nothing and exits on its own', () => {
      const r = child(undefined);
      expect(r.signal, r.err).to.equal(null);
      expect(r.status, r.err).to.equal(0);
      expect(r.out).to.equal('wasm wasm true');
      expect(r.err).not.to.match(/condgrad:/);
    });

    it(`${BACKEND_ENV}=cpu → cpu`, () => {
      const r = child('cpu');
      expect(r.status, r.err).to.equal(0);
      expect(r.out).to.equal('cpu cpu true');
    });

    it(`${BACKEND_ENV}=tpu → the import fails naming the variable`, () => {
      const r = child('tpu');
      expect(r.status).to.not.equal(0);
      expect(r.err).to.match(/CondgradError: initDefaultBackend: CONDGRAD_BACKEND='tpu' is not a backend/);
    });
  });
});
