import { ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestEtcd, type TestEtcd } from "./etcd.test-helper.js";
import { cluster, endpoints, recordingLogger } from "./fixtures.test-helper.js";
import { createEtcdWriter, createLinearMirror, resourceKey, type EtcdMirror } from "./index.js";
import { mirrorUpdates } from "./mirror-events.test-helper.js";

let t: TestEtcd;
const mirrors: EtcdMirror[] = [];

beforeAll(async () => {
  t = await startTestEtcd();
});
afterAll(async () => {
  await Promise.all(mirrors.map((m) => m.close()));
  await t?.stop();
});

describe("the linear mirror", () => {
  it("keeps a LinearCache equal to one group's resources of its type, one version step per batch", async () => {
    const prefix = t.prefix();
    const writer = createEtcdWriter({ client: t.client, prefix });
    await writer.replace({ edge: [endpoints("web", 1), endpoints("api", 1), cluster("web")], other: [endpoints("elsewhere", 1)] });
    const cache = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "replica-a-" });
    const updates = mirrorUpdates();
    const logger = recordingLogger();
    const mirror = createLinearMirror({ client: t.client, cache, group: "edge", prefix, logger, onUpdate: updates.onUpdate });
    mirrors.push(mirror);
    await mirror.start();
    expect([...cache.getResources().keys()].sort()).toEqual(["api", "web"]);
    const loaded = cache.version();

    const step = await writer.update({
      put: [{ group: "edge", resource: endpoints("web", 2) }, { group: "other", resource: endpoints("x", 1) }],
      delete: [{ group: "edge", typeUrl: ENDPOINT_TYPE_URL, name: "api" }],
    });
    await updates.next("the update", (u) => u.revision === step.revision);
    expect([...cache.getResources().keys()]).toEqual(["web"]);
    expect(cache.getResource("web")?.message).toMatchObject({ clusterName: "web" });
    expect(cache.version()).toBe(`replica-a-${Number(loaded.slice("replica-a-".length)) + 1}`);

    // Another type or group under the prefix is not this mirror's business; a bad value of its own is.
    await writer.put("edge", [cluster("api")]);
    const bad = resourceKey(prefix, { group: "edge", typeUrl: ENDPOINT_TYPE_URL, name: "web" });
    await t.client.put(bad).value("garbage");
    await updates.next("the bad value", (u) => u.revision > step.revision);
    expect(cache.getResource("web")).toBeDefined();
    expect(logger.lines.filter((l) => l.level === "error").map((l) => l.fields["key"])).toEqual([bad]);
    expect(mirror.status().skipped.has(bad)).toBe(true);
    // Neither the cluster nor the bad value made a new version.
    expect(cache.version()).toBe(`replica-a-${Number(loaded.slice("replica-a-".length)) + 1}`);
  });
});
