// The server's own diagnostic of a silent hang: a proxy that asked for a type
// and got no first response within firstResponseWarnMs is warned about once
// per node and type (whatever the cache, even one without a logger), and an
// info line says when the answer came.
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, type LogFields, type Logger } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { describe, expect, it } from "vitest";
import { connectClient } from "./test-clients.test-helper.js";
import { cluster, endpoints, NODE, SERVING, startServer, until } from "./test-fixtures.test-helper.js";

interface Line {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields: LogFields | undefined;
}

function recordingLogger(): Logger & { readonly lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: keyof Logger) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const warnings = (logger: { lines: Line[] }) => logger.lines.filter((l) => l.level === "warn");

describe.each(SERVING)("first-response warning, $name", ({ serve }) => {
  it("warns once per node when no snapshot exists for it, then says when the answer came", async () => {
    const logger = recordingLogger();
    const cache = createSnapshotCache({ ads: true }); // no logger: the server must speak for itself
    const harness = await startServer({ ...serve, logger, firstResponseWarnMs: 150 }, cache as never);
    const client = connectClient(harness.url);
    try {
      // Two streams of the same node (Envoy reconnecting): one warning.
      const first = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
      first.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
      const second = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
      second.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
      await until(() => warnings(logger).length > 0);
      await first.nothing(400);
      expect(warnings(logger)).toHaveLength(1);
      const [warning] = warnings(logger);
      expect(warning?.message).toMatch(
        /^node "node-1" \(cluster "test"\) has waited \d+\.\d s for its first Cluster response, asking for every one \(wildcard\): the cache has not answered/,
      );
      expect(warning?.fields).toMatchObject({ node: "node-1", cluster: "test", typeUrl: CLUSTER_TYPE_URL, nameCount: -1 });

      cache.setSnapshot("node-1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
      await first.next();
      await second.next();
      await until(() => logger.lines.some((l) => l.level === "info" && l.message.includes("got its first Cluster response")));
      const answered = logger.lines.filter((l) => l.message.includes("got its first"));
      expect(answered).toHaveLength(1);
      expect(answered[0]?.message).toMatch(/^node "node-1" got its first Cluster response after \d+\.\d s$/);
      first.cancel();
      second.cancel();
    } finally {
      client.close();
      await harness.close();
    }
  });

  it("names the endpoints a cluster waits on when the cache holds them back", async () => {
    const logger = recordingLogger();
    const cache = createSnapshotCache({ ads: true });
    cache.setSnapshot("node-1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")], [ENDPOINT_TYPE_URL]: [endpoints("a")] }));
    const harness = await startServer({ ...serve, logger, firstResponseWarnMs: 150 }, cache as never);
    const client = connectClient(harness.url);
    try {
      const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
      stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
      await stream.next();
      stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"] });
      await until(() => warnings(logger).length > 0);
      expect(warnings(logger)).toHaveLength(1);
      expect(warnings(logger)[0]?.message).toMatch(
        /^node "node-1" \(cluster "test"\) has waited \d+\.\d s for its first ClusterLoadAssignment response, asking for "a", "b": /,
      );
      expect(warnings(logger)[0]?.fields).toMatchObject({ typeUrl: ENDPOINT_TYPE_URL, names: ["a", "b"], nameCount: 2 });
      stream.cancel();
    } finally {
      client.close();
      await harness.close();
    }
  });

  it("says nothing when answered in time, for a subscription to nothing, or when turned off", async () => {
    for (const firstResponseWarnMs of [150, 0]) {
      const logger = recordingLogger();
      const cache = createSnapshotCache({ ads: true });
      cache.setSnapshot("node-1", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")] }));
      const harness = await startServer({ ...serve, logger, firstResponseWarnMs }, cache as never);
      const client = connectClient(harness.url);
      try {
        const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
        stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
        await stream.next();
        // An EDS request naming nothing waits for nothing; with the warning off, neither does "zz".
        stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: firstResponseWarnMs === 0 ? ["zz"] : [] });
        await stream.nothing(500);
        expect(logger.lines.filter((l) => l.level !== "debug")).toEqual([]);
        stream.cancel();
      } finally {
        client.close();
        await harness.close();
      }
    }
  });
});
