import { fileURLToPath } from "node:url";
import { metrics } from "@opentelemetry/api";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { modulesLoadedBy, PullMetricReader } from "@xdskit/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { METER_NAME, ServerTelemetry } from "./server-telemetry.js";

/** The server's metrics: name → the value of each data point (a histogram's count). */
async function serverMetrics(reader: PullMetricReader): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const point of await reader.points()) {
    if (point.scope !== METER_NAME) continue;
    const value = typeof point.value === "number" ? point.value : (point.value as { count: number }).count;
    out.set(point.name, [...(out.get(point.name) ?? []), value]);
  }
  return out;
}

/** One response of three resources and its ACK, counted by a telemetry made now. */
function oneAckedResponse(): ServerTelemetry {
  const telemetry = new ServerTelemetry(undefined, () => []);
  const counters = telemetry.countersOf("sotw", CLUSTER_TYPE_URL);
  telemetry.responseSent(counters, 3, 120, 0.002);
  telemetry.acked(counters, 0.01);
  return telemetry;
}

describe("ServerTelemetry without a meter provider in the options", () => {
  afterEach(() => metrics.disable());

  it("records into the provider the application registered globally", async () => {
    const reader = new PullMetricReader();
    expect(metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))).toBe(true);
    oneAckedResponse();
    const seen = await serverMetrics(reader);
    expect(seen.get("xds.server.responses")).toEqual([1]);
    expect(seen.get("xds.server.acks")).toEqual([1]);
    expect(seen.get("xds.server.response.bytes")).toEqual([120]);
    expect(seen.get("xds.server.push.duration")).toEqual([1]);
    expect(seen.get("xds.server.convergence.duration")).toEqual([1]);
    expect(seen.get("xds.server.response.resources")).toEqual([1]);
  });

  it("records nothing when no provider was registered when it was made, as the API's own meters", async () => {
    const telemetry = oneAckedResponse();
    const reader = new PullMetricReader();
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    telemetry.responseSent(telemetry.countersOf("sotw", CLUSTER_TYPE_URL), 1, 10, 0.001);
    expect((await serverMetrics(reader)).size).toBe(0);
    // Its counters still count: client status and CSDS read them, not the meter.
    expect(telemetry.countersOf("sotw", CLUSTER_TYPE_URL).responses).toBe(2);
  });

  it("does not load @opentelemetry/api in a process that registered no provider", async () => {
    // A fresh process imports the built package, makes a telemetry and lists the modules it loaded.
    const internal = new URL("../dist/internal.js", import.meta.url).href;
    const script = `
      const { ServerTelemetry } = await import(${JSON.stringify(internal)});
      new ServerTelemetry(undefined, () => []).countersOf("sotw", "t");`;
    const loaded = await modulesLoadedBy(script, { cwd: fileURLToPath(new URL("..", import.meta.url)) });
    expect(loaded.length).toBeGreaterThan(10);
    expect(loaded.filter((u) => u.includes("@opentelemetry"))).toEqual([]);
  }, 60_000);
});
