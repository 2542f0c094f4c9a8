import { create } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  createSubscription,
  ENDPOINT_TYPE_URL,
  type LogFields,
  type Logger,
  type SotwResponse,
} from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache } from "@xdskit/cache-snapshot";
import { type Cluster, ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { createValidator, ValidationError, type Validator } from "@xdskit/validate";
import { describe, expect, it } from "vitest";

// STATIC clusters with inline endpoints: nothing references EDS, so the reference check is quiet.
const cluster = (name: string, connectTimeoutSeconds = 1n): Cluster =>
  create(ClusterSchema, {
    name,
    connectTimeout: { seconds: connectTimeoutSeconds },
    clusterDiscoveryType: { case: "type", value: 0 },
    loadAssignment: {
      clusterName: name,
      endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: "endpoint", value: { address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: 8080 } } } } } } }] }],
    },
  });
const good = (version: string) => createSnapshot(version, { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b")] });
// connect_timeout must be greater than 0s (a PGV rule): Envoy would NACK it.
const bad = (version: string) => createSnapshot(version, { [CLUSTER_TYPE_URL]: [cluster("a"), cluster("b", 0n)] });

function counting(validator: Validator): Validator & { snapshots: number } {
  const wrapper = {
    snapshots: 0,
    validateMessage: validator.validateMessage.bind(validator),
    validateResource: validator.validateResource.bind(validator),
    validateSnapshot(resources: Parameters<Validator["validateSnapshot"]>[0]) {
      wrapper.snapshots++;
      return validator.validateSnapshot(resources);
    },
  };
  return wrapper;
}

function recordingLogger(): Logger & { warnings: [string, LogFields | undefined][] } {
  const warnings: [string, LogFields | undefined][] = [];
  const none = () => {};
  return { warnings, debug: none, info: none, error: none, warn: (message, fields) => warnings.push([message, fields]) };
}

function watchClusters(cache: ReturnType<typeof createSnapshotCache>, version = ""): SotwResponse[] {
  const answers: SotwResponse[] = [];
  const request = create(DiscoveryRequestSchema, { node: { id: "n" }, typeUrl: CLUSTER_TYPE_URL, versionInfo: version });
  cache.createWatch(request, createSubscription({}), (response) => answers.push(response));
  return answers;
}

describe("snapshot cache validation", () => {
  const validator = createValidator();

  it("refuses an invalid snapshot with a ValidationError naming the resource and field, and keeps serving the last good one", () => {
    const cache = createSnapshotCache({ validate: validator });
    cache.setSnapshot("n", good("v1"));
    const waiting = watchClusters(cache, "v1");
    let refused: unknown;
    try {
      cache.setSnapshot("n", bad("v2"));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ValidationError);
    const error = refused as ValidationError;
    expect(error.code).toBe("invalid-resource");
    expect(error.violations.map((v) => [v.resourceName, v.field, v.rule])).toEqual([["b", "connect_timeout", "duration.gt"]]);
    expect(error.message).toContain('Cluster "b" connect_timeout');
    // Nothing changed: the waiting watch was not answered and new clients get v1.
    expect(waiting).toEqual([]);
    expect(cache.getSnapshot("n")?.version(CLUSTER_TYPE_URL)).toBe("v1");
    expect(watchClusters(cache)[0]?.version).toBe("v1");
    // A fixed snapshot is served.
    expect(cache.setSnapshot("n", good("v3"))).toBe(1);
    expect(waiting[0]?.version).toBe("v3");
  });

  it("in warn mode logs the violations and serves the snapshot", () => {
    const logger = recordingLogger();
    const cache = createSnapshotCache({ validate: { validator, mode: "warn" }, logger });
    cache.setSnapshot("n", bad("v2"));
    expect(watchClusters(cache)[0]?.version).toBe("v2");
    expect(logger.warnings.map(([message]) => message)).toEqual(['the snapshot set for node key "n" breaks 1 rule; served anyway (validate mode "warn")']);
    expect(logger.warnings[0]?.[1]?.violations).toEqual(['Cluster "b" connect_timeout: must be greater than 0s (duration.gt)']);
  });

  it("validates one snapshot once however many nodes it is set for", () => {
    const spy = counting(validator);
    const cache = createSnapshotCache({ validate: spy });
    const shared = good("v1");
    for (let i = 0; i < 50; i++) cache.setSnapshot(`node-${i}`, shared);
    expect(spy.snapshots).toBe(1);
    cache.setSnapshot("node-0", good("v2"));
    expect(spy.snapshots).toBe(2);
  });

  it("checks references unless told which types another cache serves", () => {
    const eds = createSnapshot("v1", { [CLUSTER_TYPE_URL]: [create(ClusterSchema, { name: "e", connectTimeout: { seconds: 1n }, clusterDiscoveryType: { case: "type", value: 3 }, edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} } } } })] });
    expect(() => createSnapshotCache({ validate: validator }).setSnapshot("n", eds)).toThrow(/reference\.missing/);
    const split = createValidator({ references: { externalTypes: [ENDPOINT_TYPE_URL] } });
    expect(createSnapshotCache({ validate: split }).setSnapshot("n", eds)).toBe(0);
  });
});
