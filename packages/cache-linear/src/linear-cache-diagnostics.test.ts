import { create } from "@bufbuild/protobuf";
import { createSubscription, ENDPOINT_TYPE_URL, type LogFields, type Logger, SECRET_TYPE_URL } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

interface Line {
  readonly level: string;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

/** A logger that keeps every line but debug ones. */
function recorder(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) => {
    if (level !== "debug") lines.push({ level, message, fields });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const cla = (name: string) => create(ClusterLoadAssignmentSchema, { clusterName: name });
const node = (id: string) => ({ id, cluster: "edge" });
const ignore = () => {};

function sotwWatch(cache: ReturnType<typeof createLinearCache>, id: string, names: string[], typeUrl = ENDPOINT_TYPE_URL) {
  const request = create(DiscoveryRequestSchema, { typeUrl, node: node(id), resourceNames: names, versionInfo: cache.version() });
  return cache.createWatch(request, createSubscription({ resourceNames: names }), ignore);
}

describe("linear cache diagnostics", () => {
  it("names the clusters a node waits on endpoints for, once per node and set of names", () => {
    const logger = recorder();
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [cla("a")], logger, versionPrefix: "eds-" });
    sotwWatch(cache, "envoy-1", ["a", "b"]);
    expect(logger.lines).toEqual([
      {
        level: "info",
        message: 'node "envoy-1" (cluster "edge") has 1 cluster waiting on endpoints missing from the linear cache at version "eds-0": "b"',
        fields: { node: "envoy-1", cluster: "edge", typeUrl: ENDPOINT_TYPE_URL, version: "eds-0", missing: ["b"], missingCount: 1 },
      },
    ]);
    // Steady state: the same subscription again, SotW or delta, says nothing.
    for (let i = 0; i < 50; i++) sotwWatch(cache, "envoy-1", ["b", "a"]);
    const delta = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node: node("envoy-1") });
    cache.createDeltaWatch(delta, createSubscription({ resourceNames: ["a", "b"] }), ignore);
    expect(logger.lines).toHaveLength(1);
    // Another node is told on its own.
    sotwWatch(cache, "envoy-2", ["b"]);
    expect(logger.lines).toHaveLength(2);
    // The endpoints arrive: nothing to say; they go again: said again.
    cache.updateResource(cla("b"));
    sotwWatch(cache, "envoy-1", ["a", "b"]);
    cache.deleteResource("b");
    sotwWatch(cache, "envoy-1", ["a", "b"]);
    expect(logger.lines.map((line) => line.message)).toEqual([
      'node "envoy-1" (cluster "edge") has 1 cluster waiting on endpoints missing from the linear cache at version "eds-0": "b"',
      'node "envoy-2" (cluster "edge") has 1 cluster waiting on endpoints missing from the linear cache at version "eds-0": "b"',
      'node "envoy-1" (cluster "edge") has 1 cluster waiting on endpoints missing from the linear cache at version "eds-2": "b"',
    ]);
  });

  it("lists 10 names and counts the rest; glob and wildcard subscriptions are not checked", async () => {
    const logger = recorder();
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, logger });
    sotwWatch(cache, "n1", ["ns/*"]);
    sotwWatch(cache, "n2", []);
    await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node: node("n3"), resourceNames: ["*", "x"] }));
    expect(logger.lines).toHaveLength(0);
    const names = Array.from({ length: 30 }, (_, i) => `c${i}`);
    sotwWatch(cache, "n1", names);
    expect(logger.lines[0]?.message).toMatch(/has 30 clusters waiting on endpoints missing from the linear cache at version "0": "c0", .*"c9" … \(20 more\)$/);
    expect(logger.lines[0]?.fields).toMatchObject({ missingCount: 30 });
    expect(logger.lines[0]?.fields?.missing).toHaveLength(10);
    // A fetch by name is checked too.
    await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, node: node("n4"), resourceNames: ["y"] }));
    expect(logger.lines).toHaveLength(2);
  });

  it("speaks of names for other types", () => {
    const logger = recorder();
    const cache = createLinearCache({ schema: SecretSchema, logger });
    sotwWatch(cache, "n1", ["tls"], SECRET_TYPE_URL);
    expect(logger.lines.map((line) => line.message)).toEqual(['node "n1" (cluster "edge") requests 1 Secret name missing from the linear cache at version "0": "tls"']);
  });

  it("remembers at most 10,000 nodes: the least recently seen is forgotten first", () => {
    const logger = recorder();
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, logger });
    for (let i = 0; i <= 10_000; i++) sotwWatch(cache, `n${i}`, ["x"]);
    expect(logger.lines).toHaveLength(10_001);
    sotwWatch(cache, "n10000", ["x"]);
    expect(logger.lines).toHaveLength(10_001);
    sotwWatch(cache, "n0", ["x"]);
    expect(logger.lines).toHaveLength(10_002);
  });
});
