#!/usr/bin/env node
// The journal disk's own fdatasync cost (issue 17's tail): what one 300-byte record append +
// fdatasync takes on the folder given (default /var/tmp, the same file system as a local
// state folder), against the same write over blocks that were written (zeroed) first, so that
// fdatasync has no file-size change to commit. 2,000 of each, twice, interleaved.
// Usage: node bench/qsen/fsync.mjs [DIR]
import { openSync, writeSync, fdatasyncSync, closeSync, unlinkSync } from 'node:fs';
const dir = process.argv[2] ?? '/var/tmp';
const N = 2000; const rec = Buffer.alloc(300, 'x');
function run(pre) {
  const f = `${dir}/fs-${pre}-${process.pid}`;
  const fd = openSync(f, 'w+');
  if (pre) { const z = Buffer.alloc(1 << 20); for (let i = 0; i < 4; i++) writeSync(fd, z, 0, z.length, i << 20); fdatasyncSync(fd); }
  const t = [];
  for (let i = 0; i < N; i++) { const s = process.hrtime.bigint(); writeSync(fd, rec, 0, rec.length, i * rec.length); fdatasyncSync(fd); t.push(Number(process.hrtime.bigint() - s) / 1e6); }
  closeSync(fd); unlinkSync(f);
  t.sort((a, b) => a - b);
  return { p50: t[N / 2].toFixed(3), p99: t[Math.floor(N * 0.99)].toFixed(3), max: t[N - 1].toFixed(2) };
}
for (let r = 0; r < 2; r++) console.log(`append ${JSON.stringify(run(false))} prezeroed ${JSON.stringify(run(true))}`);
