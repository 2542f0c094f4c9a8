// xdstp:// names (xRFC TP1) over real sockets with our client, for the forms Envoy 1.40 does not
// send: names spelled non-canonically (parameters out of order, needless or lower-case escapes),
// glob collections over SotW, and the linear cache. Both caches, SotW and delta ADS.
import { create } from "@bufbuild/protobuf";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cache, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, normalizeResourceName } from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { createXdsClient, type XdsClient } from "@xdskit/client";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { createXdsServer, type XdsServer } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";

const L = "xdstp://auth/envoy.config.listener.v3.Listener";
const E = "xdstp://auth/envoy.config.endpoint.v3.ClusterLoadAssignment";
const listener = (name: string, tag = "") => create(ListenerSchema, { name, statPrefix: tag });
const cla = (name: string, weight = 1) => create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });

let server: XdsServer | undefined;
const clients: XdsClient[] = [];

async function serve(cache: Cache): Promise<(protocol: "sotw" | "delta") => XdsClient> {
  server = createXdsServer(cache, { rest: false });
  const { url } = await server.listen({ host: "127.0.0.1", port: 0 });
  return (protocol) => {
    const client = createXdsClient({ transport: createGrpcTransport({ baseUrl: url }), node: { id: "n1" }, protocol });
    clients.push(client);
    return client;
  };
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

// SotW responses carry no name besides the message's own (as the resource spelled it); delta names
// each resource canonically. A client compares xdstp names canonically (Envoy does): so does this.
const held = (client: XdsClient, typeUrl: string) => [...client.state(typeUrl).resources.keys()].map(normalizeResourceName).sort();

describe("snapshot cache", () => {
  let cache: SnapshotCache;
  const snapshot = (version: string, listeners: string[]) =>
    cache.setSnapshot(
      "n1",
      createSnapshot(version, {
        [LISTENER_TYPE_URL]: listeners.map((name) => listener(name, version)),
        [ENDPOINT_TYPE_URL]: [cla(`${E}/c1?zone=a&app=web`)],
      }),
    );

  for (const protocol of ["sotw", "delta"] as const) {
    it(`${protocol}: a name spelled another way is the same resource, sent in canonical spelling`, async () => {
      cache = createSnapshotCache({ ads: true });
      snapshot("1", []);
      const client = (await serve(cache))(protocol);
      client.subscribe(ENDPOINT_TYPE_URL, [`${E}/c%31?zone=a&app=%77eb`]);
      await client.waitFor((c) => c.state(ENDPOINT_TYPE_URL).resources.size === 1, 10_000);
      expect(held(client, ENDPOINT_TYPE_URL)).toEqual([`${E}/c1?app=web&zone=a`]);
    });

    it(`${protocol}: a glob collection gets its members, with the same context parameters only, and follows them`, async () => {
      cache = createSnapshotCache({ ads: true });
      snapshot("1", [`${L}/edge/a?env=test`, `${L}/edge/b?env=test`, `${L}/edge/c?env=prod`, `${L}/edge/deep/d?env=test`, `${L}/other/e?env=test`]);
      const client = (await serve(cache))(protocol);
      client.subscribe(LISTENER_TYPE_URL, [`${L}/edge/*?env=test`]);
      await client.waitFor((c) => c.state(LISTENER_TYPE_URL).resources.size === 2, 10_000);
      expect(held(client, LISTENER_TYPE_URL)).toEqual([`${L}/edge/a?env=test`, `${L}/edge/b?env=test`]);
      snapshot("2", [`${L}/edge/b?env=test`, `${L}/edge/new?env=test`, `${L}/edge/c?env=prod`]);
      await client.waitFor((c) => held(c, LISTENER_TYPE_URL).includes(`${L}/edge/new?env=test`), 10_000);
      expect(held(client, LISTENER_TYPE_URL)).toEqual([`${L}/edge/b?env=test`, `${L}/edge/new?env=test`]);
    });
  }
});

describe("linear cache", () => {
  let cache: LinearCache;

  for (const protocol of ["sotw", "delta"] as const) {
    it(`${protocol}: exact names in any spelling and glob collections, through updates and deletes`, async () => {
      cache = createLinearCache({
        schema: ClusterLoadAssignmentSchema,
        initialResources: [cla(`${E}/team/a?k=v&j=w`), cla(`${E}/team/b?j=w&k=v`), cla(`${E}/team/c?k=v`), cla(`${E}/solo?x=1&y=2`)],
      });
      const client = (await serve(cache))(protocol);
      client.subscribe(ENDPOINT_TYPE_URL, [`${E}/team/*?k=v&j=w`, `${E}/solo?y=2&x=%31`]);
      await client.waitFor((c) => c.state(ENDPOINT_TYPE_URL).resources.size === 3, 10_000);
      expect(held(client, ENDPOINT_TYPE_URL)).toEqual([`${E}/solo?x=1&y=2`, `${E}/team/a?j=w&k=v`, `${E}/team/b?j=w&k=v`]);
      cache.updateResources([cla(`${E}/team/z?k=v&j=w`), cla(`${E}/team/y?k=other&j=w`)], [`${E}/team/a?k=v&j=w`]);
      await client.waitFor((c) => held(c, ENDPOINT_TYPE_URL).includes(`${E}/team/z?j=w&k=v`), 10_000);
      expect(held(client, ENDPOINT_TYPE_URL)).toEqual([`${E}/solo?x=1&y=2`, `${E}/team/b?j=w&k=v`, `${E}/team/z?j=w&k=v`]);
    });
  }
});
