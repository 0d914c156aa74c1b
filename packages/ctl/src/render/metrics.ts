/** Parsing the Prometheus text format into samples, for `qsenctl metrics --json`. */

/** One sample line. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** The value exactly as written (e.g. "1", "0.25", "+Inf", "NaN"). */
  readonly value: string;
}

/** One metric family: its HELP, TYPE and samples. */
export interface MetricFamily {
  readonly name: string;
  type: string;
  help: string;
  readonly samples: MetricSample[];
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of text.matchAll(pattern)) {
    const key = m[1];
    const raw = m[2];
    if (key !== undefined && raw !== undefined) labels[key] = raw.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

/** The family a sample belongs to (histogram and summary suffixes folded). */
function familyOf(sample: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sample.endsWith(suffix)) {
      const base = sample.slice(0, -suffix.length);
      if (families.has(base)) return base;
    }
  }
  return sample;
}

/** Parses Prometheus text exposition into families in order of appearance. */
export function parsePrometheusText(text: string): MetricFamily[] {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2] ?? '');
      if (meta[1] === 'HELP') f.help = meta[3] ?? '';
      else f.type = meta[3] ?? 'untyped';
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!sample) continue;
    const name = sample[1] ?? '';
    family(familyOf(name, families)).samples.push({ name, labels: parseLabels(sample[2] ?? ''), value: sample[3] ?? '' });
  }
  return [...families.values()];
}
