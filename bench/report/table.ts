// Markdown tables for the benchmark report: per backend and mode, time (ms and ratio to plain) with the auto verdict, then throughput and memory.

import { autoVerdicts, flaggedVerdicts, groupKey, type AutoVerdict } from './auto_check.js';
import type { BackendStatus, BenchReport, BenchRow } from './rows.js';
import { ALL_PATHS, MODES, type PathName } from './sweep.js';

/** A markdown table; `align` per column ('l' or 'r', default 'l'). Pads cells so the source reads as a grid. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string {
  const n = headers.length;
  for (const r of rows) if (r.length !== n) throw new Error(`markdownTable: row has ${r.length} cells, header has ${n}`);
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const width = headers.map((h, i) => Math.max(3, [...esc(h)].length, ...rows.map((r) => [...esc(r[i])].length)));
  const pad = (s: string, i: number): string => {
    const fill = ' '.repeat(width[i] - [...s].length);
    return align[i] === 'r' ? fill + s : s + fill;
  };
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => pad(esc(c), i)).join(' | ')} |`;
  const rule = `|${width.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Milliseconds with three significant digits. */
export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function fmtRatio(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return '–';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** Bytes as MiB (signed, for RSS deltas). */
export function fmtMiB(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '–';
  const m = bytes / 2 ** 20;
  const a = Math.abs(m);
  return a >= 100 ? m.toFixed(0) : a >= 1 ? m.toFixed(1) : m.toFixed(2);
}

export function fmtGflops(g: number | null): string {
  if (g === null || !Number.isFinite(g)) return '–';
  return g >= 100 ? g.toFixed(0) : g >= 10 ? g.toFixed(1) : g.toFixed(2);
}

function timeCell(r: BenchRow | undefined, isPlain: boolean): string {
  if (r === undefined) return '';
  if (r.error !== undefined || r.ms === null) return 'error';
  return isPlain ? fmtMs(r.ms) : `${fmtMs(r.ms)} (${fmtRatio(r.ratio)})`;
}

function memCell(r: BenchRow | undefined): string {
  if (r === undefined) return '';
  if (r.error !== undefined || r.ms === null) return 'error';
  return `${fmtGflops(r.gflops)} · ${fmtMiB(r.scratchBytes)} · ${fmtMiB(r.rssDeltaBytes)}`;
}

interface Section {
  backend: string;
  mode: BenchRow['mode'];
  rows: BenchRow[];
}

function sections(rows: readonly BenchRow[]): Section[] {
  const out: Section[] = [];
  for (const backend of [...new Set(rows.map((r) => r.backend))]) {
    for (const mode of MODES) {
      const rs = rows.filter((r) => r.backend === backend && r.mode === mode);
      if (rs.length > 0) out.push({ backend, mode, rows: rs });
    }
  }
  return out;
}

/** The (shape, batch, K) lines of a section, in first-seen order. */
function lines(rows: readonly BenchRow[]): { shape: string; batch: number; K: number }[] {
  const seen = new Map<string, { shape: string; batch: number; K: number }>();
  for (const r of rows) if (r.K !== null) seen.set(`${r.shape}|${r.batch}|${r.K}`, { shape: r.shape, batch: r.batch, K: r.K });
  return [...seen.values()];
}

/** The two tables of one backend and mode. */
export function sectionTables(rows: readonly BenchRow[], verdicts: readonly AutoVerdict[]): { time: string; memory: string } {
  const paths = ALL_PATHS.filter((p) => rows.some((r) => r.path === p));
  const condPaths = paths.filter((p) => p !== 'plain');
  const byKey = new Map(verdicts.map((v) => [groupKey(v), v]));
  const find = (shape: string, batch: number, K: number | null, path: PathName): BenchRow | undefined =>
    rows.find((r) => r.shape === shape && r.batch === batch && r.K === K && r.path === path);
  const hasAuto = paths.includes('auto');
  const timeRows: string[][] = [];
  const memRows: string[][] = [];
  for (const { shape, batch, K } of lines(rows)) {
    const lead = [shape, String(batch), String(K)];
    const plain = find(shape, batch, K, 'plain') ?? find(shape, batch, null, 'plain');
    const v = byKey.get(groupKey({ backend: rows[0].backend, shape, batch, K, mode: rows[0].mode }));
    timeRows.push([
      ...lead,
      ...paths.map((p) => timeCell(p === 'plain' ? plain : find(shape, batch, K, p), p === 'plain')),
      ...(hasAuto ? [v?.label ?? ''] : []),
    ]);
    memRows.push([...lead, ...paths.map((p) => memCell(p === 'plain' ? plain : find(shape, batch, K, p)))]);
  }
  const lead = ['shape', 'B', 'K'];
  const align = (n: number): ('l' | 'r')[] => ['l', 'r', 'r', ...new Array<'r'>(n).fill('r')];
  const timeHead = [...lead, 'plain ms', ...condPaths.map((p) => `${p} ms (×plain)`), ...(hasAuto ? ['auto pick'] : [])];
  const time = markdownTable(timeHead, timeRows, [...align(paths.length), 'l']);
  const memory = markdownTable([...lead, ...paths], memRows, align(paths.length));
  return { time, memory };
}

function backendLine(b: BackendStatus): string {
  if (!b.available) return `- ${b.name}: unavailable — ${b.reason ?? 'no reason given'}`;
  const info =
    b.info && Object.keys(b.info).length > 0
      ? ` (${Object.entries(b.info)
          .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean)}`)
          .join(', ')})`
      : '';
  return `- ${b.name}: measured${info}`;
}

/** Failed measurements, grouped by backend, shape and message (one line per group with its count and cells). */
export function failureLines(rows: readonly BenchRow[]): string[] {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    if (r.error === undefined) continue;
    const k = `${r.backend}|${r.shape}|${r.errorType ?? 'Error'}: ${r.error}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  if (groups.size === 0) return [];
  const n = [...groups.values()].reduce((a, g) => a + g.length, 0);
  const out = ['', `${n} measurement(s) failed:`];
  for (const g of groups.values()) {
    const cells = g.map((r) => `B=${r.batch} K=${r.K ?? '-'} ${r.path} ${r.mode === 'forward' ? 'fwd' : 'fwd+bwd'}`);
    const shown = cells.length > 4 ? [...cells.slice(0, 4), `… ${cells.length - 4} more`] : cells;
    out.push(`- ${g[0].backend} ${g[0].shape}: ${g[0].errorType ?? 'Error'}: ${g[0].error} (${shown.join('; ')})`);
  }
  return out;
}

/** The whole markdown report: backends, per-section tables, and the rows where auto did not pick the fastest path. */
export function formatReport(report: BenchReport, tolerance = 0.1): string {
  const verdicts = autoVerdicts(report.rows, tolerance);
  const out: string[] = [];
  out.push(
    `## CondConv benchmark (${report.config.preset}) — ${report.machine.cpuModel}, ${report.machine.cores} cores, node ${report.machine.node}${report.machine.wasmSimd === undefined ? '' : `, wasm ${report.machine.wasmSimd}`}`,
  );
  out.push('', ...report.backends.map(backendLine), '', report.method);
  for (const s of sections(report.rows)) {
    const { time, memory } = sectionTables(
      s.rows,
      verdicts.filter((v) => v.backend === s.backend && v.mode === s.mode),
    );
    out.push('', `### ${s.backend} — ${s.mode}: ms (ratio to plain conv)`, '', time);
    out.push('', `### ${s.backend} — ${s.mode}: GFLOP/s · scratch MiB · ΔRSS MiB`, '', memory);
  }
  const flagged = flaggedVerdicts(verdicts);
  const decided = verdicts.filter((v) => v.status !== 'unknown');
  out.push('', `auto picked the fastest path (or one within ${Math.round(tolerance * 100)}%) in ${decided.length - flagged.length} of ${decided.length} rows.`);
  for (const v of flagged) out.push(`- ✗ ${v.backend} ${v.mode} ${v.shape} B=${v.batch} K=${v.K}: ${v.label}`);
  out.push(...failureLines(report.rows));
  return out.join('\n');
}
