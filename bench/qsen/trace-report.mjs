// Reads a window written by bench/qsen/trace.mjs and says where qsen's time went (issue 17).
// Usage: node bench/qsen/trace-report.mjs FILE.json [...]   (run.mjs --trace prints it itself)
import { readFileSync } from 'node:fs';

const pct = (values, q) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};
const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** The window's figures: per-request segments (ms) and what overlapped them. */
export function analyseTrace(trace) {
  const done = trace.requests.filter((r) => r.forward !== undefined && r.answered !== undefined && r.finish !== undefined);
  const fsyncs = trace.fsyncs;
  const overlapping = (from, to) => fsyncs.filter((s) => s.end > from && s.start < to);
  const segments = {
    total: done.map((r) => r.finish - r.start),
    beforeForward: done.map((r) => r.forward - r.start),
    senebi: done.map((r) => r.answered - r.forward),
    afterAnswer: done.map((r) => r.finish - r.answered),
    runQueue: done.map((r) => r.runDelay ?? NaN).filter(Number.isFinite),
    fsync: fsyncs.map((s) => s.end - s.start),
  };
  // fsyncs a request's journal wait overlapped: 2 or more means it waited behind another batch's.
  const waits = done.map((r) => overlapping(r.start, r.forward).length);
  // The slowest 1 %: what their time before the forward was made of.
  const slow = [...done].sort((a, b) => (b.finish - b.start) - (a.finish - a.start)).slice(0, Math.max(1, Math.ceil(done.length / 100)));
  const connects = trace.connects ?? [];
  const connectIn = (r) => connects.filter((c) => c.end > r.forward && c.start < r.answered).length;
  const gcIn = (r) => trace.gcs.filter((g) => g.start + g.ms > r.start && g.start < r.finish).reduce((s, g) => s + g.ms, 0);
  return {
    requests: done.length,
    fsyncs: fsyncs.length,
    fsyncsPerOrder: fsyncs.length / Math.max(1, done.length),
    behindAnotherFsync: waits.filter((n) => n >= 2).length / Math.max(1, done.length),
    segments: Object.fromEntries(Object.entries(segments).map(([k, v]) => [k, { p50: pct(v, 0.5), p90: pct(v, 0.9), p99: pct(v, 0.99), max: pct(v, 1) }])),
    slowest: {
      n: slow.length,
      totalMs: pct(slow.map((r) => r.finish - r.start), 0.5),
      beforeForwardMs: pct(slow.map((r) => r.forward - r.start), 0.5),
      senebiMs: pct(slow.map((r) => r.answered - r.forward), 0.5),
      afterAnswerMs: pct(slow.map((r) => r.finish - r.answered), 0.5),
      gcMs: pct(slow.map(gcIn), 0.5),
      fsyncsOverlapped: pct(slow.map((r) => overlapping(r.start, r.forward).length), 0.5),
      runQueueMs: pct(slow.map((r) => r.runDelay ?? NaN), 0.5),
      withNewConnection: slow.filter((r) => connectIn(r) > 0).length,
    },
    connects: { n: connects.length, p50: pct(connects.map((c) => c.end - c.start), 0.5), max: pct(connects.map((c) => c.end - c.start), 1) },
    writesByFile: Object.fromEntries([...new Set((trace.writes ?? []).map((w) => w.file))].map((file) => {
      const ms = trace.writes.filter((w) => w.file === file).map((w) => w.ms);
      return [file, { n: ms.length, p50: pct(ms, 0.5), p99: pct(ms, 0.99), max: pct(ms, 1), over1ms: ms.filter((x) => x > 1).length, totalMs: ms.reduce((a, b) => a + b, 0) }];
    })),
    gc: { pauses: trace.gcs.length, totalMs: trace.gcs.reduce((s, g) => s + g.ms, 0), maxMs: Math.max(0, ...trace.gcs.map((g) => g.ms)) },
    loopDelayMs: trace.loopDelayMs,
  };
}

/** Markdown for one analysed window. */
export function formatTrace(label, a) {
  const rows = Object.entries(a.segments).map(([k, s]) => `| ${k} | ${f(s.p50)} | ${f(s.p90)} | ${f(s.p99)} | ${f(s.max)} |`).join('\n');
  return `#### inside ${label}: ${a.requests} sendOrders, ${a.fsyncs} fdatasyncs (${a.fsyncsPerOrder.toFixed(2)} per order), ${(a.behindAnotherFsync * 100).toFixed(1)} % waited behind another batch's fdatasync

| segment (ms) | p50 | p90 | p99 | max |
|---|---|---|---|---|
${rows}

Slowest 1 % (${a.slowest.n}), medians: total ${f(a.slowest.totalMs)}, before the forward ${f(a.slowest.beforeForwardMs)}, SENEBI leg ${f(a.slowest.senebiMs)}, after the answer ${f(a.slowest.afterAnswerMs)}, GC inside ${f(a.slowest.gcMs)}, waiting for a CPU ${f(a.slowest.runQueueMs)}, fdatasyncs overlapped ${a.slowest.fsyncsOverlapped}, ${a.slowest.withNewConnection} of them with a new SENEBI connection made during their SENEBI leg.
New SENEBI connections in the window: ${a.connects.n} (TCP and TLS handshake p50 ${f(a.connects.p50)}, max ${f(a.connects.max)} ms).
${Object.entries(a.writesByFile ?? {}).map(([file, w]) => `writeSync to ${file}: ${w.n} calls, p50 ${f(w.p50)}, p99 ${f(w.p99)}, max ${f(w.max)} ms, ${w.over1ms} over 1 ms, ${f(w.totalMs)} ms in all (the event loop blocked)`).join('\n')}
GC: ${a.gc.pauses} pauses, ${f(a.gc.totalMs)} ms in all, longest ${f(a.gc.maxMs)} ms. Event-loop delay p50 ${f(a.loopDelayMs.p50)}, p99 ${f(a.loopDelayMs.p99)}, max ${f(a.loopDelayMs.max)} ms.
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) console.log(formatTrace(file, analyseTrace(JSON.parse(readFileSync(file, 'utf8')))));
}
