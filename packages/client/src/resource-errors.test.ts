// Per-resource errors (xRFC TP3 resource_errors) seen by our client over a
// real socket, SotW and delta ADS: typed per name, remembered across
// responses until the resource arrives, beside the spec'd behaviour.
import { create } from "@bufbuild/protobuf";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { createXdsServer, type XdsServer, type XdsServerOptions } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";

const cla = (name: string, weight = 1) => create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const invalid = { code: INVALID_ARGUMENT, message: 'endpoints "b": lb_endpoints[0].endpoint is required' };
const notFound = { code: NOT_FOUND, message: 'no endpoints named "c"' };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: XdsServerOptions = {}): Promise<{ cache: SnapshotCache; client(protocol: "sotw" | "delta"): XdsClient }> {
  const cache = createSnapshotCache();
  cache.setSnapshot("n1", createSnapshot("v1", { [ENDPOINT_TYPE_URL]: [cla("a")] }, { errors: { [ENDPOINT_TYPE_URL]: { b: invalid, c: notFound } } }));
  const server: XdsServer = createXdsServer(cache, { rest: false, closeTimeoutMs: 200, ...options });
  const listener = await server.listen({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => cache.close(), () => server.close());
  return {
    cache,
    client(protocol) {
      const c = createXdsClient({ transport: createGrpcTransport({ baseUrl: listener.url }), node: { id: "n1" }, protocol });
      cleanups.push(() => c.close());
      return c;
    },
  };
}

describe.each(["sotw", "delta"] as const)("resource errors over %s ADS", (protocol) => {
  it("the client gets each subscribed name's error, typed, with the usual answer for the others", async () => {
    const { client } = await start();
    const c = client(protocol);
    c.subscribe(ENDPOINT_TYPE_URL, ["a", "b", "c", "d"]);
    const response = await c.next(ENDPOINT_TYPE_URL);
    expect(response.resources.map((r) => r.name)).toEqual(["a"]);
    expect(response.errors).toEqual([
      { name: "b", code: INVALID_ARGUMENT, message: invalid.message },
      { name: "c", code: NOT_FOUND, message: notFound.message },
    ]);
    // The spec'd behaviour for clients that ignore the field: delta lists every missing name as removed.
    expect(response.removed).toEqual(protocol === "delta" ? ["b", "c", "d"] : []);
    await c.waitFor((x) => x.state(ENDPOINT_TYPE_URL).acks === 1);
    expect([...c.state(ENDPOINT_TYPE_URL).errors.keys()]).toEqual(["b", "c"]);
  });

  it("an error is remembered across responses until the resource arrives", async () => {
    const { cache, client } = await start();
    const c = client(protocol);
    c.subscribe(ENDPOINT_TYPE_URL, ["a", "b"]);
    await c.waitFor((x) => x.state(ENDPOINT_TYPE_URL).acks === 1);
    expect(c.state(ENDPOINT_TYPE_URL).errors.get("b")?.code).toBe(INVALID_ARGUMENT);
    // A change to "a" only: "b" keeps its error (delta does not repeat it; the client remembers).
    cache.setSnapshot("n1", createSnapshot("v2", { [ENDPOINT_TYPE_URL]: [cla("a", 2)] }, { errors: { [ENDPOINT_TYPE_URL]: { b: invalid } } }));
    await c.waitFor((x) => x.state(ENDPOINT_TYPE_URL).acks === 2);
    expect(c.state(ENDPOINT_TYPE_URL).errors.get("b")?.message).toBe(invalid.message);
    // "b" fixed: the resource clears the error.
    cache.setSnapshot("n1", createSnapshot("v3", { [ENDPOINT_TYPE_URL]: [cla("a", 2), cla("b")] }));
    await c.waitFor((x) => x.state(ENDPOINT_TYPE_URL).acks === 3);
    expect(c.state(ENDPOINT_TYPE_URL).errors.size).toBe(0);
    expect([...c.state(ENDPOINT_TYPE_URL).resources.keys()].sort()).toEqual(["a", "b"]);
  });

  it("with resourceErrors: false the server sends none, and the rest of the answer is unchanged", async () => {
    const { client } = await start({ resourceErrors: false });
    const c = client(protocol);
    c.subscribe(ENDPOINT_TYPE_URL, ["a", "b", "c"]);
    const response = await c.next(ENDPOINT_TYPE_URL);
    expect(response.resources.map((r) => r.name)).toEqual(["a"]);
    expect(response.errors).toEqual([]);
    expect(response.removed).toEqual(protocol === "delta" ? ["b", "c"] : []);
  });
});
