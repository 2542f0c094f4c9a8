// Shared setup of the server tests: resources, a server on 127.0.0.1 port 0, and polling.
import { prepareResource, type CachedResource } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { createXdsServer, type XdsListener, type XdsServer, type XdsServerOptions } from "@xdskit/server";
import { TestCache } from "./test-cache.test-helper.js";
import { CLIENT_KINDS, type ClientKind } from "./test-clients.test-helper.js";

/** The two ways gRPC streams are served: the fast path (default) and connect-node. */
export const SERVING = [
  { fastPath: true, name: "fast path" },
  { fastPath: false, name: "connect-node" },
] as const;

/** Every client × serving path, for describe.each. */
export const MATRIX: ReadonlyArray<readonly [ClientKind, string, boolean]> = CLIENT_KINDS.flatMap((kind) =>
  SERVING.map((serving) => [kind, serving.name, serving.fastPath] as const),
);

export const NODE = { id: "node-1", cluster: "test" };

export function cluster(name: string, connectTimeoutSeconds = 1): CachedResource {
  return prepareResource(ClusterSchema, { name, connectTimeout: { seconds: BigInt(connectTimeoutSeconds) } });
}

export function endpoints(name: string, weight = 1): CachedResource {
  return prepareResource(ClusterLoadAssignmentSchema, {
    clusterName: name,
    endpoints: [{ loadBalancingWeight: weight }],
  });
}

export function listener(name: string): CachedResource {
  return prepareResource(ListenerSchema, { name });
}

export function route(name: string): CachedResource {
  return prepareResource(RouteConfigurationSchema, { name });
}

export interface Harness {
  readonly cache: TestCache;
  readonly server: XdsServer;
  readonly listener: XdsListener;
  close(): Promise<void>;
}

export async function startServer(options: XdsServerOptions = {}, cache = new TestCache()): Promise<Harness> {
  const server = createXdsServer(cache, { closeTimeoutMs: 200, ...options });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  return { cache, server, listener, close: () => server.close() };
}

export async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
