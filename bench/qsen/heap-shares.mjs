#!/usr/bin/env node
// What a V8 heap snapshot holds (issue 17, qsen's memory): the live objects' own sizes summed by
// kind (node type, and the constructor's name for objects, the first characters for strings),
// largest first, with counts, so that what grows with the orders held shows by its count.
// Usage: node bench/qsen/heap-shares.mjs FILE.heapsnapshot [--top N]
//   (bench/qsen/run.mjs --heap-snapshot writes one of the stand-in qsen at the end of its closed loop)
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((a) => a.endsWith('.heapsnapshot'));
if (!file) throw new Error('usage: node bench/qsen/heap-shares.mjs FILE.heapsnapshot [--top N]');
const topAt = args.indexOf('--top');
const TOP = topAt === -1 ? 30 : Number(args[topAt + 1]);

const snapshot = JSON.parse(readFileSync(file, 'utf8'));
const fields = snapshot.snapshot.meta.node_fields;
const types = snapshot.snapshot.meta.node_types[0];
const { nodes, strings } = snapshot;
const width = fields.length;
const at = { type: fields.indexOf('type'), name: fields.indexOf('name'), size: fields.indexOf('self_size') };
const groups = new Map();
let total = 0;
for (let i = 0; i < nodes.length; i += width) {
  const type = types[nodes[i + at.type]];
  const size = nodes[i + at.size];
  const name = strings[nodes[i + at.name]] ?? '';
  // Strings by their length's order of magnitude and first characters (a book entry's compact form starts `[1,"`).
  const key = type === 'string' || type === 'concatenated string' || type === 'sliced string'
    ? `${type}, ${name.length < 32 ? 'under 32 chars' : name.length < 128 ? '32-127 chars' : name.length < 512 ? `128-511 chars, "${name.slice(0, 4)}…"` : '512+ chars'}`
    : type === 'object' || type === 'closure' || type === 'native' ? `${type} ${name.slice(0, 60)}` : type;
  const group = groups.get(key) ?? { count: 0, bytes: 0 };
  group.count += 1;
  group.bytes += size;
  groups.set(key, group);
  total += size;
}
console.log(`${file}: ${(total / 2 ** 20).toFixed(2)} MiB live in ${nodes.length / width} nodes`);
console.log('| kind | count | MiB | share |');
console.log('|---|---|---|---|');
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, TOP)) {
  console.log(`| ${key.replace(/\|/g, '\\|')} | ${g.count} | ${(g.bytes / 2 ** 20).toFixed(2)} | ${((100 * g.bytes) / total).toFixed(1)}% |`);
}
