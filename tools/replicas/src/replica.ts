import { PROCESS_START_BOUND_MS } from "@xdskit/test-support";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runApp, type AppProcess, type LogLine } from "./app-process.js";

/** One control-plane replica: the example control plane with `--source etcd` on a port of its own choosing. */
export interface Replica {
  readonly name: string;
  readonly port: number;
  readonly process: AppProcess;
  /** The etcd revision lines it logged ("serving etcd revision"), in order. */
  revisions(): LogLine[];
  /** Resolves once it serves `revision` or later. */
  waitForRevision(revision: number, timeoutMs?: number): Promise<LogLine>;
  /** SIGKILL: no goodbye to its streams. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  readonly etcdEndpoints: readonly string[];
  readonly prefix?: string;
  readonly extraArgs?: readonly string[];
}

/** Starts a replica on port 0 and reads back the port it bound from its log. */
export async function startReplica(name: string, o: ReplicaOptions): Promise<Replica> {
  const work = mkdtempSync(join(tmpdir(), `xdskit-${name}-`));
  const process = runApp(name, [
    "--source",
    "etcd",
    "--etcd-endpoints",
    o.etcdEndpoints.join(","),
    "--etcd-prefix",
    o.prefix ?? "/xdskit/",
    "-p",
    "0",
    "--admin-port",
    "0",
    "--upstream-port",
    "0",
    "--bootstrap-out",
    join(work, "bootstrap.json"),
    ...(o.extraArgs ?? []),
  ]);
  void process.exited.then(() => rmSync(work, { recursive: true, force: true }));
  // A replica that never says it listens is stopped here: nobody else holds it to stop it later.
  const listening = await process.waitForLine("listening", (l) => l.msg === "xDS control plane listening", PROCESS_START_BOUND_MS).catch(async (error: unknown) => {
    await process.stop("SIGKILL");
    throw error;
  });
  const revisions = () => process.lines.filter((l) => l.msg === "serving etcd revision");
  return {
    name,
    port: Number(listening["port"]),
    process,
    revisions,
    waitForRevision: (revision, timeoutMs = 30_000) =>
      process.waitForLine(`etcd revision ${revision}`, (l) => l.msg === "serving etcd revision" && Number(l["revision"]) >= revision, timeoutMs),
    kill: () => process.stop("SIGKILL"),
    stop: () => process.stop("SIGTERM"),
  };
}

/**
 * Starts one replica per name at once. If any fails to start, the others are
 * stopped before the error is thrown (a plain Promise.all would leave them
 * running with nobody holding them).
 */
export async function startReplicas(names: readonly string[], o: ReplicaOptions): Promise<Replica[]> {
  const settled = await Promise.allSettled(names.map((name) => startReplica(name, o)));
  const started = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(started.map((r) => r.kill()));
    throw failed.reason;
  }
  return started;
}
