/**
 * Prometheus' text exposition format (0.0.4), written by hand: a daemon's counters are a few dozen
 * numbers, and prom-client would add its registry and default collectors to every daemon's start-up
 * and memory for nothing we need (measured in bench/metrics/exposition.ts). Names follow the
 * conventions: a `ltsp_` prefix, units in the name, `_total` for counters, base units (seconds).
 * Checked in the tests by `promtool check metrics`, the reference parser.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

export interface HistogramData {
  /** Upper bounds in seconds, ascending; +Inf is added. */
  bounds: readonly number[];
  /** Observations per bucket (not cumulative), one more than `bounds` (the last is above every bound). */
  counts: readonly number[];
  sum: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and newline; HELP text backslash and newline. */
const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  for (const [k] of entries) if (!LABEL_NAME.test(k)) throw new RangeError(`bad label name ${JSON.stringify(k)}`);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

/** Samples of a histogram family: cumulative buckets with `le`, then `_sum` and `_count`. */
export function histogramSamples(name: string, data: HistogramData, labels: Record<string, string> = {}): Array<Sample & { suffix: string }> {
  const out: Array<Sample & { suffix: string }> = [];
  let cumulative = 0;
  data.bounds.forEach((bound, i) => {
    cumulative += data.counts[i] ?? 0;
    out.push({ suffix: '_bucket', labels: { ...labels, le: String(bound) }, value: cumulative });
  });
  cumulative += data.counts[data.bounds.length] ?? 0;
  out.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: cumulative });
  out.push({ suffix: '_sum', labels, value: data.sum });
  out.push({ suffix: '_count', labels, value: cumulative });
  return out;
}

/** The whole exposition, families in order. A histogram family's samples carry their suffix. */
export function formatExposition(families: ReadonlyArray<MetricFamily | (Omit<MetricFamily, 'samples'> & { samples: Array<Sample & { suffix?: string }> })>): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new RangeError(`bad metric name ${JSON.stringify(f.name)}`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples as Array<Sample & { suffix?: string }>) lines.push(`${f.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}
