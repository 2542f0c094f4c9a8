import { create } from "@bufbuild/protobuf";
import { NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { GrpcStatus, type PeerInfo, ServerError } from "@xdskit/server-core";
import {
  certificateIdentities,
  defaultIdentityMatch,
  resolveIdentityBinding,
  resolveServerOptions,
  ServerContextState,
  StreamState,
  TokenBucket,
} from "@xdskit/server-core/internal";
import { describe, expect, it } from "vitest";

const peerWith = (subjectaltname: string | undefined): PeerInfo => ({
  tls: true,
  certificate: subjectaltname === undefined ? {} : { subjectaltname },
});

function stream(options = resolveServerOptions(), peer: PeerInfo | undefined = undefined) {
  return new StreamState(
    { protocol: "sotw", typeUrl: "", requestHeader: new Headers(), peer, signal: new AbortController().signal },
    options,
  );
}

function codeOf(run: () => unknown): { code: string; status: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ServerError) return { code: error.code, status: error.status, message: error.message };
    throw error;
  }
  throw new Error("did not throw");
}

describe("certificate identities", () => {
  it("lists URI SANs then DNS SANs, skipping IPs and emails, and unquotes JSON-quoted values", () => {
    const san = 'DNS:a.example, IP Address:127.0.0.1, URI:spiffe://td/ns/x/sa/node-1, email:x@y, URI:"spiffe://td/a,b", DNS:b.example';
    expect(certificateIdentities(peerWith(san))).toEqual(["spiffe://td/ns/x/sa/node-1", "spiffe://td/a,b", "a.example", "b.example"]);
  });

  it("has none without a certificate", () => {
    expect(certificateIdentities(undefined)).toEqual([]);
    expect(certificateIdentities({ tls: false })).toEqual([]);
    expect(certificateIdentities(peerWith(undefined))).toEqual([]);
  });

  it("matches a node exactly or as the last segment of a URI, never an empty value", () => {
    expect(defaultIdentityMatch("node-1", ["node-1"])).toBe(true);
    expect(defaultIdentityMatch("node-1", ["spiffe://td/ns/x/sa/node-1"])).toBe(true);
    expect(defaultIdentityMatch("1", ["spiffe://td/ns/x/sa/node-1"])).toBe(false);
    expect(defaultIdentityMatch("node-1", ["x.node-1"])).toBe(false);
    expect(defaultIdentityMatch("", [""])).toBe(false);
  });

  it("binds by cluster or with a custom extractor and matcher", () => {
    const node = create(NodeSchema, { id: "n", cluster: "edge" });
    expect(resolveIdentityBinding({ field: "cluster" }).allows(node, peerWith("DNS:edge"))).toBe(true);
    expect(resolveIdentityBinding({ field: "cluster" }).allows(node, peerWith("DNS:n"))).toBe(false);
    const custom = resolveIdentityBinding({ extract: () => ["tenant-7"], matches: (n, ids) => ids.includes(`tenant-${n.id.length * 7}`) });
    expect(custom.allows(node, undefined)).toBe(true);
  });

  it("refuses a first node that does not match with PERMISSION_DENIED naming the node", () => {
    const options = resolveServerOptions({ identity: {} });
    const refused = codeOf(() => stream(options, peerWith("DNS:node-a")).acceptNode(create(NodeSchema, { id: "node-b" })));
    expect(refused).toEqual({
      code: "identity-mismatch",
      status: GrpcStatus.PERMISSION_DENIED,
      message: 'node id "node-b" does not match the identity of the client certificate',
    });
    expect(stream(options, peerWith("DNS:node-a")).acceptNode(create(NodeSchema, { id: "node-a" })).id).toBe("node-a");
  });
});

describe("limits", () => {
  it("a token bucket starts full and refills at its rate", () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(new TokenBucket(Number.POSITIVE_INFINITY, 1, 0).take(0)).toBe(true);
  });

  it("a server context counts open streams up to maxStreams, then refuses; shutdown ends every stream and refuses new ones", () => {
    const context = new ServerContextState({ maxStreams: 1 });
    const ended: unknown[] = [];
    const tracked = (name: string) => ({
      stream: stream(context.options),
      shutdown: (error: ServerError) => void ended.push([name, error.code]),
    });
    const first = tracked("first");
    context.admit(first);
    expect(() => context.admit(tracked("second"))).toThrow(expect.objectContaining({ code: "limit-exceeded", status: GrpcStatus.RESOURCE_EXHAUSTED }));
    context.release(first);
    expect(context.openStreams).toBe(0);
    const third = tracked("third");
    context.admit(third);
    expect(context.openStreams).toBe(1);
    context.shutdown();
    expect(ended).toEqual([["third", "shutdown"]]);
    expect(context.closing.aborted).toBe(true);
    expect(() => context.admit(tracked("late"))).toThrow(expect.objectContaining({ code: "shutdown", status: GrpcStatus.UNAVAILABLE }));
  });

  it("the first ACK of each nonce is free; other requests spend the bucket", () => {
    const state = stream(resolveServerOptions({ maxRequestsPerSecond: 1, requestBurst: 1 }));
    state.admitRequest("t");
    state.admitRequest("t", "1");
    state.admitRequest("t", "2");
    expect(codeOf(() => state.admitRequest("t", "2"))).toMatchObject({ code: "limit-exceeded", status: GrpcStatus.RESOURCE_EXHAUSTED });
  });

  it("refuses too many distinct resource names with INVALID_ARGUMENT naming count and limit; repeats count once", () => {
    const state = stream(resolveServerOptions({ maxResourceNamesPerRequest: 2 }));
    state.checkSotwNames("t", ["a", "b", "a", "b", "a"]);
    const refused = codeOf(() => state.checkSotwNames("t", ["a", "b", "c"]));
    expect(refused.status).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(refused.message).toContain("3 distinct resources");
    expect(refused.message).toContain("limit of 2");
    state.checkDeltaNames("t", ["a", "a"], ["b"], { b: "1" });
    expect(codeOf(() => state.checkDeltaNames("t", ["a"], ["b"], { c: "1" })).status).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it("bounds the subscribed name bytes of a stream, over its types, with RESOURCE_EXHAUSTED", () => {
    const state = stream(resolveServerOptions({ maxSubscribedNameBytes: 10 }));
    state.checkSotwNames("t", ["aaaa", "aaaa", "bbbb"]);
    state.checkSotwNames("t", ["cccc"]);
    state.checkSotwNames("u", ["dddd", "ee"]);
    const refused = codeOf(() => state.checkSotwNames("t", ["cccc", "f"]));
    expect(refused.status).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(refused.message).toContain("maxSubscribedNameBytes");
    state.checkSotwNames("u", []);
    // Delta: the change is counted against what the type's subscription holds.
    state.checkDeltaNames("d", ["12345", "12345"], [], {});
    const d = state.openType("d", ["12345"]);
    state.checkDeltaNames("d", ["12345"], ["12345"], {});
    d.subscription.updateResourceNames([], ["12345"]);
    state.checkDeltaNames("d", ["123456"], [], {});
    d.subscription.updateResourceNames(["123456"], []);
    expect(codeOf(() => state.checkDeltaNames("d", ["x"], [], {})).status).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  });
});
