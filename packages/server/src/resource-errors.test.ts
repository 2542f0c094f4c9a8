// Per-resource errors (xRFC TP3 resource_errors) on the wire, from a linear
// cache, on every serving path (fast path, connect-node, grpc-js server) and
// REST: SotW field 7 and delta field 9 decode to what the cache said, next to
// the spec'd behaviour (SotW leaves the name out, delta lists it as removed).
import { ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type { ResourceError } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { type ConnectXdsServerOptions, createConnectXdsServer } from "@xdskit/server/connect";
import { afterEach, describe, expect, it } from "vitest";
import { connectClient } from "./test-clients.test-helper.js";
import { endpoints, NODE, SERVING, startGrpcJsServer, TEST_REST_REGISTRY } from "./test-fixtures.test-helper.js";

const ADS = AggregatedDiscoveryService.method.streamAggregatedResources;
const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;
const INVALID = { code: 3, message: 'endpoints "b" failed validation: lb_endpoints[0].endpoint is required' };
const NOT_FOUND = { code: 5, message: 'no endpoints "c"' };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function cacheWithErrors(): LinearCache {
  const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, initialResources: [endpoints("a")] });
  cache.setResourceError("b", INVALID);
  return cache;
}

async function serve(cache: LinearCache, serving: { fastPath: boolean; grpcJs?: boolean }, options: ConnectXdsServerOptions = {}): Promise<string> {
  const server = createConnectXdsServer(cache, { closeTimeoutMs: 200, rest: { registry: TEST_REST_REGISTRY }, fastPath: serving.fastPath, ...options });
  if (serving.grpcJs === true) {
    const grpcServer = await startGrpcJsServer(server);
    cleanups.push(() => grpcServer.close(), () => server.close());
    return grpcServer.url;
  }
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => server.close());
  return listener.url;
}

const plain = (errors: readonly ResourceError[]) => errors.map((e) => ({ name: e.resourceName?.name, code: e.errorDetail?.code, message: e.errorDetail?.message }));

describe.each(SERVING)("resource_errors over $name", ({ serve: serving }) => {
  it("SotW: field 7 carries the errors of the names subscribed; a new error is a new answer", async () => {
    const cache = cacheWithErrors();
    const client = connectClient(await serve(cache, serving));
    cleanups.push(() => client.close());
    const stream = client.open(ADS);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b", "c"] });
    const first = await stream.next();
    expect(first.resources).toHaveLength(1);
    expect(plain(first.resourceErrors)).toEqual([{ name: "b", ...INVALID }]);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b", "c"], versionInfo: first.versionInfo, responseNonce: first.nonce });
    await stream.nothing();
    cache.setResourceError("c", NOT_FOUND);
    const second = await stream.next();
    expect(second.versionInfo).not.toBe(first.versionInfo);
    expect(plain(second.resourceErrors)).toEqual([
      { name: "b", ...INVALID },
      { name: "c", ...NOT_FOUND },
    ]);
  });

  it("SotW: a name with an error, named at the version the client holds, is answered once (not on every ACK)", async () => {
    const cache = cacheWithErrors();
    const client = connectClient(await serve(cache, serving));
    cleanups.push(() => client.close());
    const stream = client.open(ADS);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a"] });
    const first = await stream.next();
    expect(first.resourceErrors).toEqual([]);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"], versionInfo: first.versionInfo, responseNonce: first.nonce });
    const second = await stream.next();
    expect(second.versionInfo).toBe(first.versionInfo);
    expect(plain(second.resourceErrors)).toEqual([{ name: "b", ...INVALID }]);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"], versionInfo: second.versionInfo, responseNonce: second.nonce });
    await stream.nothing();
  });

  it("delta: field 9 carries the errors beside removed_resources", async () => {
    const cache = cacheWithErrors();
    const client = connectClient(await serve(cache, serving));
    cleanups.push(() => client.close());
    const stream = client.open(DELTA_ADS);
    stream.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["a", "b", "c"] });
    const first = await stream.next();
    expect(first.resources.map((r) => r.name)).toEqual(["a"]);
    expect(first.removedResources).toEqual(["b", "c"]);
    expect(plain(first.resourceErrors)).toEqual([{ name: "b", ...INVALID }]);
    stream.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: first.nonce });
    await stream.nothing();
    // "c" was told it does not exist; its error is news, sent once.
    cache.setResourceError("c", NOT_FOUND);
    const second = await stream.next();
    expect(second.removedResources).toEqual(["c"]);
    expect(plain(second.resourceErrors)).toEqual([{ name: "c", ...NOT_FOUND }]);
  });

  it("resourceErrors: false sends none; the rest of each answer is unchanged", async () => {
    const client = connectClient(await serve(cacheWithErrors(), serving, { resourceErrors: false }));
    cleanups.push(() => client.close());
    const sotw = client.open(ADS);
    sotw.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"] });
    const response = await sotw.next();
    expect({ resources: response.resources.length, errors: response.resourceErrors.length }).toEqual({ resources: 1, errors: 0 });
    // The name is still recorded as told: naming it again at the same version is answered once.
    sotw.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a"], versionInfo: response.versionInfo, responseNonce: response.nonce });
    await sotw.nothing();
    sotw.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"], versionInfo: response.versionInfo, responseNonce: response.nonce });
    const again = await sotw.next();
    expect(again.resourceErrors).toEqual([]);
    sotw.send({ typeUrl: ENDPOINT_TYPE_URL, resourceNames: ["a", "b"], versionInfo: again.versionInfo, responseNonce: again.nonce });
    await sotw.nothing();
    const delta = client.open(DELTA_ADS);
    delta.send({ node: NODE, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["a", "b"] });
    const answer = await delta.next();
    expect({ removed: answer.removedResources, errors: answer.resourceErrors.length }).toEqual({ removed: ["b"], errors: 0 });
  });
});

describe("resource_errors over REST", () => {
  it("a fetch's JSON carries resourceErrors; resourceErrors: false drops them", async () => {
    const body = JSON.stringify({ node: NODE, resourceNames: ["a", "b"] });
    const post = async (url: string) => {
      const response = await fetch(`${url}/v3/discovery:endpoints`, { method: "POST", body, headers: { "content-type": "application/json" } });
      return (await response.json()) as { resourceErrors?: { resourceName: { name: string }; errorDetail: { code: number; message: string } }[] };
    };
    const on = await post(await serve(cacheWithErrors(), { fastPath: true }));
    expect(on.resourceErrors).toEqual([{ resourceName: { name: "b" }, errorDetail: INVALID }]);
    const off = await post(await serve(cacheWithErrors(), { fastPath: true }, { resourceErrors: false }));
    expect(off.resourceErrors).toBeUndefined();
  });
});
