#!/usr/bin/env node
// `npm start`: builds (tsc -b) with a line saying so, a spinner on a terminal and plain lines in
// a pipe, then runs the launcher (dist/src/main.js start). Committed JavaScript, because it runs
// before anything is compiled; the launcher's own progress (src/console/progress.ts) takes over
// from there. Arguments after `npm start --` go to the launcher (e.g. --home DIR).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = fileURLToPath(new URL('../../../', import.meta.url));
const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const tty = process.stdout.isTTY === true;
const first = !existsSync(fileURLToPath(new URL('../dist/src/main.js', import.meta.url)));

/** The newest modification time under `dir` (files and folders: a deletion changes its folder); 0 when absent. */
function newestUnder(dir) {
  let newest = 0;
  const walk = (d) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    newest = Math.max(newest, statSync(d).mtimeMs);
    for (const e of entries) {
      if (e.name === 'dist' || e.name === 'node_modules' || e.name.startsWith('.')) continue;
      const path = join(d, e.name);
      if (e.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/**
 * True when every project's build record (dist/.tsbuildinfo) is newer than that project's own
 * sources, tsconfig and package.json, and than the shared tsconfig: then tsc -b has nothing to do.
 */
function isBuildUpToDate() {
  const mtime = (f) => (existsSync(f) ? statSync(f).mtimeMs : 0);
  const shared = Math.max(mtime(join(repository, 'tsconfig.base.json')), mtime(join(repository, 'tsconfig.json')));
  const projects = [...readdirSync(join(repository, 'packages')).map((p) => join(repository, 'packages', p)), join(repository, 'test')];
  return projects.every((root) => {
    const record = join(root, 'dist', '.tsbuildinfo');
    if (!existsSync(record)) return !existsSync(join(root, 'tsconfig.json'));
    const sources = Math.max(shared, newestUnder(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'package.json')),
      root.endsWith('test') ? newestUnder(root) : newestUnder(join(root, 'test')));
    return sources < statSync(record).mtimeMs;
  });
}

// A warm start skips tsc -b (about a second even when nothing changed) when no source is newer than every build record.
if (!first && process.env['QSEN_FORCE_BUILD'] !== '1' && isBuildUpToDate()) {
  process.stdout.write('launcher: build up to date (no source newer than the last build)\n');
  process.argv = [process.argv[0] ?? process.execPath, fileURLToPath(new URL('../dist/src/main.js', import.meta.url)), 'start', ...process.argv.slice(2)];
  await import('../dist/src/main.js');
  // main.js runs the launcher to its end.
} else {
  await buildThenStart();
}

async function buildThenStart() {
  const what = first ? 'launcher: building (tsc -b; the first build takes a while)' : 'launcher: building (tsc -b; only what changed)';
  const startedAt = Date.now();
  const seconds = () => ((Date.now() - startedAt) / 1000).toFixed(1);

  let frame = 0;
  let timer = null;
  if (tty) {
    const draw = () => process.stdout.write(`\r\u001b[2K${frames[frame++ % frames.length]} ${what} (${seconds()} s)`);
    draw();
    timer = setInterval(draw, 100);
  } else {
    process.stdout.write(`${what}...\n`);
  }

  const build = spawn(process.execPath, [tsc, '-b'], { cwd: repository, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  build.stdout.on('data', (c) => { output += c; });
  build.stderr.on('data', (c) => { output += c; });
  const code = await new Promise((resolve) => {
    build.once('error', (err) => { output += String(err); resolve(1); });
    build.once('close', (c) => resolve(c ?? 1));
  });
  if (timer) {
    clearInterval(timer);
    process.stdout.write('\r\u001b[2K');
  }
  if (code !== 0) {
    process.stderr.write(`${output}launcher: the build failed (tsc -b exited ${code}); fix the errors above and run npm start again\n`);
    process.exit(1);
  }
  process.stdout.write(`launcher: built in ${seconds()} s\n`);
  process.argv = [process.argv[0] ?? process.execPath, fileURLToPath(new URL('../dist/src/main.js', import.meta.url)), 'start', ...process.argv.slice(2)];
  await import('../dist/src/main.js');
}
