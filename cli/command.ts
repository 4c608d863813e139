// The subcommand contract and flag helpers shared by every CLI subcommand: typed option parsing, usage errors (exit 2).

import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | undefined>;

/** Where a command writes: results to `out`, diagnostics and progress to `err`. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** One subcommand: its flags (for util.parseArgs), one-line description, and what it does. */
export interface Command {
  readonly name: string;
  readonly description: string;
  /** Flag help lines (after "Usage: condgrad <name>"). */
  readonly usage: string;
  readonly options: OptionSpec;
  /** Whether positional arguments are accepted (default false). */
  readonly positionals?: boolean;
  /** Returns the exit code (default 0). Throw UsageError for bad flag values. */
  run(values: Values, positionals: string[], io: Io): Promise<number | void>;
}

/** A bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function raw(values: Values, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** A string flag restricted to `choices`. */
export function choice<T extends string>(values: Values, name: string, choices: readonly T[], dflt: T): T {
  const v = raw(values, name) ?? dflt;
  if (!choices.includes(v as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got '${v}'`);
  return v as T;
}

/** A numeric flag within [min, max] (an integer when `integer`). */
export function num(values: Values, name: string, dflt: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const s = raw(values, name);
  if (s === undefined) return dflt;
  const v = Number(s);
  const { min = -Infinity, max = Infinity, integer = false } = opts;
  if (s.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    const range = `${min === -Infinity ? '' : `>= ${min}`}${min !== -Infinity && max !== Infinity ? ' and ' : ''}${max === Infinity ? '' : `<= ${max}`}`;
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}; got '${s}'`);
  }
  return v;
}

/** A string flag, or `dflt`. */
export function str(values: Values, name: string, dflt: string): string;
export function str(values: Values, name: string): string | undefined;
export function str(values: Values, name: string, dflt?: string): string | undefined {
  return raw(values, name) ?? dflt;
}

/** Whether a flag was given at all. */
export function given(values: Values, name: string): boolean {
  return values[name] !== undefined;
}
