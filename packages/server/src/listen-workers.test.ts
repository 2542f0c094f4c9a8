import cluster, { type Worker } from "node:cluster";
import { ENDPOINT_TYPE_URL } from "@xdskit/cache-core";
import { createLinearCache } from "@xdskit/cache-linear";
import { PROCESS_START_BOUND_MS } from "@xdskit/test-support";
import { followPrimary, listenWorkers, type WorkerEvent, WorkerGroupError, type WorkerGroup } from "@xdskit/server";
import { afterEach, describe, expect, it } from "vitest";
import { alive, cla, DeltaClient, FIXTURE, NAMES, streamsByNode, TEST_MS, WAIT_MS } from "./worker-group.test-helper.js";

// Real processes and sockets: a primary (this test) holds the leading linear cache, two
// node:cluster workers (test/worker-fixture.mjs) follow it and serve delta clients on one port.

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe("listenWorkers / followPrimary", () => {
  it(
    "spreads delta clients over 2 workers that converge on every update; a moved client is not re-sent what it holds; a killed worker is replaced and its clients recover",
    async () => {
      const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL, initialResources: NAMES.map((name) => cla(name, 1)) });
      const events: WorkerEvent[] = [];
      const started = process.cpuUsage();
      const group: WorkerGroup = await listenWorkers({
        workers: 2,
        exec: FIXTURE,
        args: [],
        execArgv: [],
        closeTimeoutMs: 5_000,
        startTimeoutMs: PROCESS_START_BOUND_MS,
        feeds: { eds: leader },
        onWorkerEvent: (event) => events.push(event),
      });
      cleanup.push(() => group.close());
      const reports = streamsByNode();
      cleanup.push(() => reports.stop());
      expect(group.pids()).toHaveLength(2);
      const url = `http://${group.host}:${group.port}`;

      // Changes made before any client: the workers must have them too.
      leader.updateResource(cla("r0", 2));
      leader.deleteResource("r19");

      const clients = Array.from({ length: 8 }, (_, i) => new DeltaClient(url, `c${i}`));
      cleanup.push(() => {
        for (const c of clients) c.close();
      });
      await reports.waitFor(clients.map((c) => c.node));
      // Round-robin hands connections to both workers.
      expect(new Set(clients.map((c) => reports.pids.get(c.node))).size).toBe(2);
      for (const c of clients) await c.until("at the leader's state", () => c.holds(leader));

      for (let step = 0; step < 10; step++) {
        leader.updateResources([cla(`r${step}`, 10 + step), cla(`r${step + 5}`, 30 + step)], step === 4 ? ["r18"] : []);
        for (const c of clients) await c.until(`at update ${step}`, () => c.holds(leader));
      }
      expect(leader.getResource("r18")).toBeUndefined();

      // A client that held everything reconnects (twice, so round-robin puts one on each worker):
      // no resource is re-sent; the next update brings only what changed.
      const moved = [new DeltaClient(url, "m0", clients[0]?.held), new DeltaClient(url, "m1", clients[0]?.held)];
      cleanup.push(() => {
        for (const c of moved) c.close();
      });
      await reports.waitFor(moved.map((c) => c.node));
      expect(new Set(moved.map((c) => reports.pids.get(c.node))).size).toBe(2);
      leader.updateResource(cla("r3", 99));
      for (const c of moved) {
        await c.until("told of r3", () => c.held.get("r3") === leader.getResource("r3")?.hash);
        expect(c.responses.flatMap((r) => r.resources.map((x) => x.name))).toEqual(["r3"]);
        expect(c.holds(leader)).toBe(true);
      }
      for (const c of clients) await c.until("at r3", () => c.holds(leader));

      // Kill one worker: it is replaced; its clients' streams end, they reconnect and recover.
      const victim = reports.pids.get("c0") ?? 0;
      const replaced = new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (events.some((e) => e.kind === "exit" && e.pid === victim && e.replaced) && group.pids().length === 2 && events.filter((e) => e.kind === "listening").length >= 3) {
            clearInterval(check);
            resolve();
          }
        }, 50);
      });
      process.kill(victim, "SIGKILL");
      const cut = clients.filter((c) => reports.pids.get(c.node) === victim);
      expect(cut.length).toBeGreaterThan(0);
      for (const c of cut) await c.until("ended", () => false, true);
      await replaced;
      expect(group.restarts()).toBe(1);
      expect(group.pids()).not.toContain(victim);
      leader.updateResource(cla("r7", 77));
      const back = cut.map((c) => new DeltaClient(url, `${c.node}-again`, c.held));
      cleanup.push(() => {
        for (const c of back) c.close();
      });
      // Round-robin puts some of them on the replacement, which started from the state after every change so far.
      await reports.waitFor(back.map((c) => c.node));
      const first = new Set(clients.map((c) => reports.pids.get(c.node)));
      expect(back.some((c) => !first.has(reports.pids.get(c.node)))).toBe(true);
      for (const c of [...clients.filter((c) => !cut.includes(c)), ...back]) await c.until("recovered", () => c.holds(leader));
      // Reconnected with what they held: only r7 (changed while they were away) is sent.
      for (const c of back) expect(c.responses.flatMap((r) => r.resources.map((x) => x.name))).toEqual(["r7"]);

      // Everything started is stopped, bounded in time.
      const pids = group.pids();
      for (const c of [...clients, ...moved, ...back]) c.close();
      const closing = Date.now();
      await group.close();
      expect(Date.now() - closing).toBeLessThan(15_000);
      for (const pid of pids) expect(alive(pid)).toBe(false);
      const cpu = process.cpuUsage(started);
      console.log(`workers test: primary CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms`);
    },
    TEST_MS + WAIT_MS,
  );

  it("a worker applies the changes made right behind its state (one IPC read)", async () => {
    const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL, initialResources: NAMES.map((name) => cla(name, 1)) });
    let weight = 100;
    // Registered after the group's own handler: each worker's state is sent, then five changes at once.
    const onFork = (worker: Worker) =>
      worker.on("message", (message: { kind?: string }) => {
        if (message?.kind !== "follow") return;
        for (let i = 0; i < 5; i++) leader.updateResource(cla("r1", weight++));
      });
    cluster.on("fork", onFork);
    cleanup.push(() => void cluster.off("fork", onFork));
    const events: WorkerEvent[] = [];
    const group = await listenWorkers({
      workers: 2,
      exec: FIXTURE,
      args: [],
      execArgv: [],
      closeTimeoutMs: 5_000,
      startTimeoutMs: PROCESS_START_BOUND_MS,
      feeds: { eds: leader },
      onWorkerEvent: (e) => events.push(e),
    });
    cleanup.push(() => group.close());
    const reports = streamsByNode();
    cleanup.push(() => reports.stop());
    const url = `http://${group.host}:${group.port}`;
    const clients = [new DeltaClient(url, "a"), new DeltaClient(url, "b")];
    cleanup.push(() => {
      for (const c of clients) c.close();
    });
    await reports.waitFor(["a", "b"]);
    expect(new Set(clients.map((c) => reports.pids.get(c.node))).size).toBe(2);
    for (const c of clients) await c.until("at the leader's state", () => c.holds(leader));
    expect(weight).toBe(110);
    expect(events.filter((e) => e.kind === "exit")).toEqual([]);
  }, TEST_MS);

  it("refuses bad options, and followPrimary outside a worker", async () => {
    const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL });
    await expect(listenWorkers({ workers: 0, feeds: { eds: leader } })).rejects.toMatchObject({ code: "invalid-options", field: "workers" });
    await expect(listenWorkers({ feeds: {} })).rejects.toMatchObject({ code: "invalid-options", field: "feeds" });
    await expect(followPrimary({})).rejects.toBeInstanceOf(WorkerGroupError);
  });

  it("rejects, having stopped what it started, when workers exit before listening", async () => {
    const leader = createLinearCache({ typeUrl: ENDPOINT_TYPE_URL });
    const events: WorkerEvent[] = [];
    const failing = listenWorkers({
      workers: 2,
      exec: FIXTURE,
      execArgv: [],
      closeTimeoutMs: 5_000,
      env: { ...process.env, NODE_OPTIONS: "--import=data:text/javascript,process.exit(3)" },
      feeds: { eds: leader },
      onWorkerEvent: (e) => events.push(e),
    });
    await expect(failing).rejects.toMatchObject({ code: "start-failed" });
    expect(events.some((e) => e.kind === "exit" && e.code === 3)).toBe(true);
    for (const e of events) if (e.kind === "exit") expect(alive(e.pid)).toBe(false);
  }, TEST_MS);
});
