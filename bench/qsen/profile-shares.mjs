#!/usr/bin/env node
// Shares of a .cpuprofile (node --cpu-prof): each sample is charged to the nearest frame on its
// stack that belongs to a package (node_modules/NAME, or packages/NAME/src/FOLDER of this
// repository); samples with none are Node's own work (TLS, HTTP, sockets), GC, or idle.
// Usage: node bench/qsen/profile-shares.mjs FILE.cpuprofile [--top N] [--functions]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args[0];
const top = Number(args[args.indexOf('--top') + 1]) || 25;
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const ownerOf = (url) => {
  let m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  m = /packages\/([^/]+)\/(?:dist\/)?src\/([^/]+)/.exec(url);
  if (m) return `${m[1]}/${m[2].replace(/\.js$/, '')}`;
  return undefined;
};
const charge = new Map();
const fn = new Map();
const cache = new Map();
const labelOf = (id) => {
  if (cache.has(id)) return cache.get(id);
  const node = byId.get(id);
  const name = node.callFrame.functionName;
  let label;
  if (name === '(garbage collector)') label = '(gc)';
  else if (name === '(idle)') label = '(idle)';
  else if (name === '(program)') label = '(program)';
  else {
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const owner = ownerOf(byId.get(at).callFrame.url);
      if (owner) { label = owner; break; }
    }
    label ??= 'node internals';
  }
  cache.set(id, label);
  return label;
};
let total = 0;
let idle = 0;
for (const id of profile.samples) {
  const label = labelOf(id);
  if (label === '(idle)') { idle++; continue; }
  total++;
  charge.set(label, (charge.get(label) ?? 0) + 1);
  const frame = byId.get(id).callFrame;
  const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(node_modules|packages)\//, '')}:${frame.lineNumber}`;
  fn.set(key, (fn.get(key) ?? 0) + 1);
}
console.log(`| share | where (nearest package frame) |\n|---|---|`);
for (const [label, n] of [...charge].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${((100 * n) / total).toFixed(1)}% | ${label} |`);
console.log(`\n${total} busy samples, ${idle} idle (${((100 * idle) / (total + idle)).toFixed(0)}% idle)`);
if (args.includes('--functions')) {
  console.log('\nself time by function:');
  for (const [key, n] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * n) / total).toFixed(1)}%  ${key}`);
}
