import cluster from "node:cluster";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { ENDPOINT_TYPE_URL, prepareResource } from "@xdskit/cache-core";
import type { LinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import type { DeltaDiscoveryResponse } from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { PROCESS_START_BOUND_MS } from "@xdskit/test-support";
import { connectClient, type TestClient } from "./test-clients.test-helper.js";

// For the worker-group tests: real processes and sockets. A primary (the test) holds the leading
// linear cache, node:cluster workers (test/worker-fixture.mjs) follow it and serve delta clients on one port.

const DELTA_ADS = AggregatedDiscoveryService.method.deltaAggregatedResources;
export const FIXTURE = fileURLToPath(new URL("../test/worker-fixture.mjs", import.meta.url));
export const NAMES = Array.from({ length: 20 }, (_, i) => `r${i}`);
// Bounds on awaited events (never delays): a worker's start and a replacement's are process starts,
// which take long on a loaded machine (see PROCESS_START_BOUND_MS).
export const WAIT_MS = 60_000;
export const TEST_MS = PROCESS_START_BOUND_MS + 2 * WAIT_MS;

export const cla = (name: string, weight: number) =>
  prepareResource(ClusterLoadAssignmentSchema, create(ClusterLoadAssignmentSchema, { clusterName: name, endpoints: [{ loadBalancingWeight: weight }] }));

/** A delta EDS client on its own HTTP/2 connection that ACKs every response and tracks what it holds. */
export class DeltaClient {
  readonly held = new Map<string, string>();
  readonly responses: DeltaDiscoveryResponse[] = [];
  readonly ended: Promise<void>;
  readonly #client: TestClient;
  #waiters: (() => void)[] = [];

  constructor(url: string, readonly node: string, initial: ReadonlyMap<string, string> = new Map()) {
    this.#client = connectClient(url);
    for (const [name, version] of initial) this.held.set(name, version);
    const stream = this.#client.open(DELTA_ADS);
    stream.send({ node: { id: node }, typeUrl: ENDPOINT_TYPE_URL, resourceNamesSubscribe: NAMES, initialResourceVersions: Object.fromEntries(initial) });
    this.ended = (async () => {
      for (;;) {
        let response: DeltaDiscoveryResponse;
        try {
          response = await stream.next(120_000);
        } catch {
          this.#wake();
          return;
        }
        this.responses.push(response);
        for (const r of response.resources) this.held.set(r.name, r.version);
        for (const name of response.removedResources) this.held.delete(name);
        stream.send({ typeUrl: ENDPOINT_TYPE_URL, responseNonce: response.nonce });
        this.#wake();
      }
    })();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `done()` holds (checked after every response); rejects after WAIT_MS or when the stream ends first. */
  async until(what: string, done: () => boolean, ended = false): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`client ${this.node}: not ${what} within ${WAIT_MS} ms`);
      const woke = await Promise.race([
        new Promise<"wake">((resolve) => this.#waiters.push(() => resolve("wake"))),
        this.ended.then(() => "ended" as const),
        new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), left).unref()),
      ]);
      if (woke === "ended" && !done() && !ended) throw new Error(`client ${this.node}: stream ended before ${what}`);
      if (woke === "ended") return;
    }
  }

  holds(cache: LinearCache): boolean {
    const want = cache.getResources();
    if (want.size !== this.held.size) return false;
    for (const [name, resource] of want) if (this.held.get(name) !== resource.hash) return false;
    return true;
  }

  close(): void {
    this.#client.close();
  }
}

/** Which worker (pid) serves each node id, as the workers report it. */
export function streamsByNode(): { readonly pids: Map<string, number>; waitFor(nodes: readonly string[]): Promise<void>; stop(): void } {
  const pids = new Map<string, number>();
  let wake: (() => void) | undefined;
  const onMessage = (_worker: unknown, message: { test?: string; node?: string; pid?: number }) => {
    if (message?.test !== "stream" || message.node === undefined || message.pid === undefined) return;
    pids.set(message.node, message.pid);
    wake?.();
  };
  cluster.on("message", onMessage);
  return {
    pids,
    async waitFor(nodes) {
      const deadline = Date.now() + WAIT_MS;
      while (!nodes.every((node) => pids.has(node))) {
        if (Date.now() > deadline) throw new Error(`streams not reported within ${WAIT_MS} ms: ${nodes.filter((n) => !pids.has(n)).join(", ")}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200).unref();
        });
      }
    },
    stop: () => cluster.off("message", onMessage),
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
