// findFreePort hands each port out once per process: a conf.toml built from four calls in a row
// must get four distinct ports (a CI run once failed when the kernel gave a just-closed port again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
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
