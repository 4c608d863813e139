// The report's JSON file: machine description, package versions, and writing bench-results/<timestamp>.json.

import { chooseWasmSimd } from '../../core/wasm_simd.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport, MachineInfo } from './rows.js';

/** The packages whose versions the report records (the engine itself is added as `condgrad`). */
export const REPORTED_PACKAGES = ['vega', 'vega-lite', 'gpu.js', 'webgpu', 'cli-progress', 'assemblyscript'] as const;

export function machineInfo(): MachineInfo {
  const cs = cpus();
  return {
    cpuModel: cs[0]?.model.trim() ?? 'unknown',
    cores: cs.length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    wasmSimd: chooseWasmSimd(),
  };
}

/** Directories from `start` up to the filesystem root. */
function ancestors(start: string): string[] {
  const out: string[] = [];
  for (let d = start; ; d = dirname(d)) {
    out.push(d);
    if (dirname(d) === d) return out;
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * Versions of condgrad and of REPORTED_PACKAGES as installed (read from their package.json files,
 * found from this module's directory and from the working directory upwards); 'not installed' where missing.
 */
export function packageVersions(): Record<string, string> {
  const dirs = [...new Set([...ancestors(dirname(fileURLToPath(import.meta.url))), ...ancestors(process.cwd())])];
  const out: Record<string, string> = {};
  for (const d of dirs) {
    const pkg = readJson(join(d, 'package.json'));
    if (pkg?.name === 'condgrad') {
      out.condgrad = String(pkg.version);
      break;
    }
  }
  out.condgrad ??= 'unknown';
  for (const name of REPORTED_PACKAGES) {
    const dir = dirs.map((d) => join(d, 'node_modules', name)).find((p) => existsSync(join(p, 'package.json')));
    const version = dir ? readJson(join(dir, 'package.json'))?.version : undefined;
    out[name] = dir ? (typeof version === 'string' ? version : 'unknown') : 'not installed';
  }
  return out;
}

/** A file-name-safe timestamp: 2025-01-31T12-34-56. */
export function fileTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/:/g, '-');
}

/** JSON with non-finite numbers (which JSON cannot hold) written as null. */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)}\n`;
}

/** Writes `<dir>/<timestamp>.json` (creating dir) and returns its path. */
export function writeReportJson(dir: string, stamp: string, report: BenchReport): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stamp}.json`);
  writeFileSync(file, reportJson(report));
  return file;
}
