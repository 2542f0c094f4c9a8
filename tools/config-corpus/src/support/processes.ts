// The processes a corpus check starts (Envoy with a config file as written, the example control
// plane), each bounded in time and stopped by the caller.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ensureEnvoy } from "@xdskit/envoy-tool";

const appMain = fileURLToPath(new URL("../../../../apps/example-control-plane/dist/main.js", import.meta.url));
export const convertCli = fileURLToPath(new URL("../../../../packages/envoy-config/dist/cli.js", import.meta.url));

/** `envoy --mode validate -c file`: undefined when Envoy accepts it, else what Envoy said. */
export function envoyValidate(file: string): string | undefined {
  const r = spawnSync(ensureEnvoy(), ["--mode", "validate", "-c", file, "-l", "error"], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 0) return undefined;
  return `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-5).join("\n") || `exit ${r.status} ${r.signal ?? ""}`;
}

export interface RunningEnvoy {
  readonly adminUrl: string;
  configDump(): Promise<Record<string, unknown>>;
  log(): string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess, exit: Promise<void>, exited: () => boolean): Promise<void> {
  if (exited()) return;
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exit;
  clearTimeout(killer);
}

/** Runs Envoy on a config file (its admin on 127.0.0.1:0) until its admin answers /ready LIVE. */
export async function runEnvoy(file: string, workDir: string, name: string, timeoutMs = 60_000): Promise<RunningEnvoy> {
  const addressFile = join(workDir, `${name}.admin`);
  const logFile = join(workDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(ensureEnvoy(), ["-c", file, "--admin-address-path", addressFile, "--disable-hot-restart", "--concurrency", "1", "-l", "info"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  let done = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => {
      done = true;
      resolve();
    }),
  );
  const readLog = (): string => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
  const stop = () => stopChild(child, exit, () => done);
  const deadline = Date.now() + timeoutMs;
  let adminUrl = "";
  try {
    for (;;) {
      if (done) throw new Error(`${name}: Envoy exited during start:\n${readLog().split("\n").slice(-15).join("\n")}`);
      if (Date.now() > deadline) throw new Error(`${name}: Envoy not ready after ${timeoutMs} ms:\n${readLog().split("\n").slice(-15).join("\n")}`);
      if (adminUrl === "" && existsSync(addressFile)) {
        const a = readFileSync(addressFile, "utf8").trim();
        if (a !== "") adminUrl = `http://${a}`;
      }
      if (adminUrl !== "" && (await fetch(`${adminUrl}/ready`).then((r) => r.text(), () => "")).trim() === "LIVE") break;
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    adminUrl,
    configDump: async () => (await (await fetch(`${adminUrl}/config_dump`)).json()) as Record<string, unknown>,
    log: readLog,
    stop,
  };
}

export interface RunningApp {
  readonly port: number;
  /** Every JSON log line so far. */
  readonly lines: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** The example control plane on a config directory (xDS on 127.0.0.1:0, no upstream, no admin), until it says where it listens. */
export async function runApp(configDir: string, workDir: string, timeoutMs = 60_000): Promise<RunningApp> {
  const child = spawn(
    process.execPath,
    [appMain, "--log-format", "json", "--config", configDir, "--port", "0", "--upstream-port", "0", "--no-admin", "--mode", "ads", "--bootstrap-out", join(workDir, "app-bootstrap.json")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  let buffered = "";
  let done = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => {
      done = true;
      resolve();
    }),
  );
  const stop = () => stopChild(child, exit, () => done);
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not listen within ${timeoutMs} ms: ${stderr.slice(-2000)}`)), timeoutMs);
    void exit.then(() => reject(new Error(`the app exited: ${stderr.slice(-2000)} ${JSON.stringify(lines.slice(-5))}`)));
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split("\n");
      buffered = parts.pop() ?? "";
      for (const part of parts) {
        if (!part.startsWith("{")) continue;
        const line = JSON.parse(part) as Record<string, unknown>;
        lines.push(line);
        if (line["msg"] === "xDS control plane listening") {
          clearTimeout(timer);
          resolve(Number(line["port"]));
        }
      }
    });
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  try {
    return { port: await port, lines, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
