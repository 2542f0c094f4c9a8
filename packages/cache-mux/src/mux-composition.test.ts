import { create } from "@bufbuild/protobuf";
import {
  type Cache,
  CLUSTER_TYPE_URL,
  collectReferences,
  createSubscription,
  type DeltaResponse,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  type MutableSubscription,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SECRET_TYPE_URL,
  type SotwResponse,
} from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { createMuxCache, MuxCacheError } from "@xdskit/cache-mux";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { Cluster_DiscoveryType, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { RouteConfigurationSchema } from "@xdskit/envoy-api/envoy/config/route/v3/route_pb";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { describe, expect, it } from "vitest";

// The usual composition: a snapshot cache per node for CDS/LDS/RDS, one
// linear cache shared by every node for EDS, behind a mux. Streams are driven
// here the way an ADS server drives them.

const NODE = "envoy-1";

const edsCluster = (name: string, serviceName: string) =>
  create(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { serviceName },
  });
const endpoints = (name: string, weight: number) =>
  create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] });

function setup() {
  const snapshots = createSnapshotCache();
  const eds = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "eds-" });
  const mux = createMuxCache({
    caches: { [CLUSTER_TYPE_URL]: snapshots, [LISTENER_TYPE_URL]: snapshots, [ROUTE_TYPE_URL]: snapshots, [ENDPOINT_TYPE_URL]: eds },
  });
  const snapshotAt = (version: string, clusters: ReturnType<typeof edsCluster>[]) =>
    createSnapshot(
      { [CLUSTER_TYPE_URL]: version, [LISTENER_TYPE_URL]: version, [ROUTE_TYPE_URL]: version },
      {
        [CLUSTER_TYPE_URL]: clusters,
        [LISTENER_TYPE_URL]: [create(ListenerSchema, { name: "http" })],
        [ROUTE_TYPE_URL]: [create(RouteConfigurationSchema, { name: "local" })],
      },
    );
  return { snapshots, eds, mux, snapshotAt };
}

class SotwType {
  readonly subscription: MutableSubscription;
  readonly responses: SotwResponse[] = [];
  version = "";

  constructor(
    readonly cache: Cache,
    readonly typeUrl: string,
    names: string[],
  ) {
    this.subscription = createSubscription({ resourceNames: names, allowLegacyWildcard: typeUrl === CLUSTER_TYPE_URL || typeUrl === LISTENER_TYPE_URL });
  }

  request(): void {
    const request = create(DiscoveryRequestSchema, {
      node: { id: NODE },
      typeUrl: this.typeUrl,
      versionInfo: this.version,
      resourceNames: [...this.subscription.resourceNames()],
    });
    this.cache.createWatch(request, this.subscription, (response) => {
      this.responses.push(response);
      this.version = response.version;
      this.subscription.setReturnedResources(new Map(response.resources.map((r) => [r.name, response.version])));
    });
  }

  get last(): SotwResponse | undefined {
    return this.responses[this.responses.length - 1];
  }
}

describe("snapshot cache for CDS/LDS/RDS + linear cache for EDS, behind a mux", () => {
  it("serves a SotW ADS stream end to end, each cache answering only its own types", () => {
    const { snapshots, eds, mux, snapshotAt } = setup();
    snapshots.setSnapshot(NODE, snapshotAt("1", [edsCluster("backend", "backend-eds")]));
    eds.updateResource(endpoints("backend-eds", 1));
    eds.updateResource(endpoints("unrelated", 1));

    const cds = new SotwType(mux, CLUSTER_TYPE_URL, []);
    cds.request();
    expect(cds.last?.resources.map((r) => r.name)).toEqual(["backend"]);
    const wanted = [...(collectReferences(cds.last?.resources ?? []).get(ENDPOINT_TYPE_URL) ?? [])];
    expect(wanted).toEqual(["backend-eds"]);

    const edsStream = new SotwType(mux, ENDPOINT_TYPE_URL, wanted);
    edsStream.request();
    expect(edsStream.last?.resources.map((r) => r.name)).toEqual(["backend-eds"]);
    expect(edsStream.last?.version).toBe("eds-2");

    const lds = new SotwType(mux, LISTENER_TYPE_URL, []);
    lds.request();
    const rds = new SotwType(mux, ROUTE_TYPE_URL, ["local"]);
    rds.request();
    expect(lds.last?.resources.map((r) => r.name)).toEqual(["http"]);
    expect(rds.last?.resources.map((r) => r.name)).toEqual(["local"]);

    // ACK everything: every type waits.
    for (const t of [cds, edsStream, lds, rds]) t.request();

    // Endpoint churn reaches only the EDS watch, and only for its cluster.
    eds.updateResource(endpoints("unrelated", 2));
    expect(edsStream.responses).toHaveLength(1);
    eds.updateResource(endpoints("backend-eds", 2));
    expect(edsStream.responses).toHaveLength(2);
    expect(edsStream.last?.version).toBe("eds-4");
    expect(cds.responses).toHaveLength(1);
    expect(lds.responses).toHaveLength(1);

    // A new snapshot reaches CDS; the EDS watch stays open.
    edsStream.request();
    snapshots.setSnapshot(NODE, snapshotAt("2", [edsCluster("backend", "backend-eds"), edsCluster("api", "api-eds")]));
    expect(cds.responses).toHaveLength(2);
    expect(cds.last?.resources.map((r) => r.name).sort()).toEqual(["api", "backend"]);
    expect(edsStream.responses).toHaveLength(2);
    expect(eds.sotwWatchCount()).toBe(1);
  });

  it("serves delta streams through the same mux", () => {
    const { snapshots, eds, mux, snapshotAt } = setup();
    snapshots.setSnapshot(NODE, snapshotAt("1", [edsCluster("backend", "backend-eds")]));
    eds.updateResources([endpoints("backend-eds", 1), endpoints("other", 1)]);

    const open = (typeUrl: string, names: string[], sub = createSubscription({ resourceNames: names })) => {
      const got: DeltaResponse[] = [];
      const watch = () =>
        mux.createDeltaWatch(create(DeltaDiscoveryRequestSchema, { node: { id: NODE }, typeUrl, responseNonce: got.length === 0 ? "" : `n${got.length}` }), sub, (r) => {
          got.push(r);
          sub.recordDeltaResponse(r.resources, r.removed);
        });
      watch();
      return { got, watch };
    };
    const cds = open(CLUSTER_TYPE_URL, ["*"]);
    const edsStream = open(ENDPOINT_TYPE_URL, ["backend-eds"]);
    expect(cds.got[0]?.resources.map((r) => r.name)).toEqual(["backend"]);
    expect(edsStream.got[0]?.resources.map((r) => r.name)).toEqual(["backend-eds"]);
    cds.watch();
    edsStream.watch();

    eds.updateResource(endpoints("backend-eds", 1));
    expect(edsStream.got).toHaveLength(1);
    eds.deleteResource("backend-eds");
    expect(edsStream.got[1]?.removed).toEqual(["backend-eds"]);
    expect(cds.got).toHaveLength(1);
  });

  it("fetches from the right cache and refuses a type nobody serves", async () => {
    const { snapshots, eds, mux, snapshotAt } = setup();
    snapshots.setSnapshot(NODE, snapshotAt("7", [edsCluster("backend", "backend-eds")]));
    eds.updateResource(endpoints("backend-eds", 1));
    const fetch = (typeUrl: string) => mux.fetch(create(DiscoveryRequestSchema, { node: { id: NODE }, typeUrl }));
    const clusters = await fetch(CLUSTER_TYPE_URL);
    expect(clusters.kind === "response" && clusters.response.version).toBe("7");
    const assignments = await fetch(ENDPOINT_TYPE_URL);
    expect(assignments.kind === "response" && assignments.response.version).toBe("eds-1");
    await expect(fetch(SECRET_TYPE_URL)).rejects.toBeInstanceOf(MuxCacheError);
    expect(() =>
      mux.createWatch(create(DiscoveryRequestSchema, { node: { id: NODE }, typeUrl: SECRET_TYPE_URL }), createSubscription(), () => {}),
    ).toThrowError(/no cache serves type "type\.googleapis\.com\/envoy\.extensions\.transport_sockets\.tls\.v3\.Secret"/);
  });
});

describe("the usual use without ceremony: a snapshot cache as the fallback, a linear cache for EDS", () => {
  function fallbackSetup() {
    const snapshots = createSnapshotCache({ ads: true });
    const eds = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "eds-" });
    const mux = createMuxCache({ caches: { [ENDPOINT_TYPE_URL]: eds }, fallback: snapshots });
    return { snapshots, eds, mux };
  }

  it("serves every type the snapshot holds and endpoints from the linear cache; the snapshot is consistent with EDS served elsewhere", async () => {
    const { snapshots, eds, mux } = fallbackSetup();
    const snapshot = createSnapshot("1", {
      [CLUSTER_TYPE_URL]: [edsCluster("backend", "backend-eds")],
      [LISTENER_TYPE_URL]: [create(ListenerSchema, { name: "http" })],
      [ROUTE_TYPE_URL]: [],
      [SECRET_TYPE_URL]: [create(SecretSchema, { name: "tls" })],
    });
    // The clusters reference endpoints this snapshot does not hold: only the linear cache has them.
    expect(() => snapshot.consistent()).toThrowError(expect.objectContaining({ code: "inconsistent", resourceNames: ["backend-eds"] }));
    snapshot.consistent({ externalTypes: [ENDPOINT_TYPE_URL] });
    snapshots.setSnapshot(NODE, snapshot);
    eds.updateResource(endpoints("backend-eds", 1));

    const cds = new SotwType(mux, CLUSTER_TYPE_URL, []);
    const lds = new SotwType(mux, LISTENER_TYPE_URL, []);
    const sds = new SotwType(mux, SECRET_TYPE_URL, ["tls"]);
    const edsStream = new SotwType(mux, ENDPOINT_TYPE_URL, ["backend-eds"]);
    for (const t of [cds, lds, sds, edsStream]) t.request();
    expect(cds.last?.resources.map((r) => r.name)).toEqual(["backend"]);
    expect(lds.last?.resources.map((r) => r.name)).toEqual(["http"]);
    expect(sds.last?.resources.map((r) => r.name)).toEqual(["tls"]);
    expect(edsStream.last?.version).toBe("eds-1");

    // Endpoint churn stays in the linear cache; a new snapshot reaches the snapshot types.
    for (const t of [cds, lds, sds, edsStream]) t.request();
    eds.updateResource(endpoints("backend-eds", 2));
    expect(edsStream.responses).toHaveLength(2);
    expect(cds.responses).toHaveLength(1);
    snapshots.setSnapshot(NODE, createSnapshot("2", { [CLUSTER_TYPE_URL]: [edsCluster("backend", "backend-eds")], [SECRET_TYPE_URL]: [] }));
    expect(cds.last?.version).toBe("2");
    expect(edsStream.responses).toHaveLength(2);

    const fetched = await mux.fetch(create(DiscoveryRequestSchema, { node: { id: NODE }, typeUrl: RUNTIME_TYPE_URL }));
    expect(fetched.kind === "response" && fetched.response.version).toBe("2");
    expect(mux.cacheFor(create(DiscoveryRequestSchema, { typeUrl: ROUTE_TYPE_URL }))).toBe(snapshots);
  });

  it("an unknown type reaches the fallback, which refuses it naming the type", () => {
    const { mux } = fallbackSetup();
    expect(() =>
      mux.createWatch(create(DiscoveryRequestSchema, { node: { id: NODE }, typeUrl: "type.googleapis.com/acme.Widget" }), createSubscription(), () => {}),
    ).toThrowError(expect.objectContaining({ name: "SnapshotError", code: "unknown-type", typeUrl: "type.googleapis.com/acme.Widget" }));
  });
});
