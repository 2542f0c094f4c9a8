#!/usr/bin/env node
import cluster from "node:cluster";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommanderError } from "commander";
import { pino } from "pino";
import { bootstrapFor } from "@xdskit/envoy-tool";
import { parseCli } from "./cli-options.js";
import { startControlPlane } from "./control-plane.js";
import { createValidator } from "@xdskit/validate";
import { startEtcdSource } from "./etcd-source.js";
import { toXdsLogger } from "./pino-logger.js";
import { runStoreCli, STORE_COMMANDS } from "./store-cli.js";
import { reportListening, startWorkers } from "./workers.js";

const argv = process.argv.slice(2);
if (argv[0] !== undefined && STORE_COMMANDS.has(argv[0])) process.exit(await runStoreCli(argv));

let options: ReturnType<typeof parseCli>;
try {
  options = parseCli(argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
}

const worker = cluster.isWorker ? process.env["XDSKIT_WORKER"] : undefined;
const log = pino({ level: options.logLevel, base: { app: "xdskit-example-control-plane", pid: process.pid, ...(worker ? { worker: Number(worker) } : {}) } });
const sourceText = options.source === "etcd" ? `etcd ${options.etcdEndpoints.join(",")} prefix ${options.etcdPrefix}` : options.config;

/** Writes the Envoy bootstrap and says how to use it. */
function announce(port: number, upstreamPort: number | undefined, groups: string[] | undefined): void {
  const bootstrap = bootstrapFor({
    mode: options.mode,
    xdsPort: port,
    nodeId: options.nodeId,
    ...(options.tlsCert ? { tls: { caFile: options.tlsCert } } : {}),
  });
  const file = options.bootstrapOut ?? join(mkdtempSync(join(tmpdir(), "xdskit-envoy-")), "bootstrap.json");
  writeFileSync(file, `${JSON.stringify({ admin: { address: { socket_address: { address: "127.0.0.1", port_value: 9901 } } }, ...bootstrap }, null, 2)}\n`);
  log.info({ port, mode: options.mode, source: options.source, config: sourceText, groups, upstreamPort, workers: options.workers }, "xDS control plane listening");
  process.stdout.write(
    [
      "",
      `xDS control plane on ${options.host}:${port} (mode ${options.mode}${options.workers > 1 ? `, ${options.workers} workers` : ""}), serving ${sourceText}`,
      "Point an Envoy at it with the bootstrap written to:",
      `  ${file}`,
      `  envoy -c ${file}        # an Envoy 1.40 is installed by: ./scripts/pnpm.sh --filter @xdskit/envoy-tool install-envoy`,
      upstreamPort ? `then: curl http://127.0.0.1:10000/  (routed by Envoy to the built-in upstream on :${upstreamPort})` : "",
      options.source === "etcd"
        ? "Change the config with: xdskit-example-control-plane apply -f <dir> (checked, then written to etcd in one transaction); every replica follows."
        : "Edit the config files and Envoy follows; a bad edit is logged and the last good config stays.",
      "",
    ].join("\n"),
  );
}

if (options.workers > 1 && cluster.isPrimary) {
  try {
    const workers = await startWorkers(options.workers, log);
    announce(workers.port, workers.upstreamPort, undefined);
    const stop = async (signal: string): Promise<void> => {
      log.info({ signal }, "shutting down the workers");
      await workers.stop();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop("SIGINT"));
    process.once("SIGTERM", () => void stop("SIGTERM"));
  } catch (e) {
    log.fatal({ err: e }, "could not start the workers");
    process.exit(1);
  }
} else {
  // The full registry (every Envoy type, for typed_config @type in the config files) takes a moment to load.
  const { envoyRegistry } = await import("@xdskit/envoy-api");
  try {
    const cp = await startControlPlane({
      ...options,
      registry: envoyRegistry,
      log,
      ...(options.source === "etcd"
        ? {
            startSource: (cache) =>
              startEtcdSource(cache, {
                endpoints: options.etcdEndpoints,
                prefix: options.etcdPrefix,
                registry: envoyRegistry,
                log,
                logger: toXdsLogger(log),
                ...(options.validate === "off" ? {} : { validate: createValidator({ registry: envoyRegistry }) }),
              }),
          }
        : {}),
    });
    if (cluster.isWorker) {
      log.info({ port: cp.port, groups: cp.groups() }, "worker serving");
      reportListening(cp.port, cp.upstreamPort);
    } else {
      announce(cp.port, cp.upstreamPort, cp.groups());
    }
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
}
