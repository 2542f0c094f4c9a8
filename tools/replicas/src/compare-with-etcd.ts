import { createGrpcTransport } from "@connectrpc/connect-node";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, hashResource, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { createXdsClient } from "@xdskit/client";
import { createEtcdClient, createEtcdWriter } from "@xdskit/store-etcd";

const TYPES = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL];

/** `type name → content hash` of one group in etcd (decoded and re-marshalled the way replicas do). */
export async function etcdGroup(endpoints: readonly string[], group = "default", prefix = "/xdskit/"): Promise<{ revision: number; resources: Map<string, string> }> {
  const client = createEtcdClient({ endpoints });
  try {
    const stored = await createEtcdWriter({ client, prefix }).read();
    const resources = new Map<string, string>();
    for (const [typeUrl, byName] of stored.groups.get(group) ?? []) for (const [name, r] of byName) resources.set(`${typeUrl} ${name}`, r.hash);
    return { revision: stored.revision, resources };
  } finally {
    client.close();
  }
}

/**
 * `type name → content hash` of what a replica serves to a node of the
 * default group: an ADS client that subscribes every type (EDS and RDS by the
 * names `expected` has) and waits until each type has all of them.
 */
export async function servedBy(port: number, expected: ReadonlyMap<string, string>, timeoutMs = 20_000): Promise<Map<string, string>> {
  const client = createXdsClient({ transport: createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }), node: { id: `probe-${port}`, cluster: "probe" } });
  try {
    const names = (typeUrl: string) => [...expected.keys()].filter((k) => k.startsWith(`${typeUrl} `)).map((k) => k.slice(typeUrl.length + 1));
    client.subscribe(CLUSTER_TYPE_URL);
    client.subscribe(LISTENER_TYPE_URL);
    client.subscribe(ENDPOINT_TYPE_URL, names(ENDPOINT_TYPE_URL));
    client.subscribe(ROUTE_TYPE_URL, names(ROUTE_TYPE_URL));
    await client.waitFor((c) => TYPES.every((t) => c.state(t).version !== "" && c.state(t).resources.size >= names(t).length), timeoutMs);
    const served = new Map<string, string>();
    for (const t of TYPES) for (const [name, r] of client.state(t).resources) served.set(`${t} ${name}`, r.any === undefined ? "none" : hashResource(r.any.value));
    return served;
  } finally {
    client.close();
  }
}
