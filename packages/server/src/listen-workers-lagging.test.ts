import cluster from "node:cluster";
import { create } from "@bufbuild/protobuf";
import { ENDPOINT_TYPE_URL, type LogFields, prepareResource } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import { PROCESS_START_BOUND_MS } from "@xdskit/test-support";
import { listenWorkers, type WorkerEvent, WorkerGroupError } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";
import { alive, cla, DeltaClient, FIXTURE, NAMES, streamsByNode, TEST_MS, WAIT_MS } from "./worker-group.test-helper.js";

// A worker that stops reading its IPC channel (test/worker-fixture.mjs blocks its event loop on
// a "stall" message) while the primary keeps changing its caches: the changes waiting for it are
// bounded by maxPendingBytes, it is replaced, and the group's clients converge.

const MAX_PENDING_BYTES = 256 * 1024;
// Far more than the socket buffers and the bound take (~5 KB changes): the loop ends long before.
const MAX_CHANGES = 4_000;

/** An endpoint assignment of ~5 KB (200 endpoints), different for every `version`. */
const bigCla = (name: string, version: number) =>
  prepareResource(
    ClusterLoadAssignmentSchema,
    create(ClusterLoadAssignmentSchema, {
      clusterName: name,
      endpoints: [
        {
          loadBalancingWeight: version,
          lbEndpoints: Array.from({ length: 200 }, (_, i) => ({
            hostIdentifier: {
              case: "endpoint" as const,
              value: {
                address: {
                  address: {
                    case: "socketAddress" as const,
                    value: { address: `10.${i % 250}.${(version >> 8) % 250}.${version % 250}`, portSpecifier: { case: "portValue" as const, value: 8000 + i } },
                  },
                },
              },
            },
          })),
        },
      ],
    }),
  );

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe("listenWorkers: a worker that does not read its changes", () => {
  it(
    "is replaced once maxPendingBytes of changes wait for it; the primary's queue stays bounded; the group's clients converge",
    async () => {
      const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL, initialResources: NAMES.map((name) => cla(name, 1)) });
      const events: WorkerEvent[] = [];
      let wake: (() => void) | undefined;
      const warnings: { message: string; fields: LogFields | undefined }[] = [];
      const ignore = () => {};
      const group = await listenWorkers({
        workers: 2,
        exec: FIXTURE,
        args: [],
        execArgv: [],
        closeTimeoutMs: 5_000,
        startTimeoutMs: PROCESS_START_BOUND_MS,
        maxPendingBytes: MAX_PENDING_BYTES,
        feeds: { eds: leader },
        logger: { debug: ignore, info: ignore, error: ignore, warn: (message, fields) => warnings.push({ message, fields }) },
        onWorkerEvent: (event) => {
          events.push(event);
          wake?.();
        },
      });
      cleanup.push(() => group.close());
      const reports = streamsByNode();
      cleanup.push(() => reports.stop());
      /** Resolves once `done()` holds, checked at every worker event; rejects after WAIT_MS. */
      const untilEvents = async (what: string, done: () => boolean) => {
        const deadline = Date.now() + WAIT_MS;
        while (!done()) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error(`not ${what} within ${WAIT_MS} ms`);
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, left).unref();
          });
        }
      };

      const url = `http://${group.host}:${group.port}`;
      const clients = Array.from({ length: 6 }, (_, i) => new DeltaClient(url, `c${i}`));
      cleanup.push(() => {
        for (const c of clients) c.close();
      });
      await reports.waitFor(clients.map((c) => c.node));
      expect(new Set(clients.map((c) => reports.pids.get(c.node))).size).toBe(2);
      for (const c of clients) await c.until("at the leader's state", () => c.holds(leader));

      // The worker serving c0 stops reading (its event loop blocked for at most WAIT_MS).
      const victim = reports.pids.get("c0") ?? 0;
      const stalled = Object.values(cluster.workers ?? {}).find((worker) => worker?.process.pid === victim);
      expect(stalled).toBeDefined();
      stalled?.send({ test: "stall", ms: WAIT_MS });

      // Changes keep coming in batches of ten until the stalled worker is found behind, then 200 more.
      // After each batch the other worker's clients hold it: that worker reads what it is sent
      // (however loaded the machine), so only the stalled one can fall behind.
      const healthy = clients.filter((c) => reports.pids.get(c.node) !== victim);
      const changeBytes = bigCla("r0", 1).bytes.byteLength;
      const isLagging = (e: WorkerEvent): e is Extract<WorkerEvent, { kind: "lagging" }> => e.kind === "lagging";
      let version = 2;
      let most = 0;
      let afterLagging = -1;
      for (let i = 0; i < MAX_CHANGES && afterLagging < 200; i++) {
        leader.updateResource(bigCla(`r${i % NAMES.length}`, version++));
        if (afterLagging >= 0 || events.some(isLagging)) afterLagging++;
        if (i % 10 !== 9) continue;
        most = Math.max(most, group.pendingBytes());
        for (const c of healthy) await c.until(`at change ${i}`, () => c.holds(leader));
      }
      const lagging = events.filter(isLagging);
      console.log(
        `lagging test: ${version - 2} changes of ${changeBytes} bytes; found behind at ${lagging[0]?.pendingBytes} bytes waiting (bound ${MAX_PENDING_BYTES}); most waiting seen after a batch: ${most}`,
      );
      expect(lagging).toHaveLength(1);
      const [event] = lagging;
      expect(event?.pid).toBe(victim);
      expect(event?.maxPendingBytes).toBe(MAX_PENDING_BYTES);
      // Found behind at the first change past the bound (a change is its resource plus a few bytes).
      expect(event?.pendingBytes).toBeGreaterThan(MAX_PENDING_BYTES);
      expect(event?.pendingBytes).toBeLessThanOrEqual(MAX_PENDING_BYTES + changeBytes + 512);
      expect(event?.error).toBeInstanceOf(WorkerGroupError);
      expect(event?.error).toMatchObject({ code: "worker-lagging", pid: victim, field: "maxPendingBytes" });
      expect(event?.error.message).toContain(`worker ${victim}`);
      expect(warnings.some((w) => w.fields?.["pid"] === victim && w.fields?.["error"] === event?.error)).toBe(true);
      // Bounded all along, also while 200 more changes came after it was found behind.
      expect(most).toBeLessThanOrEqual(MAX_PENDING_BYTES + changeBytes + 512);
      expect(afterLagging).toBe(200);

      // It is stopped and replaced; the replacement starts from the state after every change so far.
      await untilEvents("the stalled worker replaced", () =>
        events.some((e) => e.kind === "exit" && e.pid === victim && e.replaced) && events.filter((e) => e.kind === "listening").length >= 3,
      );
      expect(alive(victim)).toBe(false);
      expect(group.pids()).toHaveLength(2);
      expect(group.pids()).not.toContain(victim);
      expect(group.restarts()).toBe(0);

      // Its clients' streams ended; they reconnect with what they held and converge, as do the others.
      const cut = clients.filter((c) => reports.pids.get(c.node) === victim);
      expect(cut.length).toBeGreaterThan(0);
      for (const c of cut) await c.until("ended", () => false, true);
      leader.updateResource(cla("r7", 77));
      const back = cut.map((c) => new DeltaClient(url, `${c.node}-again`, c.held));
      cleanup.push(() => {
        for (const c of back) c.close();
      });
      await reports.waitFor(back.map((c) => c.node));
      for (const c of [...clients.filter((c) => !cut.includes(c)), ...back]) await c.until("converged", () => c.holds(leader));
      expect(events.filter(isLagging)).toHaveLength(1);

      const pids = group.pids();
      for (const c of [...clients, ...back]) c.close();
      await group.close();
      for (const pid of pids) expect(alive(pid)).toBe(false);
    },
    TEST_MS + 2 * WAIT_MS,
  );

  it("refuses a maxPendingBytes that is not a positive number", async () => {
    const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL });
    await expect(listenWorkers({ maxPendingBytes: 0, feeds: { eds: leader } })).rejects.toMatchObject({ code: "invalid-options", field: "maxPendingBytes" });
    await expect(listenWorkers({ maxPendingBytes: Number.NaN, feeds: { eds: leader } })).rejects.toMatchObject({
      code: "invalid-options",
      field: "maxPendingBytes",
    });
  });
});
