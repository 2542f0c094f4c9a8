import { create, type DescMessage, equals, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { type Any, AnySchema, DurationSchema } from "@bufbuild/protobuf/wkt";
import {
  type CachedResource,
  CLUSTER_TYPE_URL,
  type DeltaResponse,
  prepareRawResource,
  prepareResource,
  RESOURCE_WRAPPER_TYPE_URL,
  type ResourceErrorReport,
  resourceErrorReport,
  type SotwResponse,
  VIRTUAL_HOST_TYPE_URL,
} from "@xdskit/cache-core";
import { ClusterSchema } from "@xdskit/envoy-api/envoy/config/cluster/v3/cluster_pb";
import {
  type DeltaDiscoveryResponse,
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  type DiscoveryResponse,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
  type Resource,
  ResourceErrorSchema,
  ResourceSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import {
  deltaResponseMessage,
  encodeDeltaResponse,
  encodeSotwResponse,
  joinChunks,
  sotwResponseMessage,
} from "@xdskit/server-core/internal";
import { describe, expect, it } from "vitest";

// A small seeded PRNG (mulberry32): failures name their seed and replay.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Lone surrogates (the last two) are written as U+FFFD, by protobuf-es too: the
// bytes still match, but the decoded message then differs from the one built.
const ALPHABET = ["a", "b", "z", "0", "/", "*", ".", "é", "ß", "日", "😀", "\u0000", " ", "\u07ff", "\u0800", "\uffff", "\ud800", "\udc00"];
let letters = ALPHABET.length;

function randomString(random: () => number, max: number): string {
  const length = Math.floor(random() * (max + 1));
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * letters)];
  return out;
}

function randomResource(random: () => number, i: number): CachedResource {
  const ttlMs = random() < 0.3 ? [1, 999, 1000, 1500.25, 30_000, 3_600_000][Math.floor(random() * 6)] : undefined;
  const options = ttlMs === undefined ? {} : { ttlMs };
  if (random() < 0.3) {
    return prepareResource(ClusterSchema, { name: `c-${i}-${randomString(random, 4)}`, connectTimeout: { seconds: BigInt(i) } }, options);
  }
  const bytes = new Uint8Array(Math.floor(random() * (random() < 0.1 ? 600 : 40)));
  for (let b = 0; b < bytes.length; b++) bytes[b] = Math.floor(random() * 256);
  return prepareRawResource({ typeUrl: `type.googleapis.com/x.${randomString(random, 6)}`, name: `r${i}${randomString(random, 8)}`, bytes, ...options });
}

function randomResources(random: () => number): CachedResource[] {
  return Array.from({ length: Math.floor(random() * (random() < 0.1 ? 300 : 8)) }, (_, i) => randomResource(random, i));
}

// Half of the responses with resource_errors (xRFC TP3), codes and messages of every size.
function randomErrors(random: () => number): { errors?: ResourceErrorReport[] } {
  if (random() < 0.5) return {};
  const count = Math.floor(random() * 4);
  const errors = Array.from({ length: count }, (_, i) =>
    resourceErrorReport("t", `e${i}${randomString(random, 6)}`, { code: 1 + Math.floor(random() * 16), message: randomString(random, random() < 0.1 ? 200 : 12) }),
  );
  return { errors };
}

function randomSotwResponse(random: () => number): SotwResponse {
  // Half of the lists frozen, as caches hand out lists they share between watches: those
  // are encoded once per list and shared; the others per response.
  const list = randomResources(random);
  const resources = random() < 0.5 ? Object.freeze(list) : list;
  return {
    request: create(DiscoveryRequestSchema),
    typeUrl: random() < 0.2 ? "" : random() < 0.5 ? CLUSTER_TYPE_URL : `type.googleapis.com/${randomString(random, 10)}`,
    version: randomString(random, 12),
    resources,
    heartbeat: random() < 0.3,
    ...randomErrors(random),
  };
}

function randomDeltaResponse(random: () => number): DeltaResponse {
  const resources = randomResources(random);
  return {
    request: create(DeltaDiscoveryRequestSchema),
    typeUrl: random() < 0.2 ? "" : `type.googleapis.com/${randomString(random, 10)}`,
    systemVersion: randomString(random, 12),
    resources,
    removed: Array.from({ length: Math.floor(random() * 4) }, () => randomString(random, 6)),
    ...randomErrors(random),
  };
}

// The reference: the messages built with protobuf-es alone, as the xDS spec
// defines them (TTL resources wrapped in Resource{name, version, ttl,
// resource}; heartbeats without the body), for toBinary to encode.
function ttlOf(ttlMs: number) {
  const seconds = Math.floor(ttlMs / 1000);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: Math.round((ttlMs - seconds * 1000) * 1e6) });
}

function referenceSotw(response: SotwResponse, nonce: string): DiscoveryResponse {
  const resources: Any[] = response.resources.map((resource) => {
    if (resource.ttlMs === undefined) return create(AnySchema, { typeUrl: resource.any.typeUrl, value: resource.bytes });
    const wrapper = create(ResourceSchema, {
      name: resource.name,
      version: resource.hash,
      ttl: ttlOf(resource.ttlMs),
      ...(response.heartbeat ? {} : { resource: create(AnySchema, { typeUrl: resource.any.typeUrl, value: resource.bytes }) }),
    });
    return create(AnySchema, { typeUrl: RESOURCE_WRAPPER_TYPE_URL, value: toBinary(ResourceSchema, wrapper) });
  });
  return create(DiscoveryResponseSchema, { versionInfo: response.version, resources, typeUrl: response.typeUrl, nonce, resourceErrors: referenceErrors(response.errors) });
}

function referenceErrors(errors: readonly ResourceErrorReport[] | undefined) {
  return (errors ?? []).map((e) => create(ResourceErrorSchema, { resourceName: { name: e.name }, errorDetail: { code: e.code, message: e.message } }));
}

function referenceDelta(response: DeltaResponse, nonce: string): DeltaDiscoveryResponse {
  const resources: Resource[] = response.resources.map((resource) =>
    create(ResourceSchema, {
      name: resource.name,
      version: resource.hash,
      resource: create(AnySchema, { typeUrl: resource.any.typeUrl, value: resource.bytes }),
      ...(resource.ttlMs === undefined ? {} : { ttl: ttlOf(resource.ttlMs) }),
    }),
  );
  return create(DeltaDiscoveryResponseSchema, {
    systemVersionInfo: response.systemVersion,
    resources,
    typeUrl: response.typeUrl,
    nonce,
    removedResources: [...response.removed],
    resourceErrors: referenceErrors(response.errors),
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Checks one response: encoder bytes = protobuf-es bytes; the message form encodes to the same bytes. */
function check<S extends DescMessage>(
  schema: S,
  seed: number,
  wellFormed: boolean,
  reference: MessageShape<S>,
  encode: (headroom?: number) => Uint8Array,
  message: MessageShape<S>,
): void {
  const bytes = encode();
  const built = toBinary(schema, reference);
  expect(Buffer.compare(bytes, built), `seed ${seed}: ${hex(bytes)} != ${hex(built)}`).toBe(0);
  const expected = wellFormed ? reference : fromBinary(schema, built);
  expect(equals(schema, fromBinary(schema, bytes), expected), `seed ${seed}`).toBe(true);
  expect(Buffer.compare(toBinary(schema, message), built), `seed ${seed}: message form`).toBe(0);
  // Cached forms are reused: a second encoding (another stream), with headroom, is the same.
  expect(Buffer.compare(encode(5).subarray(5), bytes), `seed ${seed}: second encoding`).toBe(0);
}

describe("the response encoder", () => {
  it("writes the bytes protobuf-es writes, for 500 random SotW responses (TTL and heartbeats included)", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = rng(seed);
      const wellFormed = seed % 2 === 0;
      letters = wellFormed ? ALPHABET.length - 2 : ALPHABET.length;
      const response = randomSotwResponse(random);
      const nonce = randomString(random, 6);
      check(
        DiscoveryResponseSchema,
        seed,
        wellFormed,
        referenceSotw(response, nonce),
        (headroom) => joinChunks(encodeSotwResponse(response, nonce, headroom)),
        sotwResponseMessage(response, nonce),
      );
    }
  });

  it("writes the bytes protobuf-es writes, for 500 random delta responses (TTL, other versions, removals included)", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const random = rng(seed);
      const wellFormed = seed % 2 === 0;
      letters = wellFormed ? ALPHABET.length - 2 : ALPHABET.length;
      const response = randomDeltaResponse(random);
      const nonce = randomString(random, 6);
      check(
        DeltaDiscoveryResponseSchema,
        seed,
        wellFormed,
        referenceDelta(response, nonce),
        (headroom) => encodeDeltaResponse(response, nonce, headroom),
        deltaResponseMessage(response, nonce),
      );
    }
  });

  it("encodes a frozen (shared) list once: streams share its chunk and get their own head and tail", () => {
    letters = ALPHABET.length - 2;
    const random = rng(11);
    const list = Object.freeze(Array.from({ length: 200 }, (_, i) => randomResource(random, i)));
    const response = { request: create(DiscoveryRequestSchema), typeUrl: CLUSTER_TYPE_URL, version: "7", resources: list, heartbeat: false };
    const a = encodeSotwResponse(response, "a", 5);
    const b = encodeSotwResponse(response, "b", 5);
    expect(a).toHaveLength(3);
    expect(a[1]).toBe(b[1]);
    expect(a[0]).not.toBe(b[0]);
    const message = fromBinary(DiscoveryResponseSchema, joinChunks(b).subarray(5));
    expect(message.nonce).toBe("b");
    expect(message.resources).toHaveLength(200);
    // A heartbeat of the same list is another body; an unfrozen copy of the list is one buffer.
    expect(encodeSotwResponse({ ...response, heartbeat: true }, "c")[1]).not.toBe(a[1]);
    expect(encodeSotwResponse({ ...response, resources: [...list] }, "d")).toHaveLength(1);
    // The message form shares the Any list too.
    expect(sotwResponseMessage(response, "a").resources).toBe(sotwResponseMessage(response, "b").resources);
  });

  it("builds the response messages with the fields protobuf-es's create() gives them, in its order", () => {
    // The messages are literals (one shape, no reflection): a field added upstream must be added there too.
    letters = ALPHABET.length - 2;
    const random = rng(5);
    const sotw = sotwResponseMessage(randomSotwResponse(random), "n");
    const delta = deltaResponseMessage(randomDeltaResponse(random), "n");
    expect(Object.keys(sotw)).toEqual(Object.keys(create(DiscoveryResponseSchema)));
    expect(Object.keys(delta)).toEqual(Object.keys(create(DeltaDiscoveryResponseSchema)));
    expect(sotw.$typeName).toBe(DiscoveryResponseSchema.typeName);
    expect(delta.$typeName).toBe(DeltaDiscoveryResponseSchema.typeName);
  });

  it("VHDS: names that do not exist go out as Resources without body naming them (name and alias), not as removals", () => {
    const absentResponse = (typeUrl: string): DeltaResponse => ({
      request: create(DeltaDiscoveryRequestSchema),
      typeUrl,
      systemVersion: "1",
      resources: [],
      removed: ["rc/gone", "rc/nobody"],
      absent: ["rc/nobody"],
    });
    const vhds = absentResponse(VIRTUAL_HOST_TYPE_URL);
    const expected = create(DeltaDiscoveryResponseSchema, {
      systemVersionInfo: "1",
      typeUrl: VIRTUAL_HOST_TYPE_URL,
      nonce: "n",
      resources: [{ name: "rc/nobody", aliases: ["rc/nobody"] }],
      removedResources: ["rc/gone"],
    });
    expect(Buffer.from(encodeDeltaResponse(vhds, "n"))).toEqual(Buffer.from(toBinary(DeltaDiscoveryResponseSchema, expected)));
    expect(equals(DeltaDiscoveryResponseSchema, deltaResponseMessage(vhds, "n"), expected)).toBe(true);
    // Every other type: removals, as the cache gave them.
    const eds = fromBinary(DeltaDiscoveryResponseSchema, encodeDeltaResponse(absentResponse("type.googleapis.com/x.Y"), "n"));
    expect({ resources: eds.resources.length, removed: eds.removedResources }).toEqual({ resources: 0, removed: ["rc/gone", "rc/nobody"] });
  });

  it("leaves the headroom zero", () => {
    letters = ALPHABET.length;
    const sotw = joinChunks(encodeSotwResponse(randomSotwResponse(rng(7)), "n", 5));
    expect([...sotw.subarray(0, 5)]).toEqual([0, 0, 0, 0, 0]);
    const delta = encodeDeltaResponse(randomDeltaResponse(rng(7)), "n", 5);
    expect([...delta.subarray(0, 5)]).toEqual([0, 0, 0, 0, 0]);
  });
});
