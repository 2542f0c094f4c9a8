import { CacheError, CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from "@xdskit/cache-core";
import { GrpcStatus, ServerError } from "@xdskit/server-core";
import { classifyRequest, ResponseQueue, resolveServerOptions, StreamState, statusOf } from "@xdskit/server-core/internal";
import { describe, expect, it } from "vitest";

function stream(typeUrl = "", options = resolveServerOptions()) {
  return new StreamState(
    { protocol: "sotw", typeUrl, requestHeader: new Headers(), peer: undefined, signal: new AbortController().signal },
    options,
  );
}

describe("resolveServerOptions", () => {
  it("defaults legacy wildcard to CDS, LDS and SRDS only", () => {
    const options = resolveServerOptions();
    expect(options.allowsLegacyWildcard(CLUSTER_TYPE_URL)).toBe(true);
    expect(options.allowsLegacyWildcard(LISTENER_TYPE_URL)).toBe(true);
    expect(options.allowsLegacyWildcard(ENDPOINT_TYPE_URL)).toBe(false);
    expect(options.ordered).toBe(false);
    expect(resolveServerOptions({ legacyWildcard: false }).allowsLegacyWildcard(CLUSTER_TYPE_URL)).toBe(false);
    const perType = resolveServerOptions({ legacyWildcard: (t) => t === ROUTE_TYPE_URL });
    expect(perType.allowsLegacyWildcard(ROUTE_TYPE_URL)).toBe(true);
    expect(perType.allowsLegacyWildcard(CLUSTER_TYPE_URL)).toBe(false);
  });
});

describe("ResponseQueue", () => {
  it("keeps one response per type, newest wins, in arrival or ADS order", async () => {
    const arrival = new ResponseQueue<string>();
    const ordered = new ResponseQueue<string>(true);
    for (const queue of [arrival, ordered]) {
      queue.put(ROUTE_TYPE_URL, "r1");
      queue.put(CLUSTER_TYPE_URL, "c1");
      queue.put(ROUTE_TYPE_URL, "r2");
      expect(queue.size).toBe(2);
    }
    expect(await arrival.take()).toEqual([CLUSTER_TYPE_URL, "c1"]);
    expect(await arrival.take()).toEqual([ROUTE_TYPE_URL, "r2"]);
    expect(await ordered.take()).toEqual([CLUSTER_TYPE_URL, "c1"]);
    expect(await ordered.take()).toEqual([ROUTE_TYPE_URL, "r2"]);
  });

  it("wakes a waiting taker, then ends or fails", async () => {
    const queue = new ResponseQueue<number>();
    const taken = queue.take();
    queue.put(CLUSTER_TYPE_URL, 1);
    expect(await taken).toEqual([CLUSTER_TYPE_URL, 1]);
    const failing = new ResponseQueue<number>();
    const pending = failing.take();
    failing.fail(new Error("gone"));
    await expect(pending).rejects.toThrow("gone");
    queue.end();
    expect(await queue.take()).toBeUndefined();
  });
});

describe("StreamState and classifyRequest", () => {
  it("requires a node on the first request and keeps it", () => {
    const s = stream();
    expect(() => s.acceptNode(undefined)).toThrow(ServerError);
    const node = { id: "n" } as Parameters<StreamState["acceptNode"]>[0];
    expect(s.acceptNode(node)).toBe(node);
    expect(s.acceptNode(undefined)).toBe(node);
  });

  it("checks type URLs for ADS and per-type streams", () => {
    expect(() => stream().resolveTypeUrl("")).toThrow(/type_url/);
    expect(stream(CLUSTER_TYPE_URL).resolveTypeUrl("")).toBe(CLUSTER_TYPE_URL);
    expect(() => stream(CLUSTER_TYPE_URL).resolveTypeUrl(LISTENER_TYPE_URL)).toThrow(ServerError);
  });

  it("classifies first, update, ack, nack and stale requests; reports a NACK once", () => {
    const s = stream();
    expect(classifyRequest(undefined, { responseNonce: "" })).toBe("first");
    const state = s.openType(ENDPOINT_TYPE_URL, ["a"]);
    expect(state.subscription.isWildcard()).toBe(false);
    expect(classifyRequest(state, { responseNonce: "" })).toBe("update");
    const nonce = s.nextNonce();
    expect(s.nextNonce()).not.toBe(nonce);
    state.recordSent(nonce, "v1", ["a"]);
    expect(classifyRequest(state, { responseNonce: nonce })).toBe("ack");
    expect(classifyRequest(state, { responseNonce: nonce, errorDetail: {} })).toBe("nack");
    expect(classifyRequest(state, { responseNonce: "old" })).toBe("stale");
    expect(s.nackOf(state, nonce, undefined)).toMatchObject({ version: "v1", resourceNames: ["a"] });
    expect(s.nackOf(state, nonce, undefined)).toBeUndefined();
  });

  it("forgets what was sent of names no longer subscribed (SotW)", () => {
    const state = stream().openType(ENDPOINT_TYPE_URL, ["a", "b"]);
    state.subscription.setReturnedResources(new Map([["a", "1"], ["b", "1"]]));
    state.setResourceNames(["a"]);
    expect([...state.subscription.returnedResources().keys()]).toEqual(["a"]);
  });

  it("cancels watches on close", () => {
    const s = stream();
    let cancelled = 0;
    s.openType(CLUSTER_TYPE_URL, []).setWatch(() => {
      cancelled += 1;
    });
    s.close();
    expect(cancelled).toBe(1);
    expect(s.closed).toBe(true);
  });
});

describe("statusOf", () => {
  it("maps server, cache and foreign errors to gRPC statuses", () => {
    expect(statusOf(new ServerError("missing-node", "x")).status).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(statusOf(new ServerError("shutdown", "x")).status).toBe(GrpcStatus.UNAVAILABLE);
    expect(statusOf(new CacheError("unknown-type", "x")).status).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(statusOf(new CacheError("invalid-resource", "x")).status).toBe(GrpcStatus.INTERNAL);
    expect(statusOf(Object.assign(new Error("no"), { code: 7 })).status).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(statusOf(new Error("boom"))).toEqual({ status: GrpcStatus.INTERNAL, message: "boom" });
  });
});
