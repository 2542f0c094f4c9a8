import { AggregationTemporality, MetricReader } from "@opentelemetry/sdk-metrics";

/** One data point of an instrument, as {@link PullMetricReader.points} collects it. */
export interface MetricPoint {
  /** The instrumentation scope (the meter's name). */
  readonly scope: string;
  /** The instrument's name. */
  readonly name: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** A number for counters and gauges; a histogram's `{ count, sum, … }`. */
  readonly value: unknown;
}

/**
 * A metric reader for tests: it exports nothing; a test reads the metrics when it wants them,
 * with {@link PullMetricReader.points}. Register it with an SDK `MeterProvider`'s `readers`.
 */
export class PullMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}

  /** Every data point of every instrument, collected now (cumulative values). */
  async points(): Promise<MetricPoint[]> {
    const { resourceMetrics } = await this.collect();
    const out: MetricPoint[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) {
          out.push({ scope: scope.scope.name, name: metric.descriptor.name, attributes: point.attributes, value: point.value });
        }
      }
    }
    return out;
  }
}
