/**
 * Runs one qsenctl command line and returns its exit code (0 ok, 1 API error, 2 usage,
 * 3 connection/TLS, 4 profile/identity). Never reads process.env: main.ts passes it in.
 */
import { readFileSync } from 'node:fs';
import { createOutput, type TextOutput } from '../commands/output.js';
import { CtlError, EXIT_CODES } from '../errors.js';
import { renderCompletion } from './completion.js';
import { commandHelp, parseCommandLine, USAGE, type Invocation } from './parse.js';
import { systemClock, type Clock } from '@qsen/core/schedule';

/** What a run needs from its surroundings. */
export interface CliEnvironment {
  readonly stdout: TextOutput;
  readonly stderr: TextOutput & { readonly columns?: number };
  readonly cwd: string;
  /** QSEN_HOME, HOME, XDG_CONFIG_HOME as main.ts read them. */
  readonly qsenHome?: string | undefined;
  readonly home?: string | undefined;
  readonly xdgConfigHome?: string | undefined;
  /** The clock of certificate explanations and expiries (default the system clock). */
  readonly clock?: Clock;
  /** Ends `logs tail -f` (main.ts aborts it on SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
}

/** qsenctl's own version (from its package.json). */
export function readCtlVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

async function execute(invocation: Invocation, env: CliEnvironment): Promise<void> {
  const { global, command } = invocation;
  const out = createOutput(global.json, env.stdout, env.stderr);
  const clock = env.clock ?? systemClock;
  if (command.kind === 'help') {
    env.stdout.write(command.topic === undefined ? USAGE : commandHelp(command.topic));
    return;
  }
  if (command.kind === 'completion') {
    env.stdout.write(renderCompletion(command.shell));
    return;
  }
  if (command.kind === 'version') {
    if (global.json) out.data({ version: readCtlVersion() });
    else out.text(`qsenctl ${readCtlVersion()}`);
    return;
  }
  // Loaded only for commands that talk to a node: help, version and completion stay fast (bench/RESULTS.md).
  const [{ resolveTarget }, { createClient }, { dispatch }, { explainQsenRefusal }] = await Promise.all([
    import('../profile/profile.js'), import('../client/client.js'), import('../commands/dispatch.js'), import('../commands/window-hint.js'),
  ]);
  const target = resolveTarget({
    profileFile: global.profile, as: global.as, host: global.host, qsenHome: env.qsenHome, home: env.home, xdgConfigHome: env.xdgConfigHome, cwd: env.cwd,
  });
  const client = createClient(target, { timeoutMs: global.timeoutMs, clock });
  try {
    await dispatch(command, client, out, { cwd: env.cwd, progress: env.stderr, signal: env.signal }, clock);
  } catch (err) {
    // qsen refused the connection: outside the window that is by design, and the kans say when it opens.
    if (err instanceof CtlError) throw await explainQsenRefusal(client, err);
    throw err;
  }
}

/** Writes a failure: words on stderr, and with --json the error object on stdout. */
function reportFailure(err: CtlError, json: boolean, env: CliEnvironment): void {
  const status = err.status === undefined ? '' : ` (HTTP ${err.status})`;
  env.stderr.write(`qsenctl: ${err.kind === 'api' ? `${err.code}${status}: ` : ''}${err.message}\n`);
  if (err.kind === 'usage') env.stderr.write('Run `qsenctl help` for the commands and options.\n');
  if (json) {
    createOutput(true, env.stdout, env.stderr).data({
      error: { code: err.code, message: err.message, ...(err.status === undefined ? {} : { status: err.status }), ...(err.details === undefined ? {} : { details: err.details }) },
      exitCode: err.exitCode,
    });
  }
}

/** Runs qsenctl with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], env: CliEnvironment): Promise<number> {
  const json = argv.includes('--json');
  try {
    await execute(parseCommandLine(argv), env);
    return EXIT_CODES.ok;
  } catch (err) {
    if (err instanceof CtlError) {
      reportFailure(err, json, env);
      return err.exitCode;
    }
    throw err;
  }
}
