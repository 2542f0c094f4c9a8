// rememberValid for prepared resources: a CachedResource found valid by validateSnapshot is not
// walked again while the same object comes back; everything new, changed or invalid still is.
import { create } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, prepareResource } from "@xdskit/cache-core";
import { ClusterSchema, Cluster_DiscoveryType, type Cluster } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { describe, expect, it } from "vitest";
import { builtinResourceChecks, createValidator, type ResourceCheck, type Violation } from "./index.js";

const rules = (vs: readonly Violation[]): string[] => vs.map((v) => `${v.resourceName} ${v.field} ${v.rule}`);

const cluster = (name: string, seconds = 1n): Cluster =>
  create(ClusterSchema, {
    name,
    connectTimeout: { seconds },
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} } } },
  });
const prepared = (c: Cluster) => prepareResource(ClusterSchema, c);
const assignment = (name: string, host: string) =>
  prepareResource(
    ClusterLoadAssignmentSchema,
    create(ClusterLoadAssignmentSchema, {
      clusterName: name,
      endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: "endpoint", value: { address: { address: { case: "socketAddress", value: { address: host, portSpecifier: { case: "portValue", value: 80 } } } } } } }] }],
    }),
  );

// A resource check that counts the clusters it sees (what is walked again is checked again).
function counting(): { check: ResourceCheck; seen: string[] } {
  const seen: string[] = [];
  return { seen, check: { rule: "test.count", description: "counts", typeUrl: CLUSTER_TYPE_URL, check: (c) => void seen.push((c as Cluster).name) } };
}

describe("rememberValid with prepared resources", () => {
  it("walks only the resources that are new objects on the next snapshot", () => {
    const { check, seen } = counting();
    const validator = createValidator({ resourceChecks: [...builtinResourceChecks, check] });
    const kept = ["a", "b", "c"].map((n) => prepared(cluster(n)));
    const ends = ["a", "b", "c"].map((n) => assignment(n, "10.0.0.1"));
    expect(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: kept, [ENDPOINT_TYPE_URL]: ends }).ok).toBe(true);
    expect(seen).toEqual(["a", "b", "c"]);
    seen.length = 0;
    const changed = prepared(cluster("b", 2n));
    expect(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: kept.map((r, i) => (i === 1 ? changed : r)), [ENDPOINT_TYPE_URL]: ends }).ok).toBe(true);
    expect(seen).toEqual(["b"]);
  });

  it("a new invalid resource is refused, and one with violations is reported every time", () => {
    const validator = createValidator();
    const good = prepared(cluster("a"));
    expect(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [good], [ENDPOINT_TYPE_URL]: [assignment("a", "10.0.0.1")] }).ok).toBe(true);
    const bad = prepared(cluster("a", -1n));
    for (let i = 0; i < 2; i++) {
      expect(rules(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [bad], [ENDPOINT_TYPE_URL]: [assignment("a", "10.0.0.1")] }).violations)).toEqual([
        "a connect_timeout duration.gt",
      ]);
    }
  });

  it("snapshot checks and references still see a remembered resource", () => {
    const validator = createValidator();
    const kept = prepared(cluster("a"));
    expect(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [kept], [ENDPOINT_TYPE_URL]: [assignment("a", "10.0.0.1")] }).ok).toBe(true);
    // The same cluster object: its EDS endpoints must be IP addresses, and its assignment must be there.
    expect(rules(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [kept], [ENDPOINT_TYPE_URL]: [assignment("a", "backend.example.com")] }).violations)).toEqual([
      "a endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address endpoint.eds-address",
    ]);
    expect(rules(validator.validateSnapshot({ [CLUSTER_TYPE_URL]: [kept], [ENDPOINT_TYPE_URL]: [] }).violations)).toEqual(["a  reference.missing"]);
  });

  it("rememberValid: false walks every resource every time", () => {
    const { check, seen } = counting();
    const validator = createValidator({ resourceChecks: [check], rememberValid: false });
    const kept = [prepared(cluster("a"))];
    for (let i = 0; i < 3; i++) validator.validateSnapshot({ [CLUSTER_TYPE_URL]: kept, [ENDPOINT_TYPE_URL]: [assignment("a", "10.0.0.1")] });
    expect(seen).toEqual(["a", "a", "a"]);
  });
});
