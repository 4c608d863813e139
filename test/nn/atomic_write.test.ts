// Atomic writes: the real error when the path is impossible, and reaping the temp files of writers killed mid-save (kill -9) without touching live writers'.

import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CondgradError } from '../../core/errors.js';
import { reapStaleTempFiles, STALE_TEMP_MS, tempFileName, writeFileAtomic } from '../../nn/atomic_write.js';

const HUNG_WRITER = fileURLToPath(new URL('../helpers/hung_writer.ts', import.meta.url));

/** The pid of a process that has exited (and been waited for), so no live process has it (barring reuse in the next instant). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

/** Starts a writer that blocks inside writeFileAtomic(file) with its temp file open; resolves with the temp file's name. */
async function hungWriter(file: string): Promise<{ child: ChildProcess; tmp: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HUNG_WRITER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const tmp = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (s: string) => {
      out += s;
      const m = /writing (\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`hung writer exited early (${code}): ${out}`)));
  });
  return { child, tmp };
}

describe('nn/atomic_write', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'condgrad-atomic-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a path under a regular file fails with ENOTDIR named, not the cleanup's error", () => {
    const plain = path.join(dir, 'plain.txt');
    fs.writeFileSync(plain, 'x');
    let err: unknown = null;
    try {
      writeFileAtomic('saveCheckpoint', path.join(plain, 'sub', 'a.ckpt'), [new Uint8Array(8)]);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(CondgradError);
    expect(String(err)).to.match(
      /saveCheckpoint: could not write .*plain\.txt\/sub\/a\.ckpt: a component of the path is a regular file, not a directory \(ENOTDIR/,
    );
    expect(fs.readFileSync(plain, 'utf8')).to.equal('x');
  });

  it("reaps temp files of dead writers and old ones; keeps a live writer's, its own process's and other files", () => {
    const dead = deadPid();
    const live = process.ppid;
    const mk = (name: string, ageMs = 0): string => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, 'partial');
      const t = (Date.now() - ageMs) / 1000;
      fs.utimesSync(f, t, t);
      return name;
    };
    const deadTmp = mk(`.a.ckpt.${dead}.0123abcd.tmp`);
    const deadTmp2 = mk(`.log.json.${dead}.deadbeef.tmp`);
    const liveTmp = mk(`.a.ckpt.${live}.00000001.tmp`);
    const oldLiveTmp = mk(`.a.ckpt.${live}.00000002.tmp`, STALE_TEMP_MS + 60_000);
    const ownTmp = mk(`.a.ckpt.${process.pid}.00000003.tmp`);
    const others = [mk('a.ckpt'), mk(`.a.ckpt.${dead}.tmp`), mk(`.notes.${dead}.0123abcd.tmp.bak`)];
    expect(reapStaleTempFiles(dir).sort()).to.deep.equal([deadTmp, deadTmp2, oldLiveTmp].sort());
    expect(fs.readdirSync(dir).sort()).to.deep.equal([liveTmp, ownTmp, ...others].sort());
    expect(reapStaleTempFiles(path.join(dir, 'missing'))).to.deep.equal([]);
  });

  it('a writer killed (SIGKILL) mid-save leaves its temp file; the next save reaps it, but not while the writer lives', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'a.ckpt');
    writeFileAtomic('test', file, [Buffer.from('first')]);
    const { child, tmp } = await hungWriter(file);
    try {
      expect(tmp).to.match(new RegExp(`^\\.a\\.ckpt\\.${child.pid}\\.[0-9a-f]{8}\\.tmp$`));
      expect(fs.statSync(path.join(dir, tmp)).size).to.equal(4096);
      // A save while the writer is alive leaves its temp file alone.
      writeFileAtomic('test', file, [Buffer.from('second')]);
      expect(fs.readdirSync(dir).sort()).to.deep.equal([tmp, 'a.ckpt'].sort());
    } finally {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
    expect(child.signalCode).to.equal('SIGKILL');
    expect(fs.existsSync(path.join(dir, tmp)), 'orphan left by the kill').to.equal(true);
    writeFileAtomic('test', file, [Buffer.from('third')]);
    expect(fs.readdirSync(dir)).to.deep.equal(['a.ckpt']);
    expect(fs.readFileSync(file, 'utf8')).to.equal('third');
  });

  it('temp file names follow .<name>.<pid>.<8 hex>.tmp', () => {
    expect(tempFileName('/x/y/run.ckpt', 42)).to.match(/^\.run\.ckpt\.42\.[0-9a-f]{8}\.tmp$/);
  });
});
