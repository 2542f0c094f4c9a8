import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pickEtcdPorts } from "./etcd-ports.js";
import { ensureEtcd } from "./install-etcd.js";

export interface EtcdClusterOptions {
  /** Members (1 for a single node, 3 for the fault tests). Default 1. */
  readonly size?: number;
  /** Label used in the temp directory name and errors. Default `etcd`. */
  readonly name?: string;
  /** etcd `--max-request-bytes`. Default etcd's (1.5 MiB). */
  readonly maxRequestBytes?: number;
  /** etcd `--max-txn-ops`. Default etcd's (128). */
  readonly maxTxnOps?: number;
  /** etcd `--heartbeat-interval` in ms. Default 100 (etcd's). */
  readonly heartbeatIntervalMs?: number;
  /** etcd `--election-timeout` in ms. Default 1000 (etcd's): shorter flaps on a loaded 2-core machine. */
  readonly electionTimeoutMs?: number;
  /** How long one start (or restart) may take to serve. Default 30 s. */
  readonly startTimeoutMs?: number;
  /** Start attempts with fresh ports when a port turns out to be taken. Default 5. */
  readonly attempts?: number;
}

/** One etcd process of a cluster, on fixed loopback ports for its whole life (restarts included). */
export interface EtcdMember {
  readonly name: string;
  /** `http://127.0.0.1:<port>`: give this to clients. */
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  running(): boolean;
  /** The member's ID as etcd reports it in response headers (decimal), asked of the running member. */
  id(): Promise<string>;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on its data dir and ports; resolves when it serves (has a leader). */
  start(): Promise<void>;
  /** The member's log so far. */
  log(): string;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Every member's client URL. */
  readonly endpoints: readonly string[];
  /** Kills every member (SIGKILL), keeping their data: the whole cluster is down. */
  killAll(): Promise<void>;
  /** Starts every member that is not running; resolves when all serve. */
  startAll(): Promise<void>;
  /** Stops every member and removes the temp directory (data and logs). */
  stop(): Promise<void>;
}

export class EtcdProcessError extends Error {
  override readonly name = "EtcdProcessError";
}

const tail = (text: string, lines = 25): string => text.split("\n").slice(-lines).join("\n");

// Every etcd this process started, killed if the process exits without stopping them
// (a crashed or interrupted test run must not leave etcd running on the machine).
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

interface MemberSpec {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
}

class Member implements EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  #child: ChildProcess | undefined;
  #exit: Promise<void> = Promise.resolve();
  #exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(
    spec: MemberSpec,
    dir: string,
    private readonly bin: string,
    private readonly args: (member: Member) => string[],
    private readonly timeoutMs: number,
  ) {
    this.name = spec.name;
    this.clientUrl = `http://127.0.0.1:${spec.clientPort}`;
    this.peerUrl = `http://127.0.0.1:${spec.peerPort}`;
    this.dataDir = join(dir, spec.name);
    this.logFile = join(dir, `${spec.name}.log`);
  }

  running(): boolean {
    return this.#child !== undefined && this.#exited === undefined;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "utf8") : "";
  }

  /** Spawns the process; {@link waitServing} says when it is usable. */
  spawn(): void {
    if (this.running()) return;
    const out = openSync(this.logFile, "a");
    const child = spawn(this.bin, this.args(this), { stdio: ["ignore", out, out], env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } });
    closeSync(out);
    this.#child = child;
    this.#exited = undefined;
    live.add(child);
    this.#exit = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exited = { code, signal };
        live.delete(child);
        resolve();
      }),
    );
  }

  /** Whether the process exited because a port was taken (the caller retries with fresh ports). */
  portTaken(): boolean {
    return this.#exited !== undefined && /address already in use/.test(this.log());
  }

  exitedWith(): string | undefined {
    return this.#exited === undefined ? undefined : `code ${this.#exited.code}, signal ${this.#exited.signal}`;
  }

  /** Polls `/health` until the member has a leader and answers, or throws when it exits or times out. */
  async waitServing(deadline: number): Promise<void> {
    for (;;) {
      const exited = this.exitedWith();
      if (exited !== undefined) throw this.error(`exited while starting (${exited})`);
      if (Date.now() > deadline) throw this.error("did not serve in time");
      const health = await fetch(`${this.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.text(),
        () => "",
      );
      if (/"health":\s*"true"/.test(health)) return;
      await sleep(100);
    }
  }

  /** The member names the etcd at our client URL reports: proves it is ours, not another run's. */
  async memberNames(): Promise<string[]> {
    const res = await fetch(`${this.clientUrl}/v3/cluster/member/list`, { method: "POST", body: "{}", signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { members?: { name?: string }[] };
    return (body.members ?? []).map((m) => m.name ?? "");
  }

  async id(): Promise<string> {
    const res = await fetch(`${this.clientUrl}/v3/cluster/member/list`, { method: "POST", body: "{}", signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { members?: { ID?: string; name?: string }[] };
    const id = body.members?.find((m) => m.name === this.name)?.ID;
    if (id === undefined) throw this.error("is not in its own member list");
    return id;
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.running()) return;
    this.#child?.kill(signal);
    const killer = setTimeout(() => this.#child?.kill("SIGKILL"), 5_000);
    await this.#exit;
    clearTimeout(killer);
  }

  async start(): Promise<void> {
    this.spawn();
    await this.waitServing(Date.now() + this.timeoutMs);
  }

  error(why: string): EtcdProcessError {
    return new EtcdProcessError(`etcd member ${this.name} (${this.clientUrl}): ${why}; log ${this.logFile}:\n${tail(this.log())}`);
  }
}

/**
 * Starts a real etcd cluster of `size` members on 127.0.0.1 in a fresh temp
 * directory, and resolves once every member serves. Ports are chosen below
 * the kernel's ephemeral range and a start that loses a port to someone else
 * is retried with fresh ones (see etcd-ports.ts for why this is race-free).
 * Call `stop()` when done.
 */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const size = options.size ?? 1;
  const bin = ensureEtcd();
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const attempts = options.attempts ?? 5;
  const dir = mkdtempSync(join(tmpdir(), `xdskit-${options.name ?? "etcd"}-`));
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const token = `xdskit-${randomBytes(6).toString("hex")}`;
    const ports = await pickEtcdPorts(2 * size);
    const specs: MemberSpec[] = Array.from({ length: size }, (_, i) => ({
      name: `${token}-m${i + 1}`,
      clientPort: ports[2 * i] ?? 0,
      peerPort: ports[2 * i + 1] ?? 0,
    }));
    const attemptDir = join(dir, `attempt-${attempt}`);
    mkdirSync(attemptDir);
    const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(",");
    const args = (m: Member): string[] => [
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=${m.clientUrl}`,
      `--advertise-client-urls=${m.clientUrl}`,
      `--listen-peer-urls=${m.peerUrl}`,
      `--initial-advertise-peer-urls=${m.peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${token}`,
      "--initial-cluster-state=new",
      `--heartbeat-interval=${options.heartbeatIntervalMs ?? 100}`,
      `--election-timeout=${options.electionTimeoutMs ?? 1_000}`,
      ...(options.maxRequestBytes === undefined ? [] : [`--max-request-bytes=${options.maxRequestBytes}`]),
      ...(options.maxTxnOps === undefined ? [] : [`--max-txn-ops=${options.maxTxnOps}`]),
      "--logger=zap",
      "--log-outputs=stderr",
    ];
    const members = specs.map((s) => new Member(s, attemptDir, bin, args, timeoutMs));
    for (const m of members) m.spawn();
    try {
      const deadline = Date.now() + timeoutMs;
      await Promise.all(members.map((m) => m.waitServing(deadline)));
      const expected = specs.map((s) => s.name).sort();
      for (const m of members) {
        const names = (await m.memberNames()).sort();
        if (names.join() !== expected.join()) throw m.error(`reports members ${names.join(", ")}, expected ${expected.join(", ")}`);
      }
      return cluster(members, dir, timeoutMs);
    } catch (error) {
      lastError = error;
      await Promise.all(members.map((m) => m.kill()));
      if (!members.some((m) => m.portTaken())) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
      // Another process bound one of our ports first: start over with fresh ones.
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new EtcdProcessError(`etcd did not start after ${attempts} attempts with fresh ports: ${String(lastError)}`);
}

function cluster(members: Member[], dir: string, timeoutMs: number): EtcdCluster {
  return {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async killAll() {
      await Promise.all(members.map((m) => m.kill()));
    },
    async startAll() {
      for (const m of members) m.spawn();
      const deadline = Date.now() + timeoutMs;
      await Promise.all(members.map((m) => m.waitServing(deadline)));
    },
    async stop() {
      await Promise.all(members.map((m) => m.kill("SIGTERM")));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A single-node etcd (a cluster of one). */
export function startEtcd(options: Omit<EtcdClusterOptions, "size"> = {}): Promise<EtcdCluster> {
  return startEtcdCluster({ ...options, size: 1 });
}
