// Runs job files in child processes, at most `jobs` at a time, each child's output going to its own log file.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { CondgradError } from '../../core/errors.js';

/** How to start a child: `command args... <jobFile>`. */
export interface WorkerCommand {
  command: string;
  args: string[];
}

/**
 * The command that re-runs this very CLI as `condgrad reproduce --worker <jobFile>`: the same node,
 * the same node flags (e.g. a TypeScript loader) and the same entry script.
 */
export function selfWorkerCommand(): WorkerCommand {
  return { command: process.execPath, args: [...process.execArgv, process.argv[1], 'reproduce', '--worker'] };
}

export interface PoolTask {
  id: string;
  jobFile: string;
  /** stdout and stderr of the child. */
  logFile: string;
}

export interface PoolOutcome {
  id: string;
  ok: boolean;
  seconds: number;
  /** The exit code or signal and the log's last lines, when the child failed. */
  error?: string;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function runOne(task: PoolTask, worker: WorkerCommand, live: Set<ChildProcess>): Promise<PoolOutcome> {
  const t0 = performance.now();
  const fd = openSync(task.logFile, 'w');
  return new Promise<PoolOutcome>((resolve) => {
    const done = (ok: boolean, why: string): void => {
      live.delete(child);
      closeSync(fd);
      const seconds = (performance.now() - t0) / 1000;
      resolve(ok ? { id: task.id, ok, seconds } : { id: task.id, ok, seconds, error: `${why}\n${tail(task.logFile, 15)}`.trimEnd() });
    };
    const child = spawn(worker.command, [...worker.args, task.jobFile], { stdio: ['ignore', fd, fd] });
    live.add(child);
    child.once('error', (e) => done(false, `could not start ${worker.command}: ${e.message}`));
    child.once('exit', (code, signal) => done(code === 0, signal !== null ? `killed by ${signal}` : `exit code ${code}`));
  });
}

/**
 * Runs every task's job file as `worker.command ...worker.args jobFile`, `jobs` children at a
 * time, in the given order. Resolves when all have ended (a failed child does not stop the
 * others); `onDone` hears of each as it ends. SIGINT or SIGTERM to this process stops the
 * running children first, then this process.
 */
export async function runPool(
  tasks: readonly PoolTask[],
  jobs: number,
  worker: WorkerCommand,
  onDone: (o: PoolOutcome, finished: number) => void = () => undefined,
): Promise<PoolOutcome[]> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new CondgradError('runPool', `jobs must be a positive integer, got ${jobs}`);
  const outcomes = new Array<PoolOutcome>(tasks.length);
  const live = new Set<ChildProcess>();
  const onSignal = (sig: NodeJS.Signals): void => {
    for (const c of live) c.kill('SIGTERM');
    stopListening();
    process.kill(process.pid, sig);
  };
  const stopListening = (): void => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let nextTask = 0;
  let finished = 0;
  const lane = async (): Promise<void> => {
    while (nextTask < tasks.length) {
      const i = nextTask++;
      outcomes[i] = await runOne(tasks[i], worker, live);
      onDone(outcomes[i], ++finished);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, lane));
  } finally {
    stopListening();
  }
  return outcomes;
}
