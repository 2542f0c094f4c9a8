// setSnapshot storm: 1,000 ADS clients (700 SotW, 300 delta; 250 streams on each of 4 HTTP/2
// connections, so that clients and server fit on 2 cores in one process) follow 200 rapid snapshot
// versions. Every client ends on the last version of every type it subscribes to, and no client
// ever sees a version go backwards.
import { create } from "@bufbuild/protobuf";
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL } from "@xdskit/cache-core";
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { setImmediate as tick } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, eventually } from "./support/eventually.js";
import { startHarness, type Harness } from "./support/harness.js";
import { ADS_PATH, closeSession, connect, DELTA_ADS_PATH, encode, openStream, type RawStream } from "./support/raw-grpc.js";
import { churnSnapshot } from "./support/resources.js";

const CLIENTS = 1_000;
const DELTA_EVERY = 10; // clients i % 10 >= 7 speak delta: 300 of 1,000
const CONNECTIONS = 4;
const VERSIONS = 200;
const NODE_GROUPS = 10;

interface Observed {
  readonly protocol: "sotw" | "delta";
  readonly last: Map<string, number>;
  backwards: string[];
  responses: number;
}

describe("setSnapshot storm", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ ads: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it(`${CLIENTS} clients, ${VERSIONS} rapid versions: every client ends on the last version, none goes backwards`, async () => {
    const nodes = Array.from({ length: NODE_GROUPS }, (_, i) => `storm-${i}`);
    for (const node of nodes) h.cache.setSnapshot(node, churnSnapshot(1));
    const sessions = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(h.url)));
    const observed: Observed[] = [];
    const streams: RawStream<unknown>[] = [];
    const record = (o: Observed, typeUrl: string, version: string) => {
      o.responses++;
      const v = Number(version);
      const prev = o.last.get(typeUrl) ?? 0;
      if (!(v >= prev)) o.backwards.push(`${typeUrl.split(".").at(-1)} ${prev} → ${version}`);
      o.last.set(typeUrl, v);
    };
    for (let i = 0; i < CLIENTS; i++) {
      const session = sessions[i % CONNECTIONS] as (typeof sessions)[number];
      const node = { id: nodes[i % NODE_GROUPS] as string };
      if (i % DELTA_EVERY >= 7) {
        const o: Observed = { protocol: "delta", last: new Map(), backwards: [], responses: 0 };
        const stream: RawStream<unknown> = openStream(session, DELTA_ADS_PATH, DeltaDiscoveryResponseSchema, {
          onMessage: (r) => {
            record(o, r.typeUrl, r.systemVersionInfo);
            stream.send(encode(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, { typeUrl: r.typeUrl, responseNonce: r.nonce })));
          },
        });
        stream.send(encode(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, { node, typeUrl: CLUSTER_TYPE_URL, resourceNamesSubscribe: ["*"] })));
        stream.send(encode(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, { typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: ["c0", "c1", "c2"] })));
        observed.push(o);
        streams.push(stream);
      } else {
        const o: Observed = { protocol: "sotw", last: new Map(), backwards: [], responses: 0 };
        const names: Record<string, string[]> = { [CLUSTER_TYPE_URL]: [], [LISTENER_TYPE_URL]: [], [ENDPOINT_TYPE_URL]: ["c0", "c1", "c2"] };
        const stream: RawStream<unknown> = openStream(session, ADS_PATH, DiscoveryResponseSchema, {
          onMessage: (r) => {
            record(o, r.typeUrl, r.versionInfo);
            stream.send(
              encode(
                DiscoveryRequestSchema,
                create(DiscoveryRequestSchema, { typeUrl: r.typeUrl, versionInfo: r.versionInfo, responseNonce: r.nonce, resourceNames: names[r.typeUrl] ?? [] }),
              ),
            );
          },
        });
        let first = true;
        for (const [typeUrl, resourceNames] of Object.entries(names)) {
          stream.send(encode(DiscoveryRequestSchema, create(DiscoveryRequestSchema, { ...(first ? { node } : {}), typeUrl, resourceNames })));
          first = false;
        }
        observed.push(o);
        streams.push(stream);
      }
    }
    await eventually("every client holds version 1", () => {
      const behind = observed.filter((o) => (o.last.get(ENDPOINT_TYPE_URL) ?? 0) < 1 || (o.last.get(CLUSTER_TYPE_URL) ?? 0) < 1).length;
      check(behind === 0, `${behind} clients without v1`);
    }, 60_000, 100);
    // The storm: versions back to back, yielding to I/O only every 10th so many land between two writes.
    const t0 = performance.now();
    for (let v = 2; v <= VERSIONS; v++) {
      for (const node of nodes) h.cache.setSnapshot(node, churnSnapshot(v));
      if (v % 10 === 0) await tick();
    }
    const stormMs = performance.now() - t0;
    const expected = (o: Observed) => (o.protocol === "sotw" ? [CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ENDPOINT_TYPE_URL] : [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL]);
    await eventually(`every client on version ${VERSIONS}`, () => {
      const behind = observed.filter((o) => expected(o).some((t) => o.last.get(t) !== VERSIONS));
      check(behind.length === 0, () => `${behind.length} clients behind, e.g. ${JSON.stringify([...(behind[0]?.last ?? [])])}`);
    }, 120_000, 100);
    const settledMs = performance.now() - t0;
    const responses = observed.reduce((n, o) => n + o.responses, 0);
    const backwards = observed.flatMap((o) => o.backwards);
    console.log(
      `[snapshot-storm] ${CLIENTS} clients (${observed.filter((o) => o.protocol === "sotw").length} SotW, ${observed.filter((o) => o.protocol === "delta").length} delta) on ${CONNECTIONS} connections, ${NODE_GROUPS} node groups; ${VERSIONS - 1} versions × ${NODE_GROUPS} setSnapshot calls in ${stormMs.toFixed(0)} ms; all on v${VERSIONS} after ${(settledMs / 1000).toFixed(1)} s; ${responses} responses received; ${backwards.length} went backwards`,
    );
    expect(backwards).toEqual([]);
    for (const s of streams) s.cancel();
    for (const s of sessions) await closeSession(s);
    await eventually("no stream or watch left", () => {
      check(h.openStreams() === 0, `open ${h.openStreams()}`);
      const w = h.watches(nodes);
      check(w.sotw + w.delta === 0, JSON.stringify(w));
    });
  });
});
