import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type { SnapshotCache } from "@xdskit/cache-snapshot";
import { typeNameOfUrl } from "@xdskit/cache-core";

/** The app's metrics: the xDS server's instruments and the cache's sizes, read by Prometheus at /metrics. */
export interface AppMetrics {
  readonly meterProvider: MeterProvider;
  /** Answers a Prometheus scrape (text exposition format). */
  readonly exporter: PrometheusExporter;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry's Prometheus exporter as a pull reader (no server of its
 * own: the admin port serves /metrics), over a meter provider the app hands
 * to `createXdsServer`. The library instruments only through
 * `@opentelemetry/api`; this exporter reads those instruments as they are,
 * where prom-client would need a bridge. Adds the cache's resources per
 * group and type and its open watches per group.
 */
export function createAppMetrics(cache: SnapshotCache, groups: () => readonly string[]): AppMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const meter = meterProvider.getMeter("xdskit-example-control-plane");
  const resources = meter.createObservableUpDownCounter("xds.cache.resources", { unit: "{resource}", description: "Resources in the snapshot of each node group, by type" });
  const watches = meter.createObservableUpDownCounter("xds.cache.watches", { unit: "{watch}", description: "Open watches on the snapshot cache, by node key and protocol" });
  meter.addBatchObservableCallback(
    (result) => {
      for (const group of groups()) {
        const snapshot = cache.getSnapshot(group);
        if (snapshot === undefined) continue;
        for (const typeUrl of snapshot.typeUrls()) {
          result.observe(resources, snapshot.resources(typeUrl).size, { "xds.group": group, "xds.type": typeNameOfUrl(typeUrl) });
        }
      }
      for (const key of cache.statusKeys()) {
        const info = cache.statusInfo(key);
        if (info === undefined) continue;
        result.observe(watches, info.sotwWatches, { "xds.group": key, "xds.protocol": "sotw" });
        result.observe(watches, info.deltaWatches, { "xds.group": key, "xds.protocol": "delta" });
      }
    },
    [resources, watches],
  );
  return { meterProvider, exporter, shutdown: () => meterProvider.shutdown() };
}
