#!/usr/bin/env node
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommanderError } from "commander";
import { pino } from "pino";
import { bootstrapFor } from "@xdskit/envoy-tool";
import { parseCli } from "./cli-options.js";
import { startControlPlane } from "./control-plane.js";

let options: ReturnType<typeof parseCli>;
try {
  options = parseCli(process.argv.slice(2));
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
}

const log = pino({ level: options.logLevel, base: { app: "xdskit-example-control-plane" } });
// The full registry (every Envoy type, for typed_config @type in the config files) takes a moment to load.
const { envoyRegistry } = await import("@xdskit/envoy-api");

try {
  const cp = await startControlPlane({ ...options, registry: envoyRegistry, log });
  const bootstrap = bootstrapFor({
    mode: options.mode,
    xdsPort: cp.port,
    nodeId: options.nodeId,
    ...(options.tlsCert ? { tls: { caFile: options.tlsCert } } : {}),
  });
  const file = options.bootstrapOut ?? join(mkdtempSync(join(tmpdir(), "xdskit-envoy-")), "bootstrap.json");
  writeFileSync(file, `${JSON.stringify({ admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } }, ...bootstrap }, null, 2)}\n`);
  log.info({ port: cp.port, mode: options.mode, config: options.config, groups: cp.store.groups(), upstreamPort: cp.upstreamPort }, "xDS control plane listening");
  process.stdout.write(
    [
      "",
      `xDS control plane on ${options.host}:${cp.port} (mode ${options.mode}), serving ${options.config}`,
      "Point an Envoy at it with the bootstrap written to:",
      `  ${file}`,
      `  envoy -c ${file}        # an Envoy 1.40 is installed by: ./scripts/pnpm.sh --filter @xdskit/envoy-tool install-envoy`,
      cp.upstreamPort ? `then: curl http://127.0.0.1:10000/  (routed by Envoy to the built-in upstream on :${cp.upstreamPort})` : "",
      "Edit the config files and Envoy follows; a bad edit is logged and the last good config stays.",
      "",
    ].join("\n"),
  );
  const stop = async (signal: string): Promise<void> => {
    log.info({ signal }, "shutting down: streams end with UNAVAILABLE");
    await cp.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
} catch (e) {
  log.fatal({ err: e }, "could not start");
  process.exit(1);
}
