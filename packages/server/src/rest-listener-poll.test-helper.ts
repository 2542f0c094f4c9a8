// The setup of the REST registry-loading tests (each in a file of its own so
// that no other test of the process has loaded the registry before): a server
// holding a listener whose filter is an HttpConnectionManager in an Any (a
// nested type the JSON registry must know), and one REST poll of it.
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL, prepareResource } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { createXdsServer, type RestOptions } from "@xdskit/server";
import { cluster } from "./test-fixtures.test-helper.js";

export interface ListenerServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves node "n" one cluster and one listener with an HCM in an Any, REST loading its registry as `preload` says. */
export async function serveListenerWithHcm(preload: NonNullable<RestOptions["preload"]>): Promise<ListenerServer> {
  const cache = createSnapshotCache({ nodeHash: (node) => node?.id ?? "" });
  const hcm = create(HttpConnectionManagerSchema, { statPrefix: "in", routeSpecifier: { case: "rds", value: { routeConfigName: "r" } } });
  const listener = prepareResource(ListenerSchema, {
    name: "l",
    filterChains: [{ filters: [{ name: "hcm", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] }],
  });
  cache.setSnapshot("n", createSnapshot("v1", { [CLUSTER_TYPE_URL]: [cluster("a")], [LISTENER_TYPE_URL]: [listener] }));
  const server = createXdsServer(cache, { closeTimeoutMs: 200, rest: { preload } });
  const bound = await server.listen({ host: "127.0.0.1", port: 0 });
  return { url: bound.url, close: () => server.close() };
}

export interface ListenerPoll {
  readonly status: number;
  readonly body: string;
  /** The `@type` of the first listener's first filter, as the JSON answer spells it. */
  readonly filterType: string | undefined;
}

/** One REST poll of the listeners as node "n". */
export async function pollListeners(url: string): Promise<ListenerPoll> {
  const response = await fetch(`${url}/v3/discovery:listeners`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ node: { id: "n" } }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.text();
  if (response.status !== 200) return { status: response.status, body, filterType: undefined };
  const json = JSON.parse(body) as { resources: Array<{ filterChains: Array<{ filters: Array<{ typedConfig: { "@type": string } }> }> }> };
  return { status: response.status, body, filterType: json.resources[0]?.filterChains[0]?.filters[0]?.typedConfig["@type"] };
}
