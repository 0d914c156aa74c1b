// Where a window's allocations were made (bench/qsen/trace.mjs with QSEN_TRACE_ALLOC=1): V8's
// sampling heap profile, garbage included, each sample's bytes charged to its innermost frame
// (--self) or to the nearest frame of each package (default). Usage:
//   node bench/qsen/alloc-report.mjs FILE.alloc.json [--orders N] [--self]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const profile = JSON.parse(readFileSync(args[0], 'utf8'));
const orders = args.includes('--orders') ? Number(args[args.indexOf('--orders') + 1]) : undefined;
const SELF = args.includes('--self');
const packageOf = (url) => {
  if (!url) return '(V8 / native)';
  const m = /packages\/([^/]+)\/(?:dist\/)?src\/([^/]+)/.exec(url) ?? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[2] && !url.includes('node_modules') ? `${m[1]}/${m[2].replace(/\.js$/, '')}` : m[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url;
};
const totals = new Map();
let all = 0;
const walk = (node, stack) => {
  const frame = { name: node.callFrame.functionName || '(anonymous)', url: node.callFrame.url, line: node.callFrame.lineNumber + 1 };
  const path = [...stack, frame];
  if (node.selfSize > 0) {
    all += node.selfSize;
    let key;
    if (SELF) key = `${frame.name} ${packageOf(frame.url)}:${frame.line}`;
    else {
      const own = [...path].reverse().find((f) => f.url && !f.url.startsWith('node:')) ?? frame;
      key = packageOf(own.url);
    }
    totals.set(key, (totals.get(key) ?? 0) + node.selfSize);
  }
  for (const child of node.children ?? []) walk(child, path);
};
walk(profile.head, []);
console.log(`sampled ${(all / 2 ** 20).toFixed(1)} MiB${orders ? `, ${(all / orders / 1024).toFixed(1)} KiB per order` : ''}`);
for (const [key, bytes] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((bytes / all) * 100).toFixed(1).padStart(5)} %  ${orders ? `${(bytes / orders).toFixed(0).padStart(6)} B/order  ` : ''}${key}`);
}
