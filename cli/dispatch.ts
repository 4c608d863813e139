// Parses argv with util.parseArgs and runs one subcommand; every failure is one line on stderr: bad usage exits 2, any other error 1.

import { parseArgs } from 'node:util';
import { CondgradError } from '../core/errors.js';
import { backendFromEnv } from './backend.js';
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

/** One line: newlines inside a message are folded. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Set CONDGRAD_DEBUG=1 to get the stack of an unexpected error (a bug) after its one-line message. */
const DEBUG_ENV = 'CONDGRAD_DEBUG';

/**
 * Runs argv (without node and the script) against `commands`; returns the exit code. A usage
 * error (unknown command or flag, bad flag value, bad $CONDGRAD_BACKEND) is one line and exit 2;
 * any other failure one line and exit 1, with no stack trace (unless $CONDGRAD_DEBUG is set).
 */
export async function runCli(argv: readonly string[], commands: readonly Command[], io: Io = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(topUsage(commands));
    return name === undefined ? 2 : 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    io.err(`condgrad: unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')}; see condgrad --help)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandUsage(cmd));
    return 0;
  }
  try {
    backendFromEnv();
    const { values, positionals } = parseArgs({ args: [...rest], options: cmd.options, strict: true, allowPositionals: cmd.positionals ?? false });
    return (await cmd.run(values as Record<string, string | boolean | undefined>, positionals, io)) ?? 0;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (e instanceof UsageError || code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`condgrad ${name}: ${oneLine((e as Error).message)} (see condgrad ${name} --help)`);
      return 2;
    }
    if (e instanceof CondgradError) {
      // "condgrad train: train: …" says the command twice: drop the op when it is the command.
      const msg = e.op === name && e.message.startsWith(`${name}: `) ? e.message.slice(name.length + 2) : e.message;
      io.err(`condgrad ${name}: ${oneLine(msg)}`);
      return 1;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`condgrad ${name}: unexpected ${err.name}: ${oneLine(err.message)}${process.env[DEBUG_ENV] ? '' : ` (set ${DEBUG_ENV}=1 for the stack trace)`}`);
    if (process.env[DEBUG_ENV]) io.err(err.stack ?? '');
    return 1;
  }
}
