// What loading undici costs a process (issue 17): its root entry (fetch, WebSocket, caches,
// mocks and the rest) against only the two modules qsen's transport loads (UNDICI_MODULES in
// packages/qsen/src/senebi/https-transport.ts). Heap used after two full GCs, and VmRSS.
// Usage: node --expose-gc bench/qsen/undici-load.mjs root|deep|none
import { createRequire } from 'node:module';
import { getHeapStatistics } from 'node:v8';

const load = createRequire(import.meta.url);
const mode = process.argv[2] ?? 'none';
const settle = () => { globalThis.gc(); globalThis.gc(); };
settle();
const heap0 = getHeapStatistics().used_heap_size;
const rss0 = process.memoryUsage().rss;
if (mode === 'root') load('undici');
else if (mode === 'deep') for (const m of ['undici/lib/dispatcher/pool.js', 'undici/lib/core/connect.js']) load(m);
settle();
const mib = (bytes) => (bytes / 2 ** 20).toFixed(2);
console.log(`${mode}: heap +${mib(getHeapStatistics().used_heap_size - heap0)} MiB, rss +${mib(process.memoryUsage().rss - rss0)} MiB`);
