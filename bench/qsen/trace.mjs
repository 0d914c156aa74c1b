// A bench-only trace of where qsen's time goes on a sendOrder (issue 17), loaded into qsen with
// `node --import bench/qsen/trace.mjs` (run.mjs --trace): nothing in qsen's code knows of it.
// It timestamps, per sendOrder request, from Node's and undici's diagnostics channels:
//   start    the request's headers were parsed ('http.server.request.start')
//   forward  the SENEBI request was created ('undici:request:create'; after the journal's fsync)
//   answered SENEBI's answer was complete ('undici:request:trailers')
//   finish   the answer was written ('http.server.response.finish')
// and, process-wide, every new SENEBI connection ('undici:client:beforeConnect' to
// 'undici:client:connected': TCP and the TLS handshake), every fdatasync (FileHandle.prototype.datasync, start and end), every GC
// pause (PerformanceObserver 'gc': kind and duration), every synchronous write (fs.writeSync,
// which blocks the event loop: the file, the bytes and how long) and the event loop's delay
// histogram.
// Per request, also the time qsen's main thread spent runnable but waiting for a CPU
// (/proc/self/task/PID/schedstat, second field, read at start and finish): on a 2-core machine
// the load generator, qsen and the SENEBI share two cores.
// The request of a SENEBI call is found through AsyncLocalStorage (entered at request start).
// With QSEN_TRACE_ALLOC=1 it also samples every allocation of the window, garbage included (V8's
// sampling heap profiler with the objects later collected), written to $QSEN_TRACE_FILE.alloc.json.
// SIGUSR2 starts a window (clears what was gathered); the next SIGUSR2 writes the window to
// $QSEN_TRACE_FILE as JSON (bench/qsen/trace-report.mjs reads it) and starts a new one.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Session } from 'node:inspector';
import { subscribe } from 'node:diagnostics_channel';
import fs, { readlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { open } from 'node:fs/promises';
import { PerformanceObserver, monitorEventLoopDelay, performance } from 'node:perf_hooks';

const out = process.env.QSEN_TRACE_FILE;
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
/** ms the main thread has waited on a run queue since it started. */
const runDelayMs = () => {
  try {
    return Number(fs.readFileSync(SCHEDSTAT, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
};
const store = new AsyncLocalStorage();
let requests = [];
let fsyncs = [];
let gcs = [];
let connects = [];
let writes = [];
let windowStart = performance.now();
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();

subscribe('http.server.request.start', ({ request }) => {
  if (request.method !== 'POST' || request.url !== '/qsen/v1/sendOrder') return;
  const r = { start: performance.now(), runDelayStart: runDelayMs() };
  request.__trace = r;
  store.enterWith(r);
});
subscribe('http.server.response.finish', ({ request }) => {
  const r = request.__trace;
  if (!r) return;
  r.finish = performance.now();
  r.runDelay = runDelayMs() - r.runDelayStart;
  if (r.start >= windowStart) requests.push(r);
});
subscribe('undici:request:create', ({ request }) => {
  const r = store.getStore();
  if (!r || r.forward !== undefined) return;
  r.forward = performance.now();
  request.__trace = r;
});
// A request that finds every pooled connection busy waits for a new one: its handshake is in its SENEBI leg.
subscribe('undici:client:beforeConnect', () => {
  connects.push({ start: performance.now() });
});
subscribe('undici:client:connected', () => {
  const pending = connects.findLast((c) => c.end === undefined);
  if (pending) pending.end = performance.now();
});
subscribe('undici:request:trailers', ({ request }) => {
  const r = request.__trace;
  if (r && r.answered === undefined) r.answered = performance.now();
});

// Every FileHandle shares one prototype: wrap its datasync once.
const probe = await open(process.execPath, 'r');
const proto = Object.getPrototypeOf(probe);
await probe.close();
const datasync = proto.datasync;
proto.datasync = async function tracedDatasync() {
  const start = performance.now();
  try {
    return await datasync.call(this);
  } finally {
    fsyncs.push({ start, end: performance.now() });
  }
};

// Synchronous writes (journal batches, its durable length, the audit chain): they run on the
// event loop's thread, so one that waits for the disk stalls every request.
const writeSync = fs.writeSync;
const fdNames = new Map();
const nameOf = (fd) => {
  if (!fdNames.has(fd)) {
    let name = String(fd);
    try {
      name = readlinkSync(`/proc/self/fd/${fd}`).replace(/^.*\//, '').replace(/-\d{4}-\d{2}-\d{2}/, '-DATE');
    } catch {
      // closed already
    }
    fdNames.set(fd, name);
  }
  return fdNames.get(fd);
};
fs.writeSync = function tracedWriteSync(fd, ...rest) {
  const start = performance.now();
  try {
    return writeSync.call(this, fd, ...rest);
  } finally {
    writes.push({ start, ms: performance.now() - start, file: nameOf(fd) });
  }
};
syncBuiltinESMExports();

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration, kind: e.detail?.kind ?? e.kind });
}).observe({ entryTypes: ['gc'] });

const alloc = process.env.QSEN_TRACE_ALLOC === '1' ? new Session() : undefined;
alloc?.connect();
const post = (method, params) => new Promise((resolve, reject) => alloc.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
let sampling = false;
async function turnAllocationWindow() {
  if (sampling) {
    const { profile } = await post('HeapProfiler.stopSampling');
    writeFileSync(`${out}.alloc.json`, JSON.stringify(profile));
  }
  await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  sampling = true;
}

process.on('SIGUSR2', () => {
  if (alloc) void turnAllocationWindow();
  if (out && requests.length > 0) {
    const ms = (q) => loop.percentile(q) / 1e6;
    writeFileSync(out, JSON.stringify({
      windowMs: performance.now() - windowStart,
      connects: connects.filter((c) => c.end !== undefined && c.start >= windowStart),
      requests, fsyncs: fsyncs.filter((f) => f.start >= windowStart), gcs: gcs.filter((g) => g.start >= windowStart), writes: writes.filter((w) => w.start >= windowStart),
      loopDelayMs: { p50: ms(50), p90: ms(90), p99: ms(99), max: loop.max / 1e6 },
    }));
  }
  requests = [];
  connects = connects.filter((c) => c.end === undefined);
  fsyncs = [];
  gcs = [];
  writes = [];
  fdNames.clear();
  loop.reset();
  windowStart = performance.now();
});
