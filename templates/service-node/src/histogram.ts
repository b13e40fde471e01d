// http_request_duration_seconds as a collector that prom-client's registry reads at scrape time: each series
// keeps plain bucket counts, its sum and its count. prom-client's own Histogram validates and re-hashes the
// label values on every observation, even through a bound child (about 0.7 µs of each request,
// bench/service-node, docs/adr/0020); here a request adds 1 to one bucket of a series it already holds.
// The exposition is prom-client's: `# TYPE histogram`, cumulative `_bucket{le=...}` lines up to `+Inf`, `_sum`
// and `_count`, written by the registry like any of its metrics.
import type { Histogram, Registry } from "prom-client";

export interface HistogramSeries {
  /** Observations per bucket, not cumulative: index i counts values <= bounds[i] and above the bound before it;
   * the last index counts values above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export class BucketHistogram<Label extends string> {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly all: { labels: Record<Label, string>; data: HistogramSeries }[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    // The registry takes any object with name, help, type, aggregator and get(); its type names only its own
    // four metric classes.
    registry.registerMetric(this as unknown as Histogram<Label>);
  }

  /** A new series for these label values (the caller keeps it and observes into it). */
  addSeries(labels: Record<Label, string>): HistogramSeries {
    const data: HistogramSeries = { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
    this.all.push({ labels, data });
    return data;
  }

  observe(series: HistogramSeries, value: number): void {
    const bounds = this.bounds;
    let index = 0;
    while (index < bounds.length && value > (bounds[index] as number)) index += 1;
    series.counts[index] = (series.counts[index] as number) + 1;
    series.sum += value;
    series.count += 1;
  }

  /** What prom-client's registry writes: the same samples as its Histogram's. */
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const { labels, data } of this.all) {
      let cumulative = 0;
      this.bounds.forEach((le, index) => {
        cumulative += data.counts[index] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf", ...labels }, value: data.count });
      values.push({ metricName: `${this.name}_sum`, labels, value: data.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: data.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** registry.resetMetrics(): every series back to zero. */
  reset(): void {
    for (const { data } of this.all) {
      data.counts.fill(0);
      data.sum = 0;
      data.count = 0;
    }
  }
}
