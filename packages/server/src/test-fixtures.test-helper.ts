// Shared setup of the server tests: resources, a server on 127.0.0.1 port 0 on
// each transport, and polling.
import * as grpc from "@grpc/grpc-js";
import { createRegistry } from "@bufbuild/protobuf";
import { prepareResource, type CachedResource } from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import type { XdsListener } from "@xdskit/server";
import {
  type ConnectXdsServer as XdsServer,
  type ConnectXdsServerOptions as XdsServerOptions,
  createConnectXdsServer as createXdsServer,
} from "@xdskit/server/connect";
import { TestCache } from "./test-cache.test-helper.js";
import { CLIENT_KINDS, type ClientKind } from "./test-clients.test-helper.js";

/** How a test server serves gRPC streams: `listen` with the fast path or connect-node, or a grpc-js server. */
export interface ServeOptions {
  readonly fastPath: boolean;
  /** Serve through `addToGrpcServer` on a `@grpc/grpc-js` server instead of `listen`. */
  readonly grpcJs?: boolean;
}

/** The three ways gRPC streams are served: the fast path (default), connect-node, and a grpc-js server. */
export const SERVING: ReadonlyArray<{ readonly name: string; readonly serve: ServeOptions }> = [
  { name: "fast path", serve: { fastPath: true } },
  { name: "connect-node", serve: { fastPath: false } },
  { name: "grpc-js server", serve: { fastPath: false, grpcJs: true } },
];

/** Every client × serving path, for describe.each. */
export const MATRIX: ReadonlyArray<readonly [ClientKind, string, ServeOptions]> = CLIENT_KINDS.flatMap((kind) =>
  SERVING.map((serving) => [kind, serving.name, serving.serve] as const),
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

/**
 * The REST registry of the test servers: the types of the resources above.
 * The default one (the whole Envoy API, which listen() loads) costs seconds
 * in every test process; rest-first-poll.test.ts covers it.
 */
export const TEST_REST_REGISTRY = createRegistry(ClusterSchema, ClusterLoadAssignmentSchema, ListenerSchema, RouteConfigurationSchema);

export interface Harness {
  readonly cache: TestCache;
  readonly server: XdsServer;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The node listener; `undefined` when a grpc-js server serves. */
  readonly listener: XdsListener | undefined;
  close(): Promise<void>;
}

/** A grpc-js server on 127.0.0.1, port 0, serving `server` through `addToGrpcServer`. */
export async function startGrpcJsServer(server: XdsServer): Promise<{ url: string; close(): Promise<void> }> {
  const grpcServer = new grpc.Server();
  server.addToGrpcServer(grpcServer);
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Streams ended with UNAVAILABLE when the xDS server closed; what is still open
        // after 200 ms (a client that does not read its trailers) is cut.
        const timer = setTimeout(() => {
          grpcServer.forceShutdown();
          resolve();
        }, 200);
        grpcServer.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

export async function startServer(options: XdsServerOptions & Partial<ServeOptions> = {}, cache = new TestCache()): Promise<Harness> {
  const { grpcJs = false, ...serverOptions } = options;
  const server = createXdsServer(cache, { closeTimeoutMs: 200, rest: { registry: TEST_REST_REGISTRY }, ...serverOptions });
  if (grpcJs) {
    const grpcServer = await startGrpcJsServer(server);
    return {
      cache,
      server,
      url: grpcServer.url,
      listener: undefined,
      close: async () => {
        await server.close();
        await grpcServer.close();
      },
    };
  }
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  return { cache, server, url: listener.url, listener, close: () => server.close() };
}

export async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
