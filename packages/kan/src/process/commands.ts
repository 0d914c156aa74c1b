/**
 * The fixed diagnostic commands of /kan/v1/cmd/*: with the collapse-range primitive of log
 * truncation (logs/collapse.ts), the only child processes a kan runs itself (fixed argument
 * lists, no shell, a timeout and an output cap).
 */
import { kanErrors } from '../errors.js';

/** The commands the cmd endpoints may run. */
export type FixedCommand = 'top' | 'ls';

/** What one fixed command produced. */
export interface CommandOutput {
  readonly command: string;
  readonly exitCode: number | null;
  readonly output: string;
  /** True when the output reached the cap and was cut there (the command was stopped). */
  readonly truncated: boolean;
  readonly durationMs: number;
}

/** The argument list of a fixed command (pure). */
export function argumentsOf(command: FixedCommand, installDir: string): readonly string[] {
  return command === 'top' ? ['-b', '-n', '1'] : ['-Rlath', '--', installDir];
}

/** Runs `top -b -n 1` or `ls -Rlath <installDir>` with a timeout and an output cap. */
export async function runFixedCommand(command: FixedCommand, opts: { installDir: string; timeoutMs?: number; maxBytes?: number }): Promise<CommandOutput> {
  const args = argumentsOf(command, opts.installDir);
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const { execa } = await import('execa'); // loaded on first use: an idle kan does not carry it
  const started = performance.now();
  const result = await execa(command, args, {
    reject: false,
    timeout: opts.timeoutMs ?? 10_000,
    maxBuffer: { stdout: maxBytes, stderr: 64 * 1024 },
    encoding: 'utf8',
    stdin: 'ignore',
    stripFinalNewline: false,
    env: { LC_ALL: 'C', COLUMNS: '200', TERM: 'dumb' },
    extendEnv: false,
  });
  const durationMs = Math.round(performance.now() - started);
  const printable = `${command} ${args.join(' ')}`;
  if (result.timedOut) throw kanErrors.create('COMMAND_TIMEOUT', `${command} did not finish in time`, { command: printable });
  if (result.isMaxBuffer) return { command: printable, exitCode: null, output: String(result.stdout).slice(0, maxBytes), truncated: true, durationMs };
  if (result.exitCode === undefined || (result.failed && result.exitCode === 0)) {
    throw kanErrors.create('COMMAND_FAILED', `${command} could not run`, { command: printable, reason: result.shortMessage });
  }
  // ls exits 1 for unreadable sub-folders: the listing is still worth returning.
  return { command: printable, exitCode: result.exitCode, output: String(result.stdout) + String(result.stderr), truncated: false, durationMs };
}
