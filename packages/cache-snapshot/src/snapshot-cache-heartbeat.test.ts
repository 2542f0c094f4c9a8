import { create } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createSubscription, RUNTIME_TYPE_URL, SECRET_TYPE_URL, type SotwResponse } from "@xdskit/cache-core";
import { createSnapshot, createSnapshotCache, type SnapshotCache, SnapshotError } from "@xdskit/cache-snapshot";
import { SecretSchema } from "@xdskit/envoy-api/envoy/extensions/transport_sockets/tls/v3/secret_pb";
import { RuntimeSchema } from "@xdskit/envoy-api/envoy/service/runtime/v3/rtds_pb";
import { DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

const secrets = (...names: string[]) => names.map((name) => create(SecretSchema, { name }));

/**
 * A SotW stream as a server runs it: each response reopens the watch at the
 * version it carried; ordinary responses record what was sent, heartbeats do not.
 */
function stream(cache: SnapshotCache, typeUrl: string, names: string[] = []) {
  const got: SotwResponse[] = [];
  const subscription = createSubscription({ resourceNames: names });
  let cancel = (): void => {};
  const open = (version: string): void => {
    const request = create(DiscoveryRequestSchema, { typeUrl, node: { id: "n1" }, versionInfo: version, resourceNames: names });
    let answered = false;
    const cancelThis = cache.createWatch(request, subscription, (response) => {
      answered = true;
      got.push(response);
      if (!response.heartbeat) subscription.setReturnedResources(new Map(response.resources.map((r) => [r.name, response.version])));
      open(response.version);
    });
    // Answered at once: the watch opened from inside respond is the live one.
    if (!answered) cancel = cancelThis;
  };
  open("");
  return { got, cancel: () => cancel() };
}

describe("SnapshotCache TTL heartbeats", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const snapshot = (version: string) =>
    createSnapshot(
      version,
      { [SECRET_TYPE_URL]: secrets("ttl-a", "ttl-b", "plain"), [RUNTIME_TYPE_URL]: [create(RuntimeSchema, { name: "rt" })] },
      { ttlMs: { [SECRET_TYPE_URL]: { "ttl-a": 10_000, "ttl-b": 10_000 } } },
    );

  it("SotW responses carry each resource's TTL", () => {
    const cache = createSnapshotCache();
    cache.setSnapshot("n1", snapshot("v1"));
    const sds = stream(cache, SECRET_TYPE_URL);
    expect(sds.got[0]?.resources.map((r) => [r.name, r.ttlMs])).toEqual([
      ["ttl-a", 10_000],
      ["ttl-b", 10_000],
      ["plain", undefined],
    ]);
  });

  it("sends a heartbeat of the TTL resources to up-to-date watches every interval", () => {
    const cache = createSnapshotCache({ heartbeatIntervalMs: 1_000 });
    cache.setSnapshot("n1", snapshot("v1"));
    const sds = stream(cache, SECRET_TYPE_URL);
    const rtds = stream(cache, RUNTIME_TYPE_URL);
    expect(sds.got).toHaveLength(1);

    vi.advanceTimersByTime(999);
    expect(sds.got).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sds.got).toHaveLength(2);
    expect(sds.got[1]).toMatchObject({ heartbeat: true, version: "v1" });
    expect(sds.got[1]?.resources.map((r) => r.name)).toEqual(["ttl-a", "ttl-b"]);

    vi.advanceTimersByTime(3_000);
    expect(sds.got.map((r) => r.heartbeat)).toEqual([false, true, true, true, true]);
    // A type without TTL resources gets no heartbeats.
    expect(rtds.got).toHaveLength(1);
    cache.close();
  });

  it("named subscribers get heartbeats only for the TTL resources they asked for", () => {
    const cache = createSnapshotCache({ heartbeatIntervalMs: 500 });
    cache.setSnapshot("n1", snapshot("v1"));
    const plain = stream(cache, SECRET_TYPE_URL, ["plain"]);
    const one = stream(cache, SECRET_TYPE_URL, ["ttl-b", "plain"]);
    vi.advanceTimersByTime(500);
    expect(plain.got).toHaveLength(1);
    expect(one.got[1]?.resources.map((r) => r.name)).toEqual(["ttl-b"]);
    cache.close();
  });

  it("no heartbeat for a client that is behind: an ADS watch held for missing names", () => {
    const cache = createSnapshotCache({ ads: true, heartbeatIntervalMs: 100 });
    cache.setSnapshot("n1", snapshot("v1"));
    const held = stream(cache, SECRET_TYPE_URL, ["ttl-a", "missing"]);
    vi.advanceTimersByTime(1_000);
    expect(held.got).toHaveLength(0);
    cache.close();
  });

  it("cancelled watches get no heartbeats, and close() stops them", () => {
    const cache = createSnapshotCache({ heartbeatIntervalMs: 100 });
    cache.setSnapshot("n1", snapshot("v1"));
    const cancelled = stream(cache, SECRET_TYPE_URL);
    const kept = stream(cache, SECRET_TYPE_URL);
    cancelled.cancel();
    vi.advanceTimersByTime(100);
    expect(cancelled.got).toHaveLength(1);
    expect(kept.got).toHaveLength(2);
    cache.close();
    vi.advanceTimersByTime(1_000);
    expect(kept.got).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("options given as undefined take their defaults: no heartbeats, silent, keyed by node id", () => {
    const log = vi.spyOn(console, "debug");
    const cache = createSnapshotCache({ logger: undefined, heartbeatIntervalMs: undefined, ads: undefined, nodeHash: undefined, types: undefined });
    expect(vi.getTimerCount()).toBe(0);
    const secretsStream = stream(cache, SECRET_TYPE_URL);
    cache.setSnapshot("n1", snapshot("v1"));
    vi.advanceTimersByTime(60_000);
    expect(secretsStream.got.map((r) => r.heartbeat)).toEqual([false]);
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
  });

  it("rejects an interval that is not a positive number", () => {
    expect(() => createSnapshotCache({ heartbeatIntervalMs: 0 })).toThrowError(expect.objectContaining({ code: "invalid-options", field: "heartbeatIntervalMs" }));
    expect(() => createSnapshotCache({ heartbeatIntervalMs: -5 })).toThrowError(SnapshotError);
    expect(() => createSnapshotCache({ heartbeatIntervalMs: Number.NaN })).toThrowError(/heartbeatIntervalMs/);
  });
});
