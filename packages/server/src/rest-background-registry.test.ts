// `rest.preload: "background"`: listen() resolves without waiting
// for the JSON registry, which loads meanwhile; a poll that comes before the
// load ends waits for that same load and is answered in full (nested Any
// types included). Its own file, so that no other test of the process has
// loaded the registry before.
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, prepareResource } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { createXdsServer } from "@xdskit/server";
import { afterEach, expect, it } from "vitest";
import { cluster } from "./test-fixtures.test-helper.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it("answers a REST poll that comes while the registry is still loading, once it is loaded", async () => {
  const cache = createSnapshotCache({ nodeHash: (node) => node?.id ?? "" });
  const hcm = create(HttpConnectionManagerSchema, { statPrefix: "in", routeSpecifier: { case: "rds", value: { routeConfigName: "r" } } });
  const listener = prepareResource(ListenerSchema, {
    name: "l",
    filterChains: [{ filters: [{ name: "hcm", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] }],
  });
  cache.setSnapshot("n", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")], [LISTENER_TYPE_URL]: [listener] }));
  const server = createXdsServer(cache, { closeTimeoutMs: 200, rest: { preload: "background" } });
  const bound = await server.listen({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => server.close());

  const response = await fetch(`${bound.url}/v3/discovery:listeners`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ node: { id: "n" } }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  expect(response.status, body).toBe(200);
  const json = JSON.parse(body) as { resources: Array<{ name: string; filterChains: Array<{ filters: Array<{ typedConfig: { "@type": string } }> }> }> };
  expect(json.resources[0]?.filterChains[0]?.filters[0]?.typedConfig["@type"]).toContain("HttpConnectionManager");
});
