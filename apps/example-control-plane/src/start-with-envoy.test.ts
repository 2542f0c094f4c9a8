// `npm start` as a person runs it: scripts/start.sh (on the built tree) starts the control plane and
// a local Envoy, prints what to try, and Ctrl-C (SIGINT to the whole process group, as a terminal
// sends it) stops both.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type AppProcess, startCommand } from "./app-process.test-helper.js";
import { defaultConfigDir } from "./cli-options.js";

const startScript = fileURLToPath(new URL("../../../scripts/start.sh", import.meta.url));

/** What `npm start -- <args>` runs, without its install and build steps (the tree is built). */
function npmStart(args: readonly string[], env: Record<string, string> = {}): AppProcess {
  return startCommand("bash", [startScript, ...args], { processGroup: true, env: { XDSKIT_START_BUILT: "1", ...env } });
}

/** Ctrl-C in a terminal: SIGINT to every process of the foreground group. */
function ctrlC(app: AppProcess): void {
  if (app.child.pid !== undefined) process.kill(-app.child.pid, "SIGINT");
}

/** Whether `pid` is a live process (a zombie waiting for its parent counts as gone). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const noAppPorts = ["--port", "0", "--admin-port", "0", "--upstream-port", "0"];

describe("npm start (scripts/start.sh)", () => {
  const dirs: string[] = [];
  const apps: AppProcess[] = [];
  const envoyPids: number[] = [];
  let upstream: Server | undefined;
  afterAll(async () => {
    for (const app of apps) await app.stop();
    for (const pid of envoyPids) if (running(pid)) process.kill(pid, "SIGKILL");
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("starts a local Envoy that serves curl, prints the three things to try, and Ctrl-C stops both", async () => {
    // The default config, with the ports bound by whoever binds them: Envoy's listener on 0 (read back
    // from Envoy), the upstream bound here first (the config names the port it got).
    upstream = createServer((req, res) => res.end(`upstream of the npm start test: ${req.url}\n`));
    await new Promise<void>((resolve) => upstream?.listen(0, "127.0.0.1", resolve));
    const upstreamPort = (upstream.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), "cp-npm-start-"));
    dirs.push(dir);
    cpSync(defaultConfigDir, dir, { recursive: true });
    const rewrite = (file: string, from: string, to: string): void => {
      const text = readFileSync(join(dir, file), "utf8");
      expect(text).toContain(from);
      writeFileSync(join(dir, file), text.replace(from, to));
    };
    rewrite("listeners.yaml", "port_value: 10000", "port_value: 0");
    rewrite("endpoints.yaml", "port_value: 18080", `port_value: ${upstreamPort}`);

    const app = npmStart(["--config", dir, ...noAppPorts, "--node-id", "envoy-start"]);
    apps.push(app);
    const [, envoyPid, envoyAdmin] = await app.waitForOutput(/Envoy is running \(pid (\d+), admin (\S+), log /, 90_000);
    envoyPids.push(Number(envoyPid));
    await app.waitForOutput(/Ctrl-C stops everything\./);
    const out = app.stdout();
    const [, curlUrl] = /\n {2}1\. curl (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out) ?? [];
    const [, page] = /\n {2}2\. open (http:\/\/127\.0\.0\.1:\d+\/) /.exec(out) ?? [];
    expect(out).toMatch(new RegExp(`\\n {2}3\\. edit ${join(dir, "routes.yaml").replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")} `));
    expect(curlUrl, out).toBeDefined();
    expect(page, out).toBeDefined();
    expect((await (await fetch(`${envoyAdmin}/ready`)).text()).trim()).toBe("LIVE");

    // The printed curl goes through Envoy's listener to the upstream.
    const answer = await fetch(`${curlUrl}hello`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("upstream of the npm start test: /hello\n");

    // Envoy is connected and has ACKed every type, as the admin page says (its JSON, polled until then).
    type Status = { streams: { node?: { id: string }; types: { state: string }[] }[] };
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = (await (await fetch(`${page}api/status`)).json()) as Status;
      const envoy = status.streams.find((s) => s.node?.id === "envoy-start");
      if (envoy !== undefined && envoy.types.length >= 4 && envoy.types.every((t) => t.state === "acked")) break;
      if (Date.now() > deadline) throw new Error(`Envoy did not ACK every type: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    ctrlC(app);
    expect(await app.exited).toBe(0);
    // Nothing left running: Envoy's process, its admin port and its listener are gone, and the control plane's ports.
    expect(running(Number(envoyPid))).toBe(false);
    await expect(fetch(`${envoyAdmin}/ready`)).rejects.toThrow();
    await expect(fetch(curlUrl ?? "")).rejects.toThrow();
    await expect(fetch(page ?? "")).rejects.toThrow();
  }, 150_000);

  it("--no-envoy starts the control plane alone and prints the bootstrap for your own Envoy", async () => {
    const app = npmStart([...noAppPorts, "--no-envoy"]);
    apps.push(app);
    await app.waitForOutput(/Ctrl-C stops everything\./);
    const out = app.stdout();
    expect(out).not.toContain("Envoy is running");
    expect(out).toMatch(/Envoy bootstrap written to (\S+)\n {2}start one with: envoy -c \1 /);
    ctrlC(app);
    expect(await app.exited).toBe(0);
  }, 60_000);

  it("says clearly when Envoy cannot be installed, and serves without it", async () => {
    const app = npmStart(noAppPorts, { ENVOY_BIN: "/nonexistent/envoy" });
    apps.push(app);
    await app.waitForOutput(/Ctrl-C stops everything\./);
    const out = app.stdout();
    expect(out).not.toContain("Envoy is running");
    expect(out).toContain(
      "Envoy could not be installed (ENVOY_BIN must name an Envoy binary): ENVOY_BIN=/nonexistent/envoy does not exist\n  the control plane runs without it (--no-envoy skips this step). Envoy bootstrap written to ",
    );
    const [, page] = /\n {2}2\. open (http:\/\/127\.0\.0\.1:\d+\/) /.exec(out) ?? [];
    expect((await fetch(page ?? "")).status).toBe(200);
    ctrlC(app);
    expect(await app.exited).toBe(0);
  }, 60_000);
});
