// Hostile bytes through the real socket path (node HTTP/2 → Connect → stream handler): random
// bytes, random protobuf inside valid gRPC frames, truncated requests, frames flagged compressed,
// lengths that promise more than is sent. Every stream must end with a gRPC status (never hang,
// never crash the server), bad input must be INVALID_ARGUMENT, and the server stays healthy.
import { create } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL } from "@xdskit/cache-core";
import { DiscoveryRequestSchema, DiscoveryResponseSchema, DeltaDiscoveryResponseSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import fc from "fast-check";
import { DEFAULT_MAX_MESSAGE_BYTES } from "@xdskit/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, eventually } from "./support/eventually.js";
import { startHarness, type Harness } from "./support/harness.js";
import { ADS_PATH, closeSession, connect, DELTA_ADS_PATH, encode, grpcFrame, openStream } from "./support/raw-grpc.js";
import { churnSnapshot } from "./support/resources.js";

const CASES = Number(process.env["XDSKIT_GARBAGE_CASES"] ?? 10_000);
const NODE = "garbage";
const GRPC_NAMES: Record<number, string> = { 0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 8: "RESOURCE_EXHAUSTED", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE", [-1]: "RST_STREAM" };

type Garbage = { kind: "raw" | "framed" | "truncated" | "compressed" | "short-length"; bytes: Uint8Array; delta: boolean };

const validRequest = encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { node: { id: NODE }, typeUrl: CLUSTER_TYPE_URL }));
const garbageArb: fc.Arbitrary<Garbage> = fc.record({
  kind: fc.constantFrom("raw", "framed", "truncated", "compressed", "short-length"),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
  delta: fc.boolean(),
});

function wireBytes(g: Garbage): Uint8Array {
  switch (g.kind) {
    case "raw":
      return g.bytes;
    case "framed":
      return grpcFrame(g.bytes);
    case "truncated": {
      // A valid request with its last bytes cut off, framed with its true (shorter) length.
      const cut = validRequest.subarray(0, Math.max(1, validRequest.length - 1 - (g.bytes[0] ?? 0) % validRequest.length));
      return grpcFrame(cut);
    }
    case "compressed":
      return grpcFrame(g.bytes, true);
    case "short-length": {
      // The header promises more bytes than ever arrive before the half-close.
      const f = grpcFrame(g.bytes);
      f.writeUInt32BE(g.bytes.length + 1 + (g.bytes[0] ?? 0), 1);
      return f;
    }
  }
}

describe("garbage frames over the real socket", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.cache.setSnapshot(NODE, churnSnapshot(1));
  });
  afterAll(async () => {
    await h.close();
  });

  it(`${CASES} garbage requests: each ends with INVALID_ARGUMENT (UNIMPLEMENTED for a compressed flag; OK when the bytes happened to decode), the server stays healthy`, async () => {
    const statuses = new Map<string, number>();
    const byKind = new Map<string, number>();
    const unexpected: string[] = [];
    let session = await connect(h.url);
    const t0 = performance.now();
    await fc.assert(
      fc.asyncProperty(garbageArb, async (g) => {
        if (session.closed || session.destroyed) session = await connect(h.url);
        const stream = g.delta ? openStream(session, DELTA_ADS_PATH, DeltaDiscoveryResponseSchema) : openStream(session, ADS_PATH, DiscoveryResponseSchema);
        stream.sendRaw(wireBytes(g));
        stream.halfClose();
        const end = await Promise.race([stream.ended, new Promise<"hang">((r) => setTimeout(() => r("hang"), 10_000))]);
        if (end === "hang") {
          stream.cancel();
          unexpected.push(`${g.kind}: no status within 10 s`);
          return;
        }
        const name = GRPC_NAMES[end.code] ?? String(end.code);
        const key = `${g.kind} ${name}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        byKind.set(g.kind, (byKind.get(g.kind) ?? 0) + 1);
        // OK only when random bytes decoded as a request the server accepted (then the half-close ends
        // it); UNIMPLEMENTED ("compressed request messages are not supported") when the frame's
        // compressed flag is set without a grpc-encoding.
        const wire = wireBytes(g);
        const flagged = (wire[0] ?? 0) !== 0;
        // RESOURCE_EXHAUSTED when the length prefix promises more than the server's message limit.
        const declared = wire.length >= 5 ? new DataView(wire.buffer, wire.byteOffset, wire.byteLength).getUint32(1) : 0;
        const fine =
          end.code === 3 ||
          (end.code === 0 && (g.kind === "raw" || g.kind === "framed")) ||
          (end.code === 12 && flagged) ||
          (end.code === 8 && declared > DEFAULT_MAX_MESSAGE_BYTES);
        if (!fine) unexpected.push(`${key}: ${end.message}`);
      }),
      { numRuns: CASES },
    );
    const ms = performance.now() - t0;
    console.log(`[garbage-frames] ${CASES} cases in ${(ms / 1000).toFixed(1)} s; by kind ${JSON.stringify(Object.fromEntries(byKind))}; outcomes ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    // The server is healthy: a well-formed client still gets its answer.
    const healthy = openStream(session, ADS_PATH, DiscoveryResponseSchema);
    healthy.send(validRequest);
    const response = await healthy.next(10_000);
    expect(response?.versionInfo).toBe("1");
    healthy.cancel();
    await closeSession(session);
    await eventually("no stream or watch left", () => {
      check(h.openStreams() === 0, `open ${h.openStreams()}`);
      const w = h.watches([NODE]);
      check(w.sotw + w.delta === 0, JSON.stringify(w));
    });
    expect(unexpected.slice(0, 20)).toEqual([]);
  });
});
