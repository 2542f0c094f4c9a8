// A second real xDS client: gRPC's own (@grpc/grpc-js-xds) resolves xds:///my-service through our
// server (LDS → RDS → CDS → EDS, each by name) to one of two gRPC backends; moving the endpoints
// moves the traffic. In its own file: the gRPC xDS client reads its bootstrap from the process env
// and keeps one client per process.
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Client, credentials, Server, ServerCredentials, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { register as registerXdsResolver } from "@grpc/grpc-js-xds";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import {
  clusterLoadAssignment,
  configSource,
  edsCluster,
  httpConnectionManager,
  route,
  routeConfiguration,
  virtualHost,
} from "@xdskit/resource-builders";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type TestControlPlane } from "./support/control-plane.js";
import { eventually } from "./support/eventually.js";

const TARGET = "my-service";
const NODE_ID = "grpc-proxyless";
const WHO_AM_I = "/xdskit.test.Backend/WhoAmI";

// A one-method service with raw bytes on the wire: the answer is the backend's name.
const identity = (b: Buffer) => b;
const backendService: ServiceDefinition = {
  WhoAmI: {
    path: WHO_AM_I,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

async function startBackend(name: string): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(backendService, {
    WhoAmI: (_call: ServerUnaryCall<Buffer, Buffer>, done: sendUnaryData<Buffer>) => done(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
  );
  return { server, port };
}

/** gRPC's view of a service: a Listener with an api_listener, RDS → an EDS cluster, all over ADS. */
function resources(backendPort: number) {
  const ads = configSource("ads");
  const hcm = httpConnectionManager({ statPrefix: TARGET, rds: { routeConfigName: "my-route", configSource: ads } });
  return {
    [LISTENER_TYPE_URL]: [create(ListenerSchema, { name: TARGET, apiListener: { apiListener: anyPack(HttpConnectionManagerSchema, hcm) } })],
    [ROUTE_TYPE_URL]: [
      routeConfiguration({ name: "my-route", virtualHosts: [virtualHost({ name: TARGET, domains: [TARGET], routes: [route({ prefix: "/", cluster: "my-cluster" })] })] }),
    ],
    [CLUSTER_TYPE_URL]: [edsCluster({ name: "my-cluster", configSource: ads })],
    // gRPC ignores endpoints without a weighted locality.
    [ENDPOINT_TYPE_URL]: [
      clusterLoadAssignment({ clusterName: "my-cluster", endpoints: [{ host: "127.0.0.1", port: backendPort, locality: { region: "test", zone: "a", weight: 1 } }] }),
    ],
  };
}

describe("grpc-js-xds: a proxyless gRPC client follows our server", () => {
  let cp: TestControlPlane;
  let backends: { server: Server; port: number }[] = [];
  let client: Client;

  const whoAmI = () =>
    new Promise<string>((resolve, reject) =>
      client.makeUnaryRequest(WHO_AM_I, identity, identity, Buffer.alloc(0), { deadline: Date.now() + 5_000 }, (error, answer) =>
        error || answer === undefined ? reject(error ?? new Error("no answer")) : resolve(answer.toString()),
      ),
    );

  beforeAll(async () => {
    backends = await Promise.all([startBackend("backend-a"), startBackend("backend-b")]);
    cp = await startControlPlane({ mode: "ads", nodeId: NODE_ID });
    cp.push("v1", resources(backends[0]?.port ?? 0));
    process.env["GRPC_XDS_BOOTSTRAP_CONFIG"] = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${cp.listener.port}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
      node: { id: NODE_ID, locality: { region: "test", zone: "a" } },
    });
    registerXdsResolver();
    client = new Client(`xds:///${TARGET}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await cp?.close();
    await Promise.all(backends.map((b) => new Promise<void>((resolve) => b.server.tryShutdown(() => resolve()))));
  });

  it("resolves the target by name through LDS, RDS, CDS and EDS and reaches backend A", async () => {
    await eventually("a call through xds:///my-service answered by backend-a", async () => expect(await whoAmI()).toBe("backend-a"), { timeoutMs: 30_000 });
    const asked = (typeUrl: string) => [...new Set(cp.sotwRequests.filter((r) => r.typeUrl === typeUrl).flatMap((r) => r.names))];
    expect({
      lds: asked(LISTENER_TYPE_URL),
      rds: asked(ROUTE_TYPE_URL),
      cds: asked(CLUSTER_TYPE_URL),
      eds: asked(ENDPOINT_TYPE_URL),
    }).toEqual({ lds: [TARGET], rds: ["my-route"], cds: ["my-cluster"], eds: ["my-cluster"] });
    expect(cp.nacks).toEqual([]);
  });

  it("moves to backend B when the endpoints move", async () => {
    cp.push("v2", resources(backends[1]?.port ?? 0));
    await eventually("calls answered by backend-b after the endpoints moved", async () => expect(await whoAmI()).toBe("backend-b"), { timeoutMs: 30_000 });
    const next = await Promise.all([1, 2, 3, 4, 5].map(() => whoAmI()));
    expect(next, "every call after the move goes to backend-b").toEqual(Array(5).fill("backend-b"));
    expect(cp.nacks).toEqual([]);
  });

  it("keeps working when listener responses carry resource_errors (xRFC TP3, which grpc-js-xds 1.14 does not read)", async () => {
    // A second target nobody serves: gRPC subscribes to both listeners by name, and every
    // listener response from now on carries a NOT_FOUND error for the second one.
    const errors = { [LISTENER_TYPE_URL]: { "missing-service": { code: 5, message: 'no listener "missing-service"' } } };
    cp.push("v3", resources(backends[0]?.port ?? 0), errors);
    const missing = new Client("xds:///missing-service", credentials.createInsecure());
    try {
      missing.getChannel().getConnectivityState(true);
      await eventually("a listener response carried the error for missing-service", () =>
        expect(cp.resourceErrorsSent).toContain(`${LISTENER_TYPE_URL} missing-service 5`),
      { timeoutMs: 30_000 });
      await eventually("calls answered by backend-a after v3", async () => expect(await whoAmI()).toBe("backend-a"), { timeoutMs: 30_000 });
      cp.push("v4", resources(backends[1]?.port ?? 0), errors);
      await eventually("calls follow v4 to backend-b", async () => expect(await whoAmI()).toBe("backend-b"), { timeoutMs: 30_000 });
      expect(cp.nacks).toEqual([]);
    } finally {
      missing.close();
    }
  });
});
