// The metrics table in the README is the instruments the server registers: same names, kinds,
// units, attributes and Prometheus names. A new instrument, a renamed one or a new attribute fails
// here until the table says so.
import { readFileSync } from "node:fs";
import { createNoopMeter, type Meter, type MeterProvider } from "@opentelemetry/api";
import { MeterProvider as SdkMeterProvider } from "@opentelemetry/sdk-metrics";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { createXdsServer } from "@xdskit/server";
import { PullMetricReader } from "@xdskit/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { TestCache } from "./test-cache.test-helper.js";
import { connectClient, type TestClient } from "./test-clients.test-helper.js";
import { cluster, type Harness, NODE, startServer, until } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;

interface Documented {
  readonly name: string;
  readonly prometheus: string;
  readonly kind: string;
  readonly unit: string;
  readonly attributes: readonly string[];
}

/** The rows of the metrics table in the README's "Client status, CSDS and metrics" section. */
function documented(): Documented[] {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Client status, CSDS and metrics"));
  const rows: Documented[] = [];
  for (const line of section.slice(0, section.indexOf("\n## ")).split("\n")) {
    const row = /^\| `([a-z.]+)` \(`([a-z_]+)`\) \| ([a-z -]+), `([^`]+)` \| (.*?) \| [^|]+ \|$/.exec(line);
    if (row === null) continue;
    const [, name = "", prometheus = "", kind = "", unit = "", attributes = ""] = row;
    // Attribute names are the backquoted words that start with xds. (values such as `sotw` are not).
    rows.push({ name, prometheus, kind, unit, attributes: [...attributes.matchAll(/`(xds\.[a-z.]+)`/g)].map((m) => m[1] ?? "").sort() });
  }
  return rows;
}

const KINDS: Record<string, string> = {
  createCounter: "counter",
  createObservableCounter: "counter",
  createUpDownCounter: "up-down counter",
  createObservableUpDownCounter: "up-down counter",
  createHistogram: "histogram",
  createGauge: "gauge",
  createObservableGauge: "gauge",
};

/** A meter provider that records every instrument created (name, kind, unit) and otherwise does nothing. */
function recordingProvider(into: Array<{ meter: string; name: string; kind: string; unit: string }>): MeterProvider {
  return {
    getMeter(meterName: string): Meter {
      const noop = createNoopMeter();
      return new Proxy(noop, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          const kind = typeof property === "string" ? KINDS[property] : undefined;
          if (kind === undefined || typeof value !== "function") return value;
          return (name: string, options?: { unit?: string }) => {
            into.push({ meter: meterName, name, kind, unit: options?.unit ?? "" });
            return (value as (n: string, o?: unknown) => unknown).call(target, name, options);
          };
        },
      });
    },
  };
}

/** Per instrument with data, the attribute names its points carry. */
async function attributeNames(reader: PullMetricReader): Promise<Map<string, string[]>> {
  const names = new Map<string, Set<string>>();
  for (const point of await reader.points()) {
    const set = names.get(point.name) ?? new Set<string>();
    for (const key of Object.keys(point.attributes)) set.add(key);
    names.set(point.name, set);
  }
  return new Map([...names].map(([name, set]) => [name, [...set].sort()]));
}

describe("the README's metrics table", () => {
  let harness: Harness | undefined;
  let client: TestClient | undefined;
  afterEach(async () => {
    client?.close();
    await harness?.close();
  });

  it("lists exactly the instruments the server registers, with their kind, unit and Prometheus name", async () => {
    const rows = documented();
    expect(rows.length).toBeGreaterThan(5);
    const created: Array<{ meter: string; name: string; kind: string; unit: string }> = [];
    const server = createXdsServer(new TestCache(), { meterProvider: recordingProvider(created) });
    await server.close();
    expect(created.every((c) => c.meter === "@xdskit/server")).toBe(true);
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(created.map(({ name, kind, unit }) => ({ name, kind, unit })).sort(byName)).toEqual(
      rows.map(({ name, kind, unit }) => ({ name, kind, unit })).sort(byName),
    );
    // OpenTelemetry's Prometheus exporter: dots become underscores, counters end in _total, no unit suffix.
    for (const row of rows) expect(row.prometheus).toBe(`${row.name.replaceAll(".", "_")}${row.kind === "counter" ? "_total" : ""}`);
  });

  it("gives each instrument the attributes the table says, once there is traffic", async () => {
    const reader = new PullMetricReader();
    harness = await startServer({ fastPath: true, meterProvider: new SdkMeterProvider({ readers: [reader] }) });
    const { cache, server } = harness;
    client = connectClient(harness.url);
    cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
    const ads = client.open(ADS);
    ads.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
    const v1 = await ads.next();
    ads.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v1.nonce });
    cache.set(CLUSTER_TYPE_URL, "v2", [cluster("a", 2)]);
    const v2 = await ads.next();
    ads.send({ typeUrl: CLUSTER_TYPE_URL, versionInfo: "v1", responseNonce: v2.nonce, errorDetail: { code: 3, message: "no" } });
    await until(() => server.context.clientStatus()[0]?.types[0]?.state === "nacked");
    // A rejection: a first request without a node.
    const bad = client.open(ADS);
    bad.send({ typeUrl: CLUSTER_TYPE_URL });
    expect((await bad.status).code).toBe(3);

    const seen = await attributeNames(reader);
    expect(Object.fromEntries([...seen].sort(([a], [b]) => a.localeCompare(b)))).toEqual(
      Object.fromEntries(documented().map((row) => [row.name, row.attributes] as const).sort(([a], [b]) => a.localeCompare(b))),
    );
  });
});
