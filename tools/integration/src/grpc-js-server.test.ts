// A real Envoy on a @grpc/grpc-js server that serves xDS through addToGrpcServer, next to a
// service of its own: Envoy converges on a pushed cluster and listener and routes traffic, then
// follows a change of cluster, over SotW ADS and over delta ADS. Every port is bound as 0 by the
// process that owns it and read back (ours from grpc-js, Envoy's listener from its admin API).
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import { bootstrapFor, get, startUpstream, type Upstream } from "@xdskit/envoy-tool";
import { httpConnectionManager, route, routeConfiguration, staticCluster, virtualHost } from "@xdskit/resource-builders";
import { createXdsServer, type XdsServer } from "@xdskit/server";
import type { NackInfo } from "@xdskit/server-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envoyForSuite } from "./support/envoy.js";
import { eventually } from "./support/eventually.js";

const identity = (bytes: Buffer) => bytes;
const ECHO = "/xdskit.test.Echo/Echo";

/** The listener on 127.0.0.1, port 0 (Envoy picks it), routing everything to cluster "app". */
function ingress() {
  const hcm = httpConnectionManager({
    statPrefix: "ingress",
    routes: routeConfiguration({ name: "local", virtualHosts: [virtualHost({ name: "all", routes: [route({ prefix: "/", cluster: "app" })] })] }),
  });
  return create(ListenerSchema, {
    name: "ingress",
    address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: 0 } } } },
    filterChains: [
      { filters: [{ name: "envoy.filters.network.http_connection_manager", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] },
    ],
  });
}

/** The port Envoy bound for a listener, from its admin `/listeners?format=json`. */
async function listenerPort(admin: (path: string) => Promise<string>, name: string): Promise<number> {
  const body = JSON.parse(await admin("/listeners?format=json")) as {
    listener_statuses?: Array<{ name: string; local_address?: { socket_address?: { port_value?: number } } }>;
  };
  const port = body.listener_statuses?.find((l) => l.name === name)?.local_address?.socket_address?.port_value;
  if (port === undefined || port === 0) throw new Error(`Envoy has no bound listener "${name}" yet`);
  return port;
}

for (const mode of ["ads", "delta-ads"] as const) {
  describe(`Envoy over a grpc-js server (addToGrpcServer), ${mode}`, () => {
    const keeper = envoyForSuite(`grpc-js-${mode}`);
    const nodeId = `xdskit-grpc-js-${mode}`;
    const cache = createSnapshotCache({ ads: true });
    const nacks: NackInfo[] = [];
    let xds: XdsServer;
    let grpcServer: grpc.Server;
    let grpcPort = 0;
    let upstreams: Upstream[] = [];

    const resources = (upstream: Upstream) => ({
      [CLUSTER_TYPE_URL]: [staticCluster({ name: "app", endpoints: [{ host: "127.0.0.1", port: upstream.port }] })],
      [LISTENER_TYPE_URL]: [ingress()],
    });

    beforeAll(async () => {
      upstreams = await Promise.all([1, 2].map((n) => startUpstream(`upstream-${n}`)));
      xds = createXdsServer(cache, { callbacks: { onNack: (nack) => void nacks.push(nack) } });
      grpcServer = new grpc.Server();
      grpcServer.addService(
        { Echo: { path: ECHO, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
        { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, call.request) },
      );
      xds.addToGrpcServer(grpcServer);
      grpcPort = await new Promise<number>((resolve, reject) =>
        grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
      );
      cache.setSnapshot(nodeId, createSnapshot("v1", resources(upstreams[0] as Upstream)));
      await keeper.start(bootstrapFor({ mode, xdsPort: grpcPort, nodeId }));
      keeper.ready();
    });

    afterAll(async () => {
      await xds?.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          grpcServer?.forceShutdown();
          resolve();
        }, 1000);
        grpcServer?.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      cache.close();
      await Promise.all(upstreams.map((u) => u.close()));
    });

    it("the grpc-js server still serves its own service", async () => {
      const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
      const answer = await new Promise<Buffer | undefined>((resolve, reject) =>
        client.makeUnaryRequest(ECHO, identity, identity, Buffer.from("ping"), (error, response) => (error ? reject(error) : resolve(response))),
      );
      client.close();
      expect(answer?.toString()).toBe("ping");
    });

    it("Envoy converges on the pushed cluster and listener and routes traffic to upstream-1", async () => {
      const port = await eventually("Envoy bound the ingress listener", () => listenerPort((path) => keeper.envoy.admin(path), "ingress"));
      await eventually("traffic reaches upstream-1", async () => expect((await get(port, "/one")).body).toBe("upstream-1 GET /one"));
      expect(nacks).toEqual([]);
    });

    it("follows a new version of the cluster to upstream-2", async () => {
      cache.setSnapshot(nodeId, createSnapshot("v2", resources(upstreams[1] as Upstream)));
      const port = await listenerPort((path) => keeper.envoy.admin(path), "ingress");
      await eventually("traffic reaches upstream-2", async () => expect((await get(port, "/two")).body).toBe("upstream-2 GET /two"));
      expect(nacks).toEqual([]);
      expect(xds.closing.aborted).toBe(false);
    });
  });
}
