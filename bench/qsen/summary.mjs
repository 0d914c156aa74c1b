// The one-line summary of bench/qsen/run.mjs --summary, and its parser (test/bench checks that
// the two agree, so scripts reading the line do not rot).

/** The summary's keys, in the order the line prints them, with the result field each comes from. */
export const SUMMARY_KEYS = [
  ['added_p50_ms', 'addedP50Ms'],
  ['added_p99_ms', 'addedP99Ms'],
  ['nginx_added_p50_ms', 'nginxAddedP50Ms'],
  ['nginx_added_p99_ms', 'nginxAddedP99Ms'],
  ['throughput_ratio', 'throughputRatio'],
  ['cpu_ms_per_order', 'cpuMsPerOrder'],
  ['rss_mb', 'rssMb'],
];

/** Formats the line: `key=value` pairs separated by one space, each value a finite number. */
export function formatSummary(figures) {
  return SUMMARY_KEYS.map(([key, field]) => {
    const value = figures[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`summary figure ${field} is not a finite number: ${value}`);
    return `${key}=${value.toFixed(field === 'cpuMsPerOrder' ? 3 : 2)}`;
  }).join(' ');
}

/** Parses the last line of a run's output into { added_p50_ms: number, ... }; throws when it is not a summary line. */
export function parseSummary(output) {
  const line = output.trimEnd().split('\n').at(-1) ?? '';
  const pairs = line.split(' ').map((pair) => pair.split('='));
  const keys = pairs.map(([key]) => key);
  if (keys.join(' ') !== SUMMARY_KEYS.map(([key]) => key).join(' ')) throw new Error(`not a summary line: ${line}`);
  const figures = {};
  for (const [key, value] of pairs) {
    if (!/^-?\d+(\.\d+)?$/.test(value ?? '')) throw new Error(`summary ${key} is not a number: ${value}`);
    figures[key] = Number(value);
  }
  return figures;
}
