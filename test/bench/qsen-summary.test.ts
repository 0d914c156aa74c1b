// bench/qsen/run.mjs --summary ends with one `key=value` line that scripts read; the format and
// its parser live in bench/qsen/summary.mjs. This keeps the three in step (the benchmark itself
// takes minutes and is not run here): the line round-trips, a damaged line is refused, and
// run.mjs passes every figure the line needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH = fileURLToPath(new URL('../../../bench/qsen/', import.meta.url));

interface SummaryModule {
  SUMMARY_KEYS: readonly (readonly [string, string])[];
  formatSummary(figures: Record<string, number>): string;
  parseSummary(output: string): Record<string, number>;
}
const load = async (): Promise<SummaryModule> => (await import(pathToFileURL(`${BENCH}summary.mjs`).href)) as SummaryModule;

test('the summary line names the seven figures in order and parses back to the same numbers', async () => {
  const { SUMMARY_KEYS, formatSummary, parseSummary } = await load();
  assert.deepEqual(SUMMARY_KEYS.map(([key]) => key), ['added_p50_ms', 'added_p99_ms', 'nginx_added_p50_ms', 'nginx_added_p99_ms', 'throughput_ratio', 'cpu_ms_per_order', 'rss_mb']);
  const figures = { addedP50Ms: 0.734, addedP99Ms: -1.5, nginxAddedP50Ms: 0.2, nginxAddedP99Ms: 3.25, throughputRatio: 1.07, cpuMsPerOrder: 0.4567, rssMb: 104.4 };
  const line = formatSummary(figures);
  assert.match(line, /^added_p50_ms=0\.73 added_p99_ms=-1\.50 nginx_added_p50_ms=0\.20 nginx_added_p99_ms=3\.25 throughput_ratio=1\.07 cpu_ms_per_order=0\.457 rss_mb=104\.40$/);
  const parsed = parseSummary(`### a Markdown section\n| table |\n\n${line}\n`);
  assert.deepEqual(parsed, { added_p50_ms: 0.73, added_p99_ms: -1.5, nginx_added_p50_ms: 0.2, nginx_added_p99_ms: 3.25, throughput_ratio: 1.07, cpu_ms_per_order: 0.457, rss_mb: 104.4 });
});

test('a missing figure is refused when formatting, and a damaged line when parsing', async () => {
  const { formatSummary, parseSummary } = await load();
  assert.throws(() => formatSummary({ addedP50Ms: 1 }), TypeError);
  assert.throws(() => formatSummary({ addedP50Ms: NaN, addedP99Ms: 1, nginxAddedP50Ms: 1, nginxAddedP99Ms: 1, throughputRatio: 1, cpuMsPerOrder: 1, rssMb: 1 }), TypeError);
  assert.throws(() => parseSummary('added_p50_ms=1 added_p99_ms=2'), /not a summary line/);
  assert.throws(() => parseSummary('added_p50_ms=1 added_p99_ms=x nginx_added_p50_ms=1 nginx_added_p99_ms=1 throughput_ratio=1 cpu_ms_per_order=1 rss_mb=1'), /not a number/);
});

test('run.mjs prints the line from every figure it needs, last, in --summary mode', async () => {
  const { SUMMARY_KEYS } = await load();
  const source = readFileSync(`${BENCH}run.mjs`, 'utf8');
  const call = source.slice(source.indexOf('if (SUMMARY)'));
  assert.ok(call.includes('console.log(formatSummary({'), 'the summary is printed with formatSummary');
  for (const [, field] of SUMMARY_KEYS) assert.ok(call.includes(`${field}:`), `run.mjs passes ${field}`);
  assert.equal(call.trimEnd().endsWith('}'), true, 'nothing is printed after the summary line');
});
