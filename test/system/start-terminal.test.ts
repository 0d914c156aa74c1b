// `npm start` on a real terminal (script(1) gives it a pty and records every byte): the build
// step and the waiting step draw a spinner in place (carriage return, erase line, a braille
// frame), each step ends as a plain line, and the one READY line comes after every process
// answers. A warm start (build up to date, state folder there) is timed and printed (bench/RESULTS.md
// has the figures; no timing is asserted here). Hard deadlines; the process group is killed in finally.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, requireTool, waitFor } from '@qsen/testkit';
import { allocatePorts, buildSystemEnv, initStateFolderLikeNpm, REPOSITORY } from '../support/system.js';

const START = join(REPOSITORY, 'packages/launcher/bin/start.js');
/** ESC [2K: erase the line, escaped for a RegExp. */
const ERASE_LINE = '\u001b\\[2K';

describe('npm start on a terminal', () => {
  it('spinner frames on the pty, one plain line per finished step, READY last', async (t) => {
    const script = requireTool('script', 'util-linux');
    if (typeof script !== 'string') return t.skip(script.skip);
    const dir = makeTempDir('qsen-start-tty-');
    const home = join(dir.path, 'home');
    const ports = await allocatePorts();
    await initStateFolderLikeNpm(home, ports);
    const record = join(dir.path, 'typescript');
    const startedAt = Date.now();
    // -e: script exits with the child's code; -f: flush the record as output comes; -q: no banner.
    const child = spawn(script, ['-q', '-e', '-f', '-c', `exec ${process.execPath} ${START}`, record], {
      cwd: REPOSITORY, env: { ...buildSystemEnv(home, ports), TERM: 'xterm' }, stdio: ['pipe', 'ignore', 'ignore'], detached: true,
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const text = (): string => { try { return readFileSync(record, 'utf8'); } catch { return ''; } };
    try {
      await waitFor(() => text().includes('launcher: READY'), { timeoutMs: 120_000, intervalMs: 100, what: 'READY on the terminal' })
        .catch((err: unknown) => { throw new Error(`${String(err)}; the terminal so far:\n${text()}`); });
      t.diagnostic(`warm start to READY: ${Date.now() - startedAt} ms (load average ${(await import('node:os')).loadavg()[0]?.toFixed(2)})`);
      const out = text();
      // The build step: skipped when up to date, or a spinner then "built in".
      assert.match(out, /launcher: (build up to date|built in [\d.]+ s)/);
      // The steps draw frames in place on a terminal ...
      const redraw = (step: string): RegExp => new RegExp(`\r${ERASE_LINE}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] launcher: ${step} \\([\\d.]+ s\\)`);
      assert.match(out, redraw('starting the processes'));
      assert.match(out, redraw('waiting for .* to answer'));
      // ... never the pipe's "..." form ...
      assert.doesNotMatch(out, /launcher: starting the processes\.\.\./);
      // ... and each finished step is a plain line; READY comes after every process answers, once.
      assert.match(out, /launcher: processes started in [\d.]+ s\r?\n/);
      const answers = out.indexOf('launcher: every process answers,');
      assert.ok(answers > 0 && answers < out.indexOf('launcher: READY'), out);
      assert.equal(out.split('launcher: READY').length - 1, 1);
    } finally {
      // The launcher runs in script's pty session: stop it by its pid file, then script's group.
      const launcherPid = Number(((): string => { try { return readFileSync(join(home, 'run/launcher.pid'), 'utf8'); } catch { return '0'; } })().trim());
      if (launcherPid > 0) { try { process.kill(launcherPid, 'SIGTERM'); } catch { /* gone */ } }
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
      try { process.kill(-(child.pid ?? 0), 'SIGTERM'); } catch { /* gone */ }
      const deadline = setTimeout(() => { try { process.kill(-(child.pid ?? 0), 'SIGKILL'); } catch { /* gone */ } }, 30_000);
      await exited;
      clearTimeout(deadline);
      dir.remove();
    }
  });
});
