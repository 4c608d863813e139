// Files in the browser build: there is no file system, so every path-taking call is a named error that points at the byte-level API.

import { CondgradError } from '../errors.js';

function noFiles(op: string, file: string): CondgradError {
  return new CondgradError(
    op,
    `cannot use the file '${file}': the browser build has no file system; pass bytes instead (encodeCheckpoint(data) gives a Uint8Array, new Blob([bytes]) a download; readCheckpoint and loadCheckpoint take a Uint8Array, e.g. new Uint8Array(await blob.arrayBuffer()))`,
  );
}

/** Always throws: the browser build has no file system. */
export function writeFileAtomic(op: string, file: string, _chunks: readonly Uint8Array[]): void {
  throw noFiles(op, file);
}

/** Temp files untouched for longer than this are reaped (the same value as on Node; nothing to reap here). */
export const STALE_TEMP_MS = 60 * 60 * 1000;

export interface ReapOptions {
  /** Age (ms since the last write) after which a temp file is stale whatever its pid (default STALE_TEMP_MS). */
  maxAgeMs?: number;
  /** Clock for the age test (default Date.now()). */
  now?: number;
}

/** The browser build has no file system, so there are no temp files to reap: always []. */
export function reapStaleTempFiles(_dir: string, _opts: ReapOptions = {}): string[] {
  return [];
}

/** The temp file name writeFileAtomic would use for `file` (the browser build writes no files). */
export function tempFileName(file: string, pid = 0): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const rnd = Array.from(crypto.getRandomValues(new Uint8Array(4)), (x) => x.toString(16).padStart(2, '0')).join('');
  return `.${base}.${pid}.${rnd}.tmp`;
}

/** Always throws: the browser build has no file system. */
export function readFileBytes(op: string, file: string): Uint8Array {
  throw noFiles(op, file);
}

/** Always throws a plain Error (callers wrap it in their own named error): the browser build has no file system. */
export function readFileRaw(_file: string): Uint8Array {
  throw new Error('the browser build has no file system; decode the bytes instead (e.g. new Uint8Array(await blob.arrayBuffer()))');
}

/** `name` beside `file` (plain string arithmetic: the browser build has no paths to resolve). */
export function siblingPath(file: string, name: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? name : `${file.slice(0, i + 1)}${name}`;
}
