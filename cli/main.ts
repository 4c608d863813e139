// The condgrad CLI entry: the subcommand registry (add a command with one line) and the dispatch call.

import '../kernels/register.js';
import { benchCommand } from './bench.js';
import type { Command } from './command.js';
import { runCli } from './dispatch.js';
import { exportCommand } from './export.js';
import { reproduceCommand } from './reproduce.js';
import { summaryCommand } from './summary.js';
import { trainCommand } from './train.js';

const COMMANDS: readonly Command[] = [trainCommand, summaryCommand, reproduceCommand, benchCommand, exportCommand];

process.exitCode = await runCli(process.argv.slice(2), COMMANDS);
