import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureEnvoy } from "./install-envoy.js";

export interface EnvoyOptions {
  /** Bootstrap as protobuf JSON (snake_case as in Envoy's docs). Its `admin` is replaced by a loopback one. */
  bootstrap: Record<string, unknown>;
  /** Label used in the work directory name and errors. */
  name?: string;
  /**
   * Where to keep the bootstrap and the log; default: a fresh temp directory,
   * removed by `stop()` (kept when the start fails, for its log).
   */
  workDir?: string;
  logLevel?: "trace" | "debug" | "info" | "warn" | "error";
  /** How long to wait for the admin `/ready` to say LIVE; default 30 s. */
  readyTimeoutMs?: number;
  /** Wait for LIVE at start (default true); false when the test wants to see the pre-init state. */
  waitReady?: boolean;
}

export interface EnvoyProcess {
  /** The Envoy process id. */
  readonly pid: number | undefined;
  readonly adminUrl: string;
  readonly logFile: string;
  readonly workDir: string;
  /** GET on the admin interface; returns the body text, throws on non-2xx. */
  admin(path: string, method?: "GET" | "POST"): Promise<string>;
  /** Parsed `/config_dump` (with EDS when `eds` is set). */
  configDump(opts?: { eds?: boolean; resource?: string }): Promise<ConfigDump>;
  /** Counter/gauge values from `/stats`, by name. */
  stats(filter?: string): Promise<Map<string, number>>;
  /**
   * The port each active listener is bound to, by listener name (admin
   * `/listeners?format=json`). Listeners configured with port 0 bind a free
   * port as Envoy creates them: this is how a test learns which.
   */
  listenerPorts(): Promise<Map<string, number>>;
  /**
   * Waits until every listener in `names` is active and returns their ports;
   * throws naming the missing ones after `timeoutMs` (default 30 s).
   */
  waitForListenerPorts<N extends string>(names: readonly N[], timeoutMs?: number): Promise<Record<N, number>>;
  /** The log so far. */
  log(): string;
  /** Stops Envoy (idempotent) and removes the work directory when `startEnvoy` made it. */
  stop(): Promise<void>;
}

export interface ConfigDump {
  configs: ({ "@type": string } & Record<string, unknown>)[];
}

/** The part of admin `/listeners?format=json` read here. */
interface ListenersAnswer {
  listener_statuses?: { name?: string; local_address?: { socket_address?: { port_value?: number } } }[];
}

export class EnvoyProcessError extends Error {
  override readonly name = "EnvoyProcessError";
}

/** Starts a real Envoy with the given bootstrap and waits until it is LIVE (or its init timed out into LIVE). */
export async function startEnvoy(opts: EnvoyOptions): Promise<EnvoyProcess> {
  const bin = ensureEnvoy();
  const name = opts.name ?? "envoy";
  const ownWorkDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), `xdskit-${name}-`));
  mkdirSync(workDir, { recursive: true });
  const addressFile = join(workDir, "admin-address");
  const bootstrapFile = join(workDir, "bootstrap.json");
  const logFile = join(workDir, "envoy.log");
  const bootstrap = {
    ...opts.bootstrap,
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 0 } } },
  };
  writeFileSync(bootstrapFile, JSON.stringify(bootstrap, null, 2));
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    bin,
    ["-c", bootstrapFile, "--admin-address-path", addressFile, "--disable-hot-restart", "-l", opts.logLevel ?? "info", "--concurrency", "1"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((res) =>
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      res();
    }),
  );
  // 'close' comes after 'exit', once Envoy's stdout and stderr are drained into the log.
  const outputClosed = new Promise<void>((res) => child.once("close", () => res()));
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const fail = (why: string): EnvoyProcessError => new EnvoyProcessError(`${name}: ${why}; log kept at ${logFile}\n${readLog().split("\n").slice(-30).join("\n")}`);

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let adminUrl = "";
  while (!adminUrl) {
    if (exited) throw fail(`exited during start (code ${exited.code}, signal ${exited.signal})`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw fail("admin address never appeared");
    }
    if (existsSync(addressFile)) {
      const addr = readFileSync(addressFile, "utf8").trim();
      if (addr) adminUrl = `http://${addr}`;
    }
    if (!adminUrl) await sleep(50);
  }

  const admin = async (path: string, method: "GET" | "POST" = "GET"): Promise<string> => {
    const res = await fetch(`${adminUrl}${path}`, { method });
    const body = await res.text();
    if (!res.ok) throw new EnvoyProcessError(`${name}: admin ${method} ${path} answered ${res.status}: ${body}`);
    return body;
  };

  const listenerPorts = async (): Promise<Map<string, number>> => {
    const body = JSON.parse(await admin("/listeners?format=json")) as ListenersAnswer;
    const out = new Map<string, number>();
    for (const l of body.listener_statuses ?? []) {
      const port = l.local_address?.socket_address?.port_value;
      if (l.name !== undefined && port !== undefined) out.set(l.name, port);
    }
    return out;
  };

  if (opts.waitReady !== false) {
    for (;;) {
      if (exited) throw fail(`exited before ready (code ${exited.code})`);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw fail("never became ready");
      }
      const ready = await fetch(`${adminUrl}/ready`).then((r) => r.text(), () => "");
      if (ready.trim() === "LIVE") break;
      await sleep(50);
    }
  }

  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid,
    adminUrl,
    logFile,
    workDir,
    admin,
    async configDump(o = {}) {
      const q = new URLSearchParams();
      if (o.eds) q.set("include_eds", "");
      if (o.resource) q.set("resource", o.resource);
      const qs = q.toString();
      return JSON.parse(await admin(`/config_dump${qs ? `?${qs}` : ""}`)) as ConfigDump;
    },
    async stats(filter) {
      const text = await admin(`/stats${filter ? `?filter=${encodeURIComponent(filter)}` : ""}`);
      const out = new Map<string, number>();
      for (const line of text.split("\n")) {
        const m = /^([^:]+): (\d+)$/.exec(line.trim());
        if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
      }
      return out;
    },
    listenerPorts,
    async waitForListenerPorts<N extends string>(names: readonly N[], timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ports = await listenerPorts();
        const missing = names.filter((n) => !ports.has(n));
        if (missing.length === 0) return Object.fromEntries(names.map((n) => [n, ports.get(n)])) as Record<N, number>;
        if (exited) throw fail(`exited while waiting for listeners ${missing.join(", ")}`);
        if (Date.now() > until) throw fail(`listeners ${missing.join(", ")} not active after ${timeoutMs} ms (active: ${[...ports.keys()].join(", ") || "none"})`);
        await sleep(50);
      }
    },
    log: readLog,
    stop() {
      stopped ??= (async () => {
        if (!exited) {
          child.kill("SIGTERM");
          const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exit;
          clearTimeout(killer);
        }
        // The log ends after the last output is written to it: at 'exit' the pipes may still hold
        // some (ending it then was a write after end). Bounded, in case something else holds them.
        let bound: NodeJS.Timeout | undefined;
        await Promise.race([outputClosed, new Promise<void>((res) => (bound = setTimeout(res, 5_000)))]);
        clearTimeout(bound);
        child.stdout?.unpipe(log);
        child.stderr?.unpipe(log);
        await new Promise<void>((res) => log.end(res));
        if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
