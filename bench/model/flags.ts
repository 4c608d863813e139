// Command-line flags of the model-level benches: --name value pairs, checked, with defaults.

/** The value after `--name`, or `dflt` when absent. */
export function flagString(argv: readonly string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}

/** A non-negative number flag (0 allowed only where the default is 0, meaning "the default"). */
export function flagNumber(argv: readonly string[], name: string, dflt: number): number {
  const v = Number(flagString(argv, name, String(dflt)));
  if (!Number.isFinite(v) || v < 0 || (v === 0 && dflt !== 0))
    throw new Error(`--${name} must be a positive number, got ${flagString(argv, name, String(dflt))}`);
  return v;
}

/** A comma-separated list flag, empty items dropped. */
export function flagList(argv: readonly string[], name: string, dflt: string): string[] {
  const items = flagString(argv, name, dflt)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new Error(`--${name} needs at least one item`);
  return items;
}
