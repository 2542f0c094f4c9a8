// Snapshot checks from per-resource summaries: a prepared resource found valid (by validatePrepared
// or validateSnapshot) is remembered by its bytes with its summaries and references, so a later
// snapshot of bytes-only resources is checked without decoding the ones it kept.
import { create, type Message } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, prepareRawResource, prepareResource, type CachedResource } from "@xdskit/cache-core";
import { ClusterSchema, Cluster_DiscoveryType, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { describe, expect, it } from "vitest";
import { builtinResourceChecks, builtinSnapshotChecks, createValidator, type ResourceCheck, type SnapshotCheck, type Violation } from "./index.js";

const rules = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.resourceName} ${v.field} ${v.rule}`);

const cluster = (name: string) =>
  prepareResource(
    ClusterSchema,
    create(ClusterSchema, {
      name,
      connectTimeout: { seconds: 1n },
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} } } },
    }),
  );
const assignment = (name: string, host: string) =>
  prepareResource(
    ClusterLoadAssignmentSchema,
    create(ClusterLoadAssignmentSchema, {
      clusterName: name,
      endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: "endpoint", value: { address: { address: { case: "socketAddress", value: { address: host, portSpecifier: { case: "portValue", value: 80 } } } } } } }] }],
    }),
  );
const listener = (name: string, port: number) =>
  prepareResource(
    ListenerSchema,
    create(ListenerSchema, {
      name,
      address: { address: { case: "socketAddress", value: { address: "0.0.0.0", portSpecifier: { case: "portValue", value: port } } } },
      filterChains: [{ filters: [{ name: "envoy.filters.network.tcp_proxy" }] }],
    }),
  );
/** The same resource as its bytes only (what a program keeps once it dropped the message). */
const bytesOnly = (r: CachedResource): CachedResource => prepareRawResource({ typeUrl: r.typeUrl, name: r.name, bytes: r.bytes });

function counting(typeUrl: string): { check: ResourceCheck; seen: string[] } {
  const seen: string[] = [];
  return { seen, check: { rule: "test.count", description: "counts", typeUrl, check: (m) => void seen.push((m as Cluster).name || "assignment") } };
}

describe("validatePrepared and summarized snapshot checks", () => {
  it("a resource validated as it is prepared is neither walked nor decoded again when its bytes come back without the message", () => {
    const { check, seen } = counting(CLUSTER_TYPE_URL);
    const summarized: string[] = [];
    const eds = builtinSnapshotChecks.find((c) => c.rule === "endpoint.eds-address") as SnapshotCheck;
    const summary = eds.summary;
    expect(summary).toBeDefined();
    if (summary === undefined) return;
    // The built-in check, with its summaries counted.
    const summarize = (typeUrl: string, m: Message): unknown => {
      summarized.push(typeUrl);
      return summary.summarize(typeUrl, m);
    };
    const spy: SnapshotCheck = { ...eds, summary: { ...summary, summarize } };
    const validator = createValidator({ resourceChecks: [...builtinResourceChecks, check], snapshotChecks: [spy] });
    const c = cluster("a");
    const e = assignment("a", "10.0.0.1");
    expect(validator.validatePrepared?.(c).ok).toBe(true);
    expect(validator.validatePrepared?.(e).ok).toBe(true);
    expect(seen).toEqual(["a"]);
    expect(summarized).toEqual([CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL]);
    for (let i = 0; i < 3; i++) {
      expect(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [bytesOnly(c)], [ENDPOINT_TYPE_URL]: [bytesOnly(e)] }).ok).toBe(true);
    }
    expect(seen).toEqual(["a"]);
    expect(summarized).toEqual([CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL]);
    // The remembered cluster's summary still asks for IP endpoints of a new assignment.
    expect(rules(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [bytesOnly(c)], [ENDPOINT_TYPE_URL]: [assignment("a", "backend.example.com")] }).violations)).toEqual([
      "a endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address endpoint.eds-address",
    ]);
  });

  it("checks across resources fire between a remembered bytes-only resource and a new one", () => {
    const validator = createValidator();
    const kept = listener("a", 10000);
    const c = cluster("web");
    expect(validator.validateSnapshot({ [LISTENER_TYPE_URL]: [kept], [CLUSTER_TYPE_URL]: [c], [ENDPOINT_TYPE_URL]: [assignment("web", "10.0.0.1")] }).ok).toBe(true);
    const clash = validator.validateSnapshot({ [LISTENER_TYPE_URL]: [bytesOnly(kept), listener("b", 10000)], [CLUSTER_TYPE_URL]: [bytesOnly(c)], [ENDPOINT_TYPE_URL]: [assignment("web", "10.0.0.1")] });
    expect(rules(clash.violations)).toEqual(["b address listener.duplicate-address"]);
    // The remembered cluster's reference to its assignment.
    expect(rules(validator.validateSnapshot({ [LISTENER_TYPE_URL]: [bytesOnly(kept)], [CLUSTER_TYPE_URL]: [bytesOnly(c)], [ENDPOINT_TYPE_URL]: [] }).violations)).toEqual([
      "web  reference.missing",
    ]);
  });

  it("a snapshot check without a summary is given decoded messages of bytes-only resources", () => {
    const names: string[] = [];
    const plain: SnapshotCheck = {
      rule: "test.names",
      description: "collects listener names",
      check: (snapshot) => {
        for (const [name, m] of snapshot.resources(LISTENER_TYPE_URL)) names.push(`${name}:${(m as Message).$typeName}`);
      },
    };
    const validator = createValidator({ snapshotChecks: [...builtinSnapshotChecks, plain] });
    const kept = listener("a", 10000);
    expect(validator.validatePrepared?.(kept).ok).toBe(true);
    expect(validator.validateSnapshot({ [LISTENER_TYPE_URL]: [bytesOnly(kept)] }).ok).toBe(true);
    expect(names).toEqual(["a:envoy.config.listener.v3.Listener"]);
  });

  it("an invalid resource is reported by validatePrepared and walked again every time", () => {
    const { check, seen } = counting(CLUSTER_TYPE_URL);
    const validator = createValidator({ resourceChecks: [check] });
    const bad = prepareResource(ClusterSchema, create(ClusterSchema, { name: "bad", connectTimeout: { seconds: -1n } }));
    expect(rules(validator.validatePrepared?.(bad).violations ?? [])).toEqual(["bad connect_timeout duration.gt"]);
    expect(rules(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [bytesOnly(bad)] }).violations)).toEqual(["bad connect_timeout duration.gt"]);
    expect(seen).toEqual(["bad", "bad"]);
  });
});
