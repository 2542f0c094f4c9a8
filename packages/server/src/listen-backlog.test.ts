// The accept queue of listen() and of a held port: 600 clients connect while
// the server's process is busy (its event loop blocked, as when a restarted
// control plane loads its modules or a burst of sessions is being set up).
// With node's default queue (511) the kernel drops the handshakes past it
// and those clients wait a second or more to retry; every one completes here.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";

const pkgDir = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "server-backlog-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CLIENTS = 600;

// The server process: listens (held port or not), prints its port, then blocks its event loop until the flag file exists.
const serverScript = (held: boolean, flag: string) => `
  import { existsSync } from "node:fs";
  import { createXdsServer, holdPort } from "@xdskit/server";
  const cache = { createWatch: () => () => {}, createDeltaWatch: () => () => {} };
  const xds = createXdsServer(cache);
  const listener = ${held ? "await xds.listen({ heldPort: await holdPort({ port: 0 }) })" : "await xds.listen({ port: 0 })"};
  console.log(listener.port);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(${JSON.stringify(flag)})) Atomics.wait(nap, 0, 0, 5);
  console.log("awake");
  await xds.close();
`;

let child: ChildProcess | undefined;
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  child?.kill("SIGKILL");
  child = undefined;
});

async function connectWhileBusy(held: boolean, name: string): Promise<number> {
  const flag = join(tmp, name);
  child = spawn(process.execPath, ["--input-type=module", "-e", serverScript(held, flag)], { cwd: pkgDir, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const port = Number((await lines.next()).value);
  let connected = 0;
  const all = new Promise<void>((resolve) => {
    for (let i = 0; i < CLIENTS; i++) {
      const socket = net.connect(port, "127.0.0.1");
      sockets.push(socket);
      socket.on("error", () => {});
      socket.once("connect", () => {
        if (++connected === CLIENTS) resolve();
      });
    }
  });
  // Bounded: a dropped handshake is retried after 1 s, 3 s, 7 s...; 20 s is far past what a full queue answers in.
  const timedOut = new Promise<void>((resolve) => setTimeout(resolve, 20_000).unref());
  await Promise.race([all, timedOut]);
  const before = connected;
  writeFileSync(flag, "");
  expect((await lines.next()).value).toBe("awake");
  await once(child, "exit");
  return before;
}

describe("the accept queue", () => {
  it(`holds ${CLIENTS} connections made while listen()'s process is busy`, async () => {
    expect(await connectWhileBusy(false, "plain")).toBe(CLIENTS);
  }, 60_000);

  it(`holds ${CLIENTS} connections made while the process that took a held port is busy`, async () => {
    expect(await connectWhileBusy(true, "held")).toBe(CLIENTS);
  }, 60_000);
});
