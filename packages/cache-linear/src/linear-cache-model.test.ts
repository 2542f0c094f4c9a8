import { create } from "@bufbuild/protobuf";
import {
  ABSENT_RESOURCE_VERSION,
  type Cancel,
  createSubscription,
  ENDPOINT_TYPE_URL,
  type MutableSubscription,
  prepareResource,
} from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { DeltaDiscoveryRequestSchema, DiscoveryRequestSchema } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// Model-based test: random sequences of cache updates and stream events run
// against the cache and against a reference model (a Map name → content).
// After every step, every client whose watch the cache keeps open must hold
// exactly the model's view of what it subscribes to, and a delta client must
// have been told (once) of every name it subscribed to by name that does not
// exist: a cache may only keep a watch when its client is current.

const NAMES = ["a", "b", "ns/x", "ns/y", "ns/d/z", "other/q"] as const;
const GLOBS = ["ns/*", "ns/d/*"] as const;
const CONTENTS = 3;

const claOf = (name: string, content: number) =>
  create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: content + 1 }] });

// hash → [name, content]: decodes what a client was sent without re-parsing bytes.
const decode = new Map<string, readonly [string, number]>();
const hashOf = new Map<string, string>();
for (const name of NAMES) {
  for (let c = 0; c < CONTENTS; c++) {
    const hash = prepareResource(ClusterLoadAssignmentSchema, claOf(name, c)).hash;
    decode.set(hash, [name, c]);
    hashOf.set(`${name}\0${c}`, hash);
  }
}
const hashFor = (name: string, content: number): string => hashOf.get(`${name}\0${content}`) ?? "";

// ---- operations ----
type Sub = { readonly wildcard: "none" | "legacy" | "explicit"; readonly names: readonly string[] };
type Op =
  | { t: "update"; n: number; c: number; prepared: boolean }
  | { t: "delete"; n: number }
  | { t: "batch"; ups: [number, number][]; dels: number[] }
  | { t: "set"; items: [number, number][] }
  | { t: "openSotw"; sub: Sub }
  | { t: "openDelta"; sub: Sub; initial: [number, number][] }
  | { t: "ack"; i: number }
  | { t: "cancel"; i: number }
  | { t: "resub"; i: number; sub: Sub; drop: string[] }
  | { t: "fetch"; sub: Sub; current: boolean };

const nameIdx = fc.nat({ max: NAMES.length - 1 });
const content = fc.nat({ max: CONTENTS - 1 });
const subArb: fc.Arbitrary<Sub> = fc.record({
  wildcard: fc.constantFrom<Sub["wildcard"]>("none", "none", "legacy", "explicit"),
  names: fc.subarray([...NAMES, ...GLOBS], { maxLength: 3 }),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("update" as const), n: nameIdx, c: content, prepared: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("delete" as const), n: nameIdx }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("batch" as const),
      ups: fc.array(fc.tuple(nameIdx, content), { maxLength: 3 }),
      dels: fc.array(nameIdx, { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("set" as const), items: fc.array(fc.tuple(nameIdx, content), { maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("openSotw" as const), sub: subArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("openDelta" as const),
      sub: subArb,
      initial: fc.array(fc.tuple(nameIdx, fc.integer({ min: -1, max: CONTENTS - 1 })), { maxLength: 2 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("ack" as const), i: fc.nat({ max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("cancel" as const), i: fc.nat({ max: 7 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("resub" as const),
      i: fc.nat({ max: 7 }),
      sub: subArb,
      drop: fc.subarray(["*", ...NAMES, ...GLOBS], { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("fetch" as const), sub: subArb, current: fc.boolean() }) },
);

// ---- the reference side ----
function coveredBy(wildcard: boolean, names: ReadonlySet<string>, name: string): boolean {
  if (wildcard || names.has(name)) return true;
  for (const glob of names) if (glob.endsWith("/*") && name.startsWith(glob.slice(0, -1))) return true;
  return false;
}

interface Client {
  readonly kind: "sotw" | "delta";
  readonly sub: MutableSubscription;
  /** What the client holds: name → content (-1: a version the cache never produced). */
  received: Map<string, number>;
  /** Delta: names subscribed by name that the client was told do not exist. */
  absent: Set<string>;
  /** SotW: the last version received; delta: the last nonce received. */
  version: string;
  state: "watching" | "awaiting-ack" | "closed";
  cancel: Cancel;
  watchId: number;
}

const sotwNames = (sub: Sub): string[] => (sub.wildcard === "explicit" ? ["*", ...sub.names] : [...sub.names]);
const covers = (client: Client, name: string) => coveredBy(client.sub.isWildcard(), client.sub.resourceNames(), name);

class Harness {
  readonly cache: LinearCache = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "m" });
  readonly model = new Map<string, number>();
  readonly clients: Client[] = [];
  /** Assertion failures inside respond callbacks: the cache catches what a callback throws, so they are rethrown after the step. */
  readonly failures: unknown[] = [];
  responses = 0;
  #nextWatch = 0;

  input(n: number, c: number, prepared: boolean) {
    const name = NAMES[n] ?? "a";
    return prepared ? prepareResource(ClusterLoadAssignmentSchema, claOf(name, c)) : claOf(name, c);
  }

  openWatch(client: Client): void {
    const id = ++this.#nextWatch;
    client.watchId = id;
    client.state = "watching";
    const guard = () => {
      // At most one answer per watch, and never after cancel.
      expect(client.watchId, "a response for a replaced watch").toBe(id);
      expect(client.state, "a response after cancel or a second response").toBe("watching");
      client.state = "awaiting-ack";
      this.responses++;
    };
    const checked =
      <R>(body: (response: R) => void) =>
      (response: R): void => {
        try {
          body(response);
        } catch (error) {
          this.failures.push(error);
        }
      };
    if (client.kind === "sotw") {
      const request = create(DiscoveryRequestSchema, {
        typeUrl: ENDPOINT_TYPE_URL,
        versionInfo: client.version,
        resourceNames: [...client.sub.resourceNames()],
      });
      client.cancel = this.cache.createWatch(request, client.sub, checked((response) => {
        guard();
        expect(client.sub.isWildcard() || client.sub.resourceNames().size > 0, "a SotW answer to a subscription to nothing").toBe(true);
        expect(response.version).toBe(this.cache.version());
        const received = new Map<string, number>();
        for (const r of response.resources) {
          const [name, c] = decode.get(r.hash) ?? ["?", -2];
          expect(name).toBe(r.name);
          expect(received.has(name), "a resource twice in one response").toBe(false);
          received.set(name, c);
        }
        client.received = received;
        client.version = response.version;
        client.sub.setReturnedResources(new Map(response.resources.map((r) => [r.name, response.version])));
      }));
    } else {
      const responseNonce = client.version;
      const request = create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, responseNonce });
      client.cancel = this.cache.createDeltaWatch(request, client.sub, checked((response) => {
        guard();
        const wildcard = client.sub.isWildcard();
        // Only the first answer of a wildcard stream may carry nothing.
        if (client.sub.answered() || !wildcard) {
          expect(response.resources.length + response.removed.length, "an empty delta response").toBeGreaterThan(0);
        }
        client.version = `nonce-${id}`;
        for (const r of response.resources) {
          const [name, c] = decode.get(r.hash) ?? ["?", -2];
          expect(name).toBe(r.name);
          expect(client.received.get(name), `resent unchanged ${name}`).not.toBe(c);
          client.received.set(name, c);
          client.absent.delete(name);
        }
        const exact = (name: string) => !wildcard && client.sub.resourceNames().has(name);
        for (const name of response.removed) {
          if (client.received.has(name)) {
            client.received.delete(name);
          } else {
            // A name the client did not hold: one it subscribed to by name, that does not exist, not reported before.
            expect(exact(name), `removed ${name}, which the client neither held nor subscribed to by name`).toBe(true);
            expect(this.model.has(name), `removed ${name}, which exists`).toBe(false);
            expect(client.absent.has(name), `reported ${name} as absent twice`).toBe(false);
          }
          if (exact(name)) client.absent.add(name);
        }
        if (wildcard) client.absent.clear();
        // The server records the response as its changes; what the client then holds must match the model.
        client.sub.recordDeltaResponse(response.resources, response.removed);
        const expected = new Map([...client.received].map(([n, c]) => [n, c < 0 ? "bogus" : hashFor(n, c)]));
        const recorded = [...client.sub.returnedResources()];
        expect(new Map(recorded.filter(([, v]) => v !== ABSENT_RESOURCE_VERSION))).toEqual(expected);
        // A wildcard client is never told about names it did not hold, so which it was told absent does not matter.
        if (!wildcard) expect(new Set(recorded.filter(([, v]) => v === ABSENT_RESOURCE_VERSION).map(([n]) => n))).toEqual(client.absent);
      }));
    }
  }

  pick(i: number): Client | undefined {
    const open = this.clients.filter((c) => c.state !== "closed");
    return open.length === 0 ? undefined : open[i % open.length];
  }

  async step(op: Op): Promise<void> {
    const before = this.responses;
    const modelBefore = new Map(this.model);
    const cache = this.cache;
    switch (op.t) {
      case "update": {
        cache.updateResource(this.input(op.n, op.c, op.prepared));
        this.model.set(NAMES[op.n] ?? "a", op.c);
        break;
      }
      case "delete": {
        cache.deleteResource(NAMES[op.n] ?? "a");
        this.model.delete(NAMES[op.n] ?? "a");
        break;
      }
      case "batch": {
        cache.updateResources(
          op.ups.map(([n, c]) => this.input(n, c, false)),
          op.dels.map((n) => NAMES[n] ?? "a"),
        );
        for (const n of op.dels) this.model.delete(NAMES[n] ?? "a");
        for (const [n, c] of op.ups) this.model.set(NAMES[n] ?? "a", c);
        break;
      }
      case "set": {
        cache.setResources(op.items.map(([n, c]) => this.input(n, c, true)));
        this.model.clear();
        for (const [n, c] of op.items) this.model.set(NAMES[n] ?? "a", c);
        break;
      }
      case "openSotw": {
        const names = op.sub.wildcard === "legacy" ? [] : sotwNames(op.sub);
        const client: Client = {
          kind: "sotw",
          sub: createSubscription({ resourceNames: names }),
          received: new Map(),
          absent: new Set(),
          version: "",
          state: "watching",
          cancel: () => {},
          watchId: 0,
        };
        this.clients.push(client);
        this.openWatch(client);
        break;
      }
      case "openDelta": {
        const names = op.sub.wildcard === "legacy" ? [] : sotwNames(op.sub);
        const received = new Map<string, number>();
        const initial = new Map<string, string>();
        for (const [n, c] of op.initial) {
          const name = NAMES[n] ?? "a";
          received.set(name, c);
          initial.set(name, c < 0 ? "bogus" : hashFor(name, c));
        }
        const client: Client = {
          kind: "delta",
          sub: createSubscription({ resourceNames: names, returnedResources: initial }),
          received,
          absent: new Set(),
          version: "",
          state: "watching",
          cancel: () => {},
          watchId: 0,
        };
        this.clients.push(client);
        this.openWatch(client);
        break;
      }
      case "ack": {
        const client = this.pick(op.i);
        if (client?.state === "awaiting-ack") this.openWatch(client);
        break;
      }
      case "cancel": {
        const client = this.pick(op.i);
        if (client !== undefined) {
          client.cancel();
          client.cancel();
          client.state = "closed";
        }
        break;
      }
      case "resub": {
        const client = this.pick(op.i);
        if (client === undefined) break;
        client.cancel();
        if (client.kind === "sotw") {
          client.sub.setResourceNames(op.sub.wildcard === "legacy" ? [] : sotwNames(op.sub));
        } else {
          const subscribe = sotwNames(op.sub);
          client.sub.updateResourceNames(subscribe, op.drop);
          // The client forgets what it no longer subscribes to; the server drops it from the stream state,
          // and forgets names subscribed or unsubscribed again, so absent ones are reported again.
          for (const name of [...client.received.keys()]) if (!covers(client, name)) client.received.delete(name);
          for (const name of [...subscribe, ...op.drop]) client.absent.delete(name);
          for (const name of [...client.absent]) if (!client.sub.resourceNames().has(name)) client.absent.delete(name);
          const forget = [...client.sub.returnedResources().keys()].filter((name) => !client.received.has(name) && !client.absent.has(name));
          client.sub.updateReturnedResources([], forget);
        }
        this.openWatch(client);
        break;
      }
      case "fetch": {
        const names = op.sub.wildcard === "none" ? sotwNames(op.sub) : ["*", ...op.sub.names];
        const versionInfo = op.current ? cache.version() : "";
        const result = await cache.fetch(create(DiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, versionInfo, resourceNames: names }));
        if (op.current) {
          expect(result.kind).toBe("not-modified");
        } else {
          expect(result.kind).toBe("response");
          if (result.kind === "response") {
            const got = new Map(result.response.resources.map((r) => [r.name, decode.get(r.hash)?.[1]]));
            const wildcard = names.length === 0 || names.includes("*");
            const want = new Map([...this.model].filter(([n]) => coveredBy(wildcard, new Set(names), n)));
            expect(got).toEqual(want);
          }
        }
        break;
      }
    }
    if (this.failures.length > 0) throw this.failures[0];
    if (op.t === "update" || op.t === "delete" || op.t === "batch" || op.t === "set") {
      if (sameMap(modelBefore, this.model)) expect(this.responses, "an update that changed nothing woke a watch").toBe(before);
    }
    this.check();
  }

  check(): void {
    const cache = this.cache;
    expect(cache.resourceCount()).toBe(this.model.size);
    for (const [name, c] of this.model) expect(cache.getResource(name)?.hash).toBe(hashFor(name, c));
    let watching = 0;
    for (const client of this.clients) {
      if (client.state !== "watching") continue;
      watching++;
      for (const name of NAMES) {
        if (!covers(client, name)) continue;
        expect(client.received.get(name), `${client.kind} client kept waiting while stale on ${name}`).toBe(this.model.get(name));
      }
      if (client.kind === "delta" && !client.sub.isWildcard()) {
        for (const name of client.sub.resourceNames()) {
          if (this.model.has(name) || name.endsWith("/*")) continue;
          expect(client.absent.has(name), `delta client kept waiting, not told that ${name} does not exist`).toBe(true);
        }
      }
    }
    expect(cache.sotwWatchCount() + cache.deltaWatchCount()).toBe(watching);
  }
}

function sameMap(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

describe("linear cache against a reference model", () => {
  it("finds no divergence in 10,000 random sequences", async () => {
    const started = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 32 }), async (ops) => {
        const harness = new Harness();
        for (const op of ops) await harness.step(op);
      }),
      { numRuns: 10_000 },
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`model-based property: 10000 sequences in ${seconds.toFixed(1)} s`);
  }, 180_000);

});
