/**
 * A real terminal for the terminal cases (completion, Ctrl-C, spinners): a detached tmux session
 * on a private server socket, keys sent with `send-keys`, the screen read with `capture-pane`.
 * Every wait has a deadline; `close()` kills the private server (and with it every process the
 * session started), and callers run it in `finally`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '@qsen/testkit';

const run = promisify(execFile);
let sessions = 0;

/** A tmux session running one shell. */
export interface Terminal {
  /** Types `text` (literally), then Enter when `enter` is true. */
  type(text: string, opts?: { enter?: boolean }): Promise<void>;
  /** Sends tmux key names (`C-c`, `Tab`, `Enter`). */
  keys(...names: string[]): Promise<void>;
  /** The visible screen plus scroll-back, as text. */
  screen(): Promise<string>;
  /** Waits until the screen matches, or fails with the screen after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Kills the session's tmux server. */
  close(): Promise<void>;
}

/** Opens a terminal (200 x 50) running `shell` with `env`, in `cwd`. */
export async function openTerminal(tmux: string, opts: { shell: readonly string[]; env: Readonly<Record<string, string>>; cwd: string }): Promise<Terminal> {
  const socket = `qsen-test-${process.pid}-${++sessions}`;
  const tm = (...args: string[]): Promise<{ stdout: string }> => run(tmux, ['-L', socket, ...args], { timeout: 10_000 });
  // The server, started by this first call, passes its environment (only `env`) to the shell.
  await run(tmux, ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '200', '-y', '50', '-c', opts.cwd, '--', ...opts.shell], { timeout: 10_000, env: { ...opts.env } });
  await tm('set-option', '-g', 'history-limit', '5000');
  const screen = async (): Promise<string> => (await tm('capture-pane', '-p', '-J', '-S', '-5000')).stdout;
  return {
    async type(text, { enter = false } = {}) {
      await tm('send-keys', '-l', text);
      if (enter) await tm('send-keys', 'Enter');
    },
    async keys(...names) {
      await tm('send-keys', ...names);
    },
    screen,
    async waitFor(pattern, timeoutMs = 30_000) {
      try {
        return await waitFor(async () => { const text = await screen(); return pattern.test(text) ? text : null; }, { timeoutMs, intervalMs: 100, what: `${String(pattern)} on the terminal` });
      } catch (err) {
        throw new Error(`${(err as Error).message}; the screen:\n${await screen().catch(() => '(gone)')}`);
      }
    },
    async close() {
      await tm('kill-server').catch(() => undefined);
    },
  };
}
