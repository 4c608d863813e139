// Parses argv with util.parseArgs and runs one subcommand: usage on unknown commands or flags (exit 2), errors (exit 1).

import { parseArgs } from 'node:util';
import { CondgradError } from '../core/errors.js';
import { UsageError, type Command, type Io } from './command.js';

const defaultIo: Io = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
};

/** The top-level usage: every command with its description. */
export function topUsage(commands: readonly Command[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: condgrad <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.description}`),
    '',
    "Run 'condgrad <command> --help' for the command's flags.",
  ].join('\n');
}

export function commandUsage(c: Command): string {
  return `Usage: condgrad ${c.name} [flags]\n\n${c.description}\n\n${c.usage}`;
}

/** Runs argv (without node and the script) against `commands`; returns the exit code. */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: Io = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(topUsage(commands));
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    io.err(`condgrad: unknown command '${name}'\n\n${topUsage(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandUsage(cmd));
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({ args: [...rest], options: cmd.options, strict: true, allowPositionals: cmd.positionals ?? false });
    return (await cmd.run(values as Record<string, string | boolean | undefined>, positionals, io)) ?? 0;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (e instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`condgrad ${name}: ${(e as Error).message}\n\n${commandUsage(cmd)}`);
      return 2;
    }
    if (e instanceof CondgradError) {
      io.err(`condgrad ${name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
