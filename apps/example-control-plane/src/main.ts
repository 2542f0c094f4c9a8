#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=100 --no-allocation-site-pretenuring
import cluster from "node:cluster";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommanderError } from "commander";
import type { EnvoyProcess } from "@xdskit/envoy-tool";
import { type HeldPort, holdPort } from "@xdskit/server/hold-port";
import { registerImportHook } from "@xdskit/server/import-hook";
import { createAppLogger } from "./app-logger.js";
import { parseCli } from "./cli-options.js";
import { STORE_COMMANDS } from "./store-commands.js";
import { reportListening, startWorkers } from "./workers.js";

// Only what every start needs is imported above; the control plane, the store CLI, etcd, the
// Envoy bootstrap builder and the local Envoy load below when used, after the xDS port is held.

const argv = process.argv.slice(2);
if (argv[0] !== undefined && STORE_COMMANDS.has(argv[0])) {
  const { runStoreCli } = await import("./store-cli.js");
  process.exit(await runStoreCli(argv));
}

let options: ReturnType<typeof parseCli>;
try {
  options = parseCli(argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
}

const worker = cluster.isWorker ? process.env["XDSKIT_WORKER"] : undefined;
const log = createAppLogger({
  level: options.logLevel,
  format: options.logFormat,
  base: { app: "xdskit-example-control-plane", pid: process.pid, ...(worker ? { worker: Number(worker) } : {}) },
});
const sourceText = options.source === "etcd" ? `etcd ${options.etcdEndpoints.join(",")} prefix ${options.etcdPrefix}` : options.config;

/** Writes the Envoy bootstrap, starts Envoy when asked, and says what to try. */
async function announce(port: number, upstreamPort: number | undefined, groups: string[] | undefined, adminUrl: string | undefined): Promise<EnvoyProcess | undefined> {
  const { envoyBootstrap } = await import("./envoy-bootstrap.js");
  const { listenerUrls, startLocalEnvoy } = await import("./local-envoy.js");
  const bootstrap = envoyBootstrap({ ...options, port });
  const file = options.bootstrapOut ?? join(mkdtempSync(join(tmpdir(), "xdskit-envoy-")), "bootstrap.json");
  writeFileSync(file, `${JSON.stringify(bootstrap, null, 2)}\n`);
  log.info({ port, mode: options.mode, source: options.source, config: sourceText, groups, upstreamPort, workers: options.workers, admin: adminUrl }, "xDS control plane listening");
  const local = options.envoy ? await startLocalEnvoy(bootstrap, log) : undefined;
  const envoy = local?.envoy;
  // Where to curl: the listeners Envoy actually bound, else the default config's :10000.
  const urls = envoy ? await listenerUrls(envoy) : [];
  const upstream = upstreamPort ? `      (Envoy routes it to the built-in upstream on :${upstreamPort})` : "";
  const curl =
    urls.length > 0
      ? `  1. curl ${urls[0]}${upstream}${urls.length > 1 ? `\n     (Envoy's other listeners: ${urls.slice(1).join(" ")})` : ""}`
      : envoy
        ? `  1. send traffic through your Envoy's listeners (none active yet: see ${envoy.adminUrl}/listeners)`
        : upstreamPort
          ? `  1. curl http://127.0.0.1:10000/${upstream}`
          : "  1. send traffic through your Envoy's listeners";
  const edit =
    options.source === "etcd"
      ? "change the config with: xdskit-example-control-plane apply -f <dir> (checked, then written to etcd in one transaction); every replica follows"
      : `edit ${join(options.config, "routes.yaml")} (or any file in ${options.config}): Envoy follows; a bad edit is logged and the last good config stays`;
  const bootstrapHint = `Envoy bootstrap written to ${file}\n  start one with: envoy -c ${file}   (npm start does; an Envoy 1.40 is installed by ./scripts/pnpm.sh --filter @xdskit/envoy-tool install-envoy)`;
  const lines = [
    "",
    `xDS control plane on ${options.host}:${port} (mode ${options.mode}${options.workers > 1 ? `, ${options.workers} workers` : ""}), serving ${sourceText}`,
    envoy
      ? `Envoy is running (pid ${envoy.pid}, admin ${envoy.adminUrl}, log ${envoy.logFile}), bootstrap ${file}`
      : local?.failure !== undefined
        ? `${local.failure}\n  the control plane runs without it (--no-envoy skips this step). ${bootstrapHint}`
        : bootstrapHint,
    "",
    "Try:",
    curl,
    adminUrl ? `  2. open ${adminUrl}   (which proxies are connected, what each ACKed, NACKs with Envoy's message; Prometheus metrics at ${adminUrl}metrics)` : "  2. (no admin page: --no-admin or --workers > 1)",
    `  3. ${edit}`,
    "",
    "Ctrl-C stops everything.",
    "",
  ];
  process.stdout.write(lines.join("\n"));
  return envoy;
}

/**
 * Ctrl-C and SIGTERM run `stop`, then exit. Installed before "Ctrl-C stops everything" is printed
 * and before a local Envoy starts: a signal in between would otherwise kill this process with
 * Node's default action and leave Envoy running.
 */
function onStopSignal(stop: (signal: string) => Promise<void>): void {
  const run = (signal: string) =>
    void stop(signal).then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, "shutdown failed");
        process.exit(1);
      },
    );
  process.once("SIGINT", () => run("SIGINT"));
  process.once("SIGTERM", () => run("SIGTERM"));
}

if (options.workers > 1 && cluster.isPrimary) {
  try {
    const workers = await startWorkers(options.workers, log);
    let envoy: Promise<EnvoyProcess | undefined> = Promise.resolve(undefined);
    onStopSignal(async (signal) => {
      log.info({ signal }, "shutting down the workers");
      await (await envoy.catch(() => undefined))?.stop();
      await workers.stop();
    });
    envoy = announce(workers.port, workers.upstreamPort, undefined, undefined);
    await envoy;
  } catch (e) {
    log.fatal({ err: e }, "could not start the workers");
    process.exit(1);
  }
} else {
  // One process: the xDS port is bound first, so that proxies reconnecting while the config loads
  // (seconds for a big one) wait on it and are served once it is loaded, instead of being refused
  // and backing off (Envoy: up to 30 s). Workers share the primary's port instead.
  let heldPort: HeldPort | undefined;
  if (!cluster.isWorker) {
    try {
      heldPort = await holdPort({ host: options.host, port: options.port });
    } catch (e) {
      log.fatal({ err: e, host: options.host, port: options.port }, "could not listen");
      process.exit(1);
    }
  }
  // Before the control plane's modules load: their relative imports (the generated Envoy API's
  // above all) are resolved without a file-system check each (see @xdskit/server's README).
  registerImportHook();
  const { startControlPlane } = await import("./control-plane.js");
  const { lazyEnvoyRegistry } = await import("@xdskit/envoy-config");
  // Every Envoy type (for typed_config @type in the config files), each loaded on first use: the
  // whole registry at once costs about a second and 130 MB, most of it for types no config uses.
  const envoyRegistry = lazyEnvoyRegistry();
  try {
    const { startEtcdSource } = options.source === "etcd" ? await import("./etcd-source.js") : { startEtcdSource: undefined };
    const { createValidator } = options.source === "etcd" && options.validate !== "off" ? await import("@xdskit/validate/core") : { createValidator: undefined };
    const { toXdsLogger } = await import("./pino-logger.js");
    const cp = await startControlPlane({
      ...options,
      heldPort,
      registry: envoyRegistry,
      log,
      // The admin page shows one process's streams: with workers, each has its own (use CSDS per worker).
      adminPort: options.admin && !cluster.isWorker ? options.adminPort : undefined,
      ...(startEtcdSource !== undefined
        ? {
            startSource: (cache) =>
              startEtcdSource(cache, {
                endpoints: options.etcdEndpoints,
                prefix: options.etcdPrefix,
                registry: envoyRegistry,
                log,
                logger: toXdsLogger(log),
                ...(createValidator === undefined ? {} : { validate: createValidator({ registry: envoyRegistry }) }),
              }),
          }
        : {}),
    });
    if (cluster.isWorker) {
      log.info({ port: cp.port, groups: cp.groups() }, "worker serving");
      reportListening(cp.port, cp.upstreamPort);
    }
    let envoy: Promise<EnvoyProcess | undefined> = Promise.resolve(undefined);
    onStopSignal(async (signal) => {
      log.info({ signal }, "shutting down: streams end with UNAVAILABLE");
      // An Envoy still starting is waited for, then stopped: none is left running.
      await (await envoy.catch(() => undefined))?.stop();
      await cp.stop();
    });
    if (!cluster.isWorker) {
      envoy = announce(cp.port, cp.upstreamPort, cp.groups(), cp.admin?.url);
      await envoy;
    }
  } catch (e) {
    log.fatal({ err: e }, "could not start");
    process.exit(1);
  }
}
