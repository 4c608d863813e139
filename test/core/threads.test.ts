// The wasm thread count: the option beats CONDGRAD_THREADS beats available parallelism (capped at 8); bad values are named errors.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CondgradError } from '../../core/errors.js';
import { availableParallelism, chooseThreadCount, DEFAULT_THREAD_CAP, THREADS_ENV } from '../../core/threads.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** Runs `body` after importing the package entry (sources through tsx) in a child node with CONDGRAD_THREADS = env. */
function child(env: string | undefined, body: string): { status: number | null; out: string; err: string } {
  const e: NodeJS.ProcessEnv = { ...process.env };
  delete e[THREADS_ENV];
  delete e.CONDGRAD_BACKEND;
  if (env !== undefined) e[THREADS_ENV] = env;
  const script = `const cg = await import(${JSON.stringify(join(root, 'index.ts'))});\n${body}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: e, encoding: 'utf8', timeout: 60000 });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr };
}

describe('wasm thread count', () => {
  it('the option wins, then CONDGRAD_THREADS, then min(available parallelism, 8)', () => {
    expect(chooseThreadCount(3, { env: '5', available: 2 })).to.deep.equal({ threads: 3, source: 'option' });
    expect(chooseThreadCount(undefined, { env: ' 5 ', available: 2 })).to.deep.equal({ threads: 5, source: 'env' });
    expect(chooseThreadCount(undefined, { env: '', available: 2 })).to.deep.equal({ threads: 2, source: 'default' });
    expect(chooseThreadCount(undefined, { env: '  ', available: 1 })).to.deep.equal({ threads: 1, source: 'default' });
    expect(chooseThreadCount(undefined, { env: '', available: 64 })).to.deep.equal({ threads: DEFAULT_THREAD_CAP, source: 'default' });
    expect(DEFAULT_THREAD_CAP).to.equal(8);
    // The cap applies to the automatic choice only: an explicit count above it is honoured.
    expect(chooseThreadCount(undefined, { env: '12', available: 2 }).threads).to.equal(12);
    expect(chooseThreadCount(16, { env: '', available: 2 }).threads).to.equal(16);
  });

  it('available parallelism is what Node reports', () => {
    expect(availableParallelism()).to.equal(os.availableParallelism());
  });

  it('a bad option is a CondgradError naming threads and the value', () => {
    for (const bad of [0, -1, 1.5, 65, NaN, Infinity]) {
      const e = thrown(() => chooseThreadCount(bad, { env: '', available: 2 }));
      expect(e, String(bad)).to.be.instanceOf(CondgradError);
      expect(e.message).to.equal(`wasm: threads must be an integer in [1, 64], got ${String(bad)}`);
    }
    const s = thrown(() => chooseThreadCount('2' as unknown as number, { env: '', available: 2 }));
    expect(s.message).to.equal("wasm: threads must be an integer in [1, 64], got '2'");
  });

  it('a bad CONDGRAD_THREADS is a CondgradError naming the variable and the value', () => {
    for (const bad of ['abc', '2.5', '-1', '1e2', '0x4', 'two']) {
      const e = thrown(() => chooseThreadCount(undefined, { env: bad, available: 2 }));
      expect(e, bad).to.be.instanceOf(CondgradError);
      expect(e.message).to.equal(`wasm: CONDGRAD_THREADS='${bad}' is not a thread count (expected an integer in [1, 64])`);
    }
    for (const bad of ['0', '65', '1000']) {
      const e = thrown(() => chooseThreadCount(undefined, { env: bad, available: 2 }));
      expect(e.message, bad).to.equal(`wasm: CONDGRAD_THREADS must be an integer in [1, 64], got ${bad}`);
    }
  });

  describe('through the package entry (child processes)', function () {
    this.timeout(120000);

    it('CONDGRAD_THREADS=1 starts the default wasm backend on 1 thread; initBackend({ threads }) restarts it; a backend with live tensors refuses', () => {
      const r = child(
        '1',
        `
const out = {};
out.default = [cg.getBackend().name, cg.getBackend().threads];
const b2 = await cg.initBackend('wasm', { threads: 2 });
out.restarted = [b2.threads, cg.getBackend() === b2];
out.same = (await cg.initBackend('wasm', true)) === b2 && (await cg.initBackend('wasm', { threads: 2 })) === b2;
const x = cg.randn([4, 4], { seed: 1 });
out.sum = Number.isFinite(cg.sum(cg.matmul(x, x)).item()) && x.backend === b2;
const err = async (f) => { try { await f(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
out.live = await err(() => cg.initBackend('wasm', { threads: 1 }));
out.cpu = await err(() => cg.initBackend('cpu', { threads: 2 }));
out.bad = await err(() => cg.initBackend('wasm', { threads: 0 }));
out.unknown = await err(() => cg.initBackend('wasm', { thread: 2 }));
x.dispose();
await cg.closeBackends();
const b1 = await cg.initBackend('wasm', { threads: 1, makeDefault: true });
out.fresh = [b1.threads, cg.getBackend() === b1];
console.log(JSON.stringify(out));`,
      );
      expect(r.status, r.err).to.equal(0);
      const out = JSON.parse(r.out) as Record<string, unknown>;
      expect(out.default).to.deep.equal(['wasm', 1]);
      expect(out.restarted).to.deep.equal([2, true]);
      expect(out.same).to.equal(true);
      expect(out.sum).to.equal(true);
      expect(out.live).to.match(
        /^CondgradError: initBackend: the wasm backend is running with 2 threads and cannot restart with 1: it holds \d+ live tensor buffers?; dispose them or call closeBackends\(\) first$/,
      );
      expect(out.cpu).to.equal("CondgradError: initBackend: threads applies to the wasm backend only, not 'cpu'");
      expect(out.bad).to.equal('CondgradError: initBackend: threads must be an integer in [1, 64], got 0');
      expect(out.unknown).to.equal("CondgradError: initBackend: unknown option 'thread' (expected makeDefault, threads)");
      expect(out.fresh).to.deep.equal([1, true]);
    });

    it('unset → the default wasm backend runs min(available parallelism, 8) threads', () => {
      const r = child(undefined, 'console.log(cg.getBackend().name, cg.getBackend().threads);');
      expect(r.status, r.err).to.equal(0);
      expect(r.out).to.equal(`wasm ${Math.min(os.availableParallelism(), 8)}`);
    });

    it('CONDGRAD_THREADS=lots → the import fails naming the variable', () => {
      const r = child('lots', 'console.log("imported");');
      expect(r.status).to.not.equal(0);
      expect(r.out).to.equal('');
      expect(r.err).to.match(/CondgradError: wasm: CONDGRAD_THREADS='lots' is not a thread count \(expected an integer in \[1, 64\]\)/);
    });
  });
});
