// Files on Node: atomic writes (temp file, fsync, rename) and whole-file reads (the browser build swaps in files.browser.ts).

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CondgradError } from '../errors.js';

/**
 * Writes `chunks` to `file` atomically: a temp file in the same directory, fsync, rename over
 * `file`, then fsync of the directory. On failure `file` keeps its previous contents, the temp
 * file is removed, and a CondgradError naming `op` is thrown.
 */
export function writeFileAtomic(op: string, file: string, chunks: readonly Uint8Array[]): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fd = fs.openSync(tmp, 'wx');
    for (const c of chunks) fs.writeSync(fd, c);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== null) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new CondgradError(op, `could not write ${file}: ${(e as Error).message}`);
  }
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
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
