// Files on Node: atomic writes (temp file, fsync, rename; stale temp files of dead writers reaped) and whole-file reads (the browser build swaps in files.browser.ts).

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CondgradError } from '../errors.js';

/** A temp file of writeFileAtomic: `.<target name>.<writer pid>.<8 hex digits>.tmp`. */
const TEMP_RE = /^\.(.+)\.(\d+)\.([0-9a-f]{8})\.tmp$/;

/** Temp files untouched for longer than this are reaped even when their pid is alive (it may have been reused). */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/** The temp file name writeFileAtomic uses for `file` in this process. */
export function tempFileName(file: string, pid = process.pid): string {
  return `.${path.basename(file)}.${pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/** Whether process `pid` exists on this machine (EPERM: it exists, owned by someone else). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ReapOptions {
  /** Age (ms since the last write) after which a temp file is stale whatever its pid (default STALE_TEMP_MS). */
  maxAgeMs?: number;
  /** Clock for the age test (default Date.now()). */
  now?: number;
}

/**
 * Removes the temp files of writeFileAtomic in `dir` whose writer is gone: its pid is not a
 * live process, or the file was not written for `maxAgeMs`. This process's own temp files and
 * those of live writers (another process saving right now) are left alone. A writer killed
 * between creating its temp file and the rename (kill -9, power loss) leaves such a file; the
 * next write to the same directory calls this. Returns the names removed. Never throws: a file
 * that cannot be inspected or removed is skipped. The pid test is about this machine: in a
 * directory that writers on several machines share, only the age test is meaningful.
 */
export function reapStaleTempFiles(dir: string, opts: ReapOptions = {}): string[] {
  const maxAge = opts.maxAgeMs ?? STALE_TEMP_MS;
  const now = opts.now ?? Date.now();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (m === null) continue;
    const pid = Number(m[2]);
    const file = path.join(dir, name);
    try {
      const st = fs.lstatSync(file);
      if (!st.isFile()) continue;
      const old = now - st.mtimeMs > maxAge;
      const dead = pid !== process.pid && !processAlive(pid);
      if (!old && !dead) continue;
      fs.rmSync(file);
      removed.push(name);
    } catch {
      // Gone already (another writer reaped it), or not ours to remove: skip it.
    }
  }
  return removed;
}

/** The error message of a failed write: Node's message plus what it means for the path. */
function explain(file: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const hint: Record<string, string> = {
    ENOTDIR: 'a component of the path is a regular file, not a directory',
    EISDIR: 'the target is a directory',
    EACCES: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
  };
  const h = err.code !== undefined ? hint[err.code] : undefined;
  return `could not write ${file}: ${h !== undefined ? `${h} (${err.message})` : err.message}`;
}

/**
 * Writes `chunks` to `file` atomically: a temp file in the same directory, fsync, rename over
 * `file`, then fsync of the directory. On failure `file` keeps its previous contents, the temp
 * file is removed, and a CondgradError naming `op` and the cause is thrown (an error of the
 * cleanup never replaces the cause). Stale temp files of dead writers in the directory are
 * removed first (see reapStaleTempFiles).
 */
export function writeFileAtomic(op: string, file: string, chunks: readonly Uint8Array[]): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, tempFileName(file));
  let fd: number | null = null;
  try {
    fs.mkdirSync(dir, { recursive: true });
    reapStaleTempFiles(dir);
    fd = fs.openSync(tmp, 'wx');
    for (const c of chunks) fs.writeSync(fd, c);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    // A failing cleanup (e.g. ENOTDIR: there is no directory to clean) must not hide the cause.
    try {
      if (fd !== null) fs.closeSync(fd);
    } catch {
      /* the cause is reported below */
    }
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* likewise */
    }
    throw new CondgradError(op, explain(file, e));
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. some network file systems); the rename is done.
  }
}

/** The whole of `file`; a CondgradError naming `op` if it cannot be read. */
export function readFileBytes(op: string, file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new CondgradError(op, `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The whole of `file`, or the file system's own error (for callers that wrap it in their own error). */
export function readFileRaw(file: string): Uint8Array {
  return fs.readFileSync(file);
}

/** `name` in the directory that holds `file`. */
export function siblingPath(file: string, name: string): string {
  return path.join(path.dirname(file), name);
}
