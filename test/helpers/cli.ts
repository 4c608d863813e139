// Runs the CLI in-process with its output captured: the exit code, stdout and stderr as text.

import type { Command, Io } from '../../cli/command.js';
import { runCli } from '../../cli/dispatch.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `condgrad ...argv` with the given commands; every line written to out/err is collected. */
export async function runCliCaptured(commands: readonly Command[], argv: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => {
      out += `${s}\n`;
    },
    err: (s) => {
      err += `${s}\n`;
    },
  };
  const code = await runCli(argv, commands, io);
  return { code, out, err };
}
