// findFreePort hands each port out once per process: a conf.toml built from four calls in a row
// must get four distinct ports (a CI run once failed when the kernel gave a just-closed port again),
// and test files running at once must not get each other's (claims in $TMPDIR/qsen-test-ports).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findFreePort } from '../src/tmp.js';

test('findFreePort never returns the same port twice in one process, and each is bindable', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 300; i++) ports.push(await findFreePort());
  assert.equal(new Set(ports).size, ports.length, 'every port handed out once');
  for (const port of ports.slice(0, 20)) {
    await new Promise<void>((resolve, reject) => {
      const server = createServer().once('error', reject).listen(port, '127.0.0.1', () => server.close(() => resolve()));
    });
  }
});

test('two processes taking ports at the same time never share one, and none is in the kernel\'s ephemeral range', async () => {
  const script = `import { findFreePort } from ${JSON.stringify(new URL('../src/tmp.js', import.meta.url).href)};
    const out = []; for (let i = 0; i < 400; i++) out.push(await findFreePort()); process.stdout.write(JSON.stringify(out));`;
  const take = (): Promise<number[]> => new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as number[])));
  });
  const [a, b] = await Promise.all([take(), take()]);
  const first = new Set(a);
  assert.deepEqual((b ?? []).filter((p) => first.has(p)), [], 'no port handed to both processes');
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  for (const port of [...(a ?? []), ...(b ?? [])]) assert.ok(port < (lo ?? 0) || port > (hi ?? 0), `${port} outside ${lo}-${hi}`);
});
