#!/usr/bin/env node
// On-CPU shares of a `perf record -g` of qsen (bench/qsen/run.mjs --perf DIR; qsen runs with
// --perf-basic-prof so JavaScript frames are named). Each sample is charged like
// profile-shares.mjs charges a V8 profile: to the nearest frame on its stack that belongs to a
// package (node_modules/NAME, or packages/NAME/src/FOLDER of this repository). Samples with none
// are split by what they are: garbage collection, Node's own JavaScript (node:… frames: HTTP,
// TLS, streams), kernel, OpenSSL/libuv/V8 without a JavaScript caller. Threads other than the
// main one (V8's GC helpers, the libuv pool) are shown apart.
// Usage: node bench/qsen/perf-shares.mjs DIR/qsen.perf.data [--top N] [--functions] [--under LABEL]
//   --functions: the nearest package frame's function, per label;
//   --under LABEL: for the samples charged to LABEL, the leaf symbols.
import { execFileSync } from 'node:child_process';

const args = process.argv.slice(2);
const file = args[0];
const top = Number(args[args.indexOf('--top') + 1]) || 25;
const under = args.includes('--under') ? args[args.indexOf('--under') + 1] : undefined;
const text = execFileSync('perf', ['script', '-i', file, '-F', 'pid,tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });

const ownerOf = (sym) => {
  let m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(sym);
  if (m) return m[1];
  m = /packages\/([^/]+)\/(?:dist\/)?src\/([^/:]+)/.exec(sym);
  if (m) return `${m[1]}/${m[2].replace(/\.js$/, '')}`;
  return undefined;
};
const isGc = (sym) => /Scavenger|MarkCompact|Heap::|Sweeper|ConcurrentMarking|MinorMarkCompact|GCTracer|Heap_|LocalHeap|MemoryAllocator|Evacuat|MarkingVisitor|IncrementalMarking/.test(sym);

const charge = new Map();
const fns = new Map();
const leaves = new Map();
let total = 0;
let mainTid;
const add = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
for (const block of text.split('\n\n')) {
  const lines = block.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) continue;
  const head = /^\s*(\d+)\/(\d+)/.exec(lines[0]) ?? /^\s*(\d+)\s+(\d+)/.exec(lines[0]);
  if (!head) continue;
  const [pid, tid] = [head[1], head[2]];
  mainTid ??= pid;
  const frames = lines.slice(1).map((l) => {
    const m = /^\s*[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$/.exec(l);
    return m ? { sym: m[1], dso: m[2] } : { sym: l.trim(), dso: '' };
  });
  if (frames.length === 0) continue;
  total++;
  const leaf = frames[0];
  let label;
  let owner;
  if (tid !== pid) label = isGc(frames.map((f) => f.sym).join(' ')) ? 'other threads: GC helpers' : `other threads: ${/uv_|uv__|fs::|worker/i.test(frames.map((f) => f.sym).join(' ')) ? 'libuv pool (fs)' : 'other'}`;
  else if (frames.some((f) => isGc(f.sym))) label = '(gc, main thread)';
  else {
    owner = frames.find((f) => ownerOf(f.sym) !== undefined);
    if (owner) label = ownerOf(owner.sym);
    else if (frames.some((f) => /JS:.*node:/.test(f.sym))) label = 'node internals (JS: http, tls, streams)';
    else if (leaf.dso.includes('kernel')) label = 'kernel, no JS caller (epoll, syscalls)';
    else label = 'native, no JS caller (libuv, OpenSSL, V8)';
  }
  add(charge, label);
  if (owner) add(fns, `${label}  ${owner.sym.replace(/^JS:\*?/, '').replace(/file:\/\/\/.*?\/(node_modules|packages)\//, '')}`);
  if (under === label) add(leaves, `${leaf.sym.replace(/file:\/\/\/.*?\/(node_modules|packages)\//, '')} [${leaf.dso.replace(/^.*\//, '')}]`);
}
const pct = (n) => `${((100 * n) / total).toFixed(1)}%`;
console.log('| share | where (nearest package frame, else what the sample is) |\n|---|---|');
for (const [label, n] of [...charge].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${pct(n)} | ${label} |`);
console.log(`\n${total} on-CPU samples`);
if (args.includes('--functions')) {
  console.log('\nnearest package function:');
  for (const [key, n] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(n)}  ${key}`);
}
if (under) {
  console.log(`\nleaf symbols under ${under}:`);
  for (const [key, n] of [...leaves].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(n)}  ${key}`);
}
