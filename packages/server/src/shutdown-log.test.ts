// A deliberate end of a stream (the server closing, the client cancelling or
// half-closing) is not a failure: nothing is logged as one, at any level.
import { CLUSTER_TYPE_URL, type LogFields, type Logger } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { describe, expect, it } from "vitest";
import { CLIENT_KINDS, openClient } from "./test-clients.test-helper.js";
import { cluster, NODE, SERVING, startServer, until } from "./test-fixtures.test-helper.js";

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

const ending = ["server close", "client cancel", "client half-close"] as const;

describe.each(SERVING)("a deliberate end of a stream, $name", ({ serve }) => {
  describe.each(CLIENT_KINDS)("%s client", (kind) => {
    it.each(ending)("%s: no failure is logged, the end is logged at debug", async (how) => {
      const logger = recordingLogger();
      let closed = 0;
      const harness = await startServer({ ...serve, logger, callbacks: {
          onStreamClosed: () => {
            closed += 1;
          },
        },
      });
      harness.cache.set(CLUSTER_TYPE_URL, "v1", [cluster("a")]);
      const client = openClient(kind, harness.url);
      try {
        const stream = client.open(AggregatedDiscoveryService.method.streamAggregatedResources);
        stream.send({ node: NODE, typeUrl: CLUSTER_TYPE_URL });
        await stream.next();
        if (how === "server close") await harness.close();
        else if (how === "client cancel") stream.cancel();
        else stream.end();
        await stream.status;
        await until(() => closed === 1);
      } finally {
        client.close();
        await harness.close();
      }
      expect(logger.lines.filter((l) => l.level !== "debug" && l.level !== "info")).toEqual([]);
      expect(logger.lines.filter((l) => /fail/i.test(l.message))).toEqual([]);
      const ends = logger.lines.filter((l) => l.message === "xds stream closed");
      expect(ends).toHaveLength(1);
      expect(ends[0]?.level).toBe("debug");
      expect(ends[0]?.fields?.reason).toBe(how === "server close" ? "server shutdown" : "client");
    });
  });
});
