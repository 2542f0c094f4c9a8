import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Registry } from "@bufbuild/protobuf";
import { typeNameOfUrl } from "@xdskit/cache-core";
import { createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { createValidator } from "@xdskit/validate/core";
import { createXdsServer, type HeldPort, type XdsListener, type XdsServer } from "@xdskit/server";
import { configSource } from "@xdskit/resource-builders/config-source";
import type { Logger as Pino } from "pino";
import { type AdminServer, startAdminServer } from "./admin-server.js";
import { type AppMetrics, createAppMetrics } from "./app-metrics.js";
import { formatProblem } from "./config-error.js";
import { ConfigStore, type ReloadResult } from "./config-store.js";
import type { CliOptions } from "./cli-options.js";
import type { ResourceSource } from "./resource-source.js";
import { toXdsLogger } from "./pino-logger.js";
import { startUpstream } from "./upstream.js";
import { watchConfig } from "./watch-config.js";

export interface ControlPlane {
  readonly port: number;
  readonly upstreamPort: number | undefined;
  /** The config directory source; `undefined` when `startSource` replaced it (etcd). */
  readonly store: ConfigStore | undefined;
  /** The source `startSource` started, if any. */
  readonly source: ResourceSource | undefined;
  /** Node groups served, sorted. */
  groups(): string[];
  readonly cache: SnapshotCache;
  readonly server: XdsServer;
  /** The admin page and /metrics, when `adminPort` was given. */
  readonly admin: AdminServer | undefined;
  /** Re-reads the config directory now (the watcher calls this on every settled change). */
  reload(): ReloadResult;
  stop(): Promise<void>;
}

export type ControlPlaneOptions = Pick<CliOptions, "config" | "host" | "port" | "mode" | "upstreamPort" | "tlsCert" | "tlsKey" | "tlsClientCa"> & {
  /** What to do with resources that break Envoy's rules. Default: refuse. */
  validate?: CliOptions["validate"] | undefined;
  registry: Registry;
  log: Pino;
  /** Watch the config directory and reload on change. Default true. */
  watch?: boolean;
  /** Serve the admin page and /metrics on this port of `host` (0: any free port). Default: none. */
  adminPort?: number | undefined;
  /** The hostile-client guards of the server (first-request deadline, per-peer budgets, keepalive, connection age, …). Default: the server's. */
  guards?: CliOptions["guards"] | undefined;
  /** The xDS port, bound earlier by `holdPort` (main.ts does, first thing): served instead of binding `host`:`port`. */
  heldPort?: HeldPort | undefined;
  /** Fills the cache instead of the config directory (the etcd source); resolves once the cache holds the first state. */
  startSource?: (cache: SnapshotCache) => Promise<ResourceSource>;
};

/**
 * The example control plane: a snapshot cache filled from the config
 * directory, every xDS service over it, a reload on every change that keeps
 * the last good config when an edit is bad, and an optional built-in upstream.
 */
export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const log = o.log;
  const xdsLog = toXdsLogger(log);
  let store: ConfigStore | undefined;
  let source: ResourceSource | undefined;
  const cache = createSnapshotCache({
    ads: o.mode === "ads" || o.mode === "delta-ads",
    logger: xdsLog,
    nodeHash: (node) => {
      if (source) return source.nodeGroup(node);
      if (!store) throw new Error("control plane not started");
      return store.nodeGroup(node);
    },
  });
  if (o.startSource) source = await o.startSource(cache);
  else {
    const mode = o.validate ?? "refuse";
    store = new ConfigStore(o.config, cache, o.registry, {
      selfConfigSource: configSource(o.mode),
      ...(mode === "off" ? {} : { validate: { validator: createValidator({ registry: o.registry }), mode } }),
      onWarning: (problem) => log.warn({ problem: formatProblem(problem) }, "config breaks a rule; served anyway (--validate warn)"),
      // Envoy names an unnamed listener itself (a random one); served over xDS it needs a stable name.
      onNotice: (notice) => log.info({ notice: formatProblem(notice) }, "config note"),
    });
  }
  const current = store;

  const reload = (): ReloadResult => {
    if (!current) return { ok: true, versions: new Map(), changedGroups: [] };
    const before = new Map(current.groups().map((g) => [g, current.versions(g)]));
    const r = current.reload();
    if (r.ok) {
      for (const group of r.changedGroups) {
        // Only the types that changed, by short name: a full version map per line is noise at info.
        const versions = r.versions.get(group) ?? {};
        const changed = Object.entries(versions)
          .filter(([typeUrl, version]) => before.get(group)?.[typeUrl] !== version)
          .map(([typeUrl, version]) => `${typeNameOfUrl(typeUrl).split(".").pop()}@${version}`);
        log.info({ group, changed: before.get(group) === undefined ? `all ${changed.length} types` : changed }, "serving new config");
        log.debug({ group, versions }, "versions of the new config");
      }
    } else {
      log.error({ problems: r.problems.map(formatProblem) }, "config rejected; still serving the last good config");
    }
    return r;
  };
  const first = reload();
  if (!first.ok) throw new Error(`the config in ${o.config} has problems:\n  ${first.problems.map(formatProblem).join("\n  ")}`);

  const metrics: AppMetrics | undefined = o.adminPort === undefined ? undefined : createAppMetrics(cache, () => source?.groups() ?? current?.groups() ?? []);
  const server = createXdsServer(cache, {
    ...o.guards,
    logger: xdsLog,
    // CSDS on the xDS port (gRPC clients such as grpcdebug read it); the default host is loopback.
    csds: true,
    meterProvider: metrics?.meterProvider,
    ordered: true,
    // The app has the whole registry loaded for its config already: REST uses it (no type loads on a poll).
    rest: { registry: o.registry },
    callbacks: {
      onStreamOpen: (s) => log.info({ stream: s.id, protocol: s.protocol, peer: s.peer?.address, typeUrl: s.typeUrl }, "stream opened"),
      onStreamClosed: (s) => log.info({ stream: s.id, protocol: s.protocol, node: s.node?.id }, "stream closed"),
      // NACKs are logged by the server itself (warn "xds NACK": node, type, version, Envoy's message capped).
    },
  });
  const tls =
    o.tlsCert && o.tlsKey
      ? {
          cert: readFileSync(o.tlsCert),
          key: readFileSync(o.tlsKey),
          ...(o.tlsClientCa ? { ca: readFileSync(o.tlsClientCa), requestCert: true, rejectUnauthorized: true } : {}),
        }
      : undefined;
  const where = o.heldPort === undefined ? { host: o.host, port: o.port } : { heldPort: o.heldPort };
  const listener: XdsListener = await server.listen({ ...where, ...(tls ? { tls } : {}) });
  let upstream: { server: Server; port: number } | undefined;
  if (o.upstreamPort !== 0) upstream = await startUpstream(o.host, o.upstreamPort);
  const stopWatching = o.watch === false || source ? undefined : await watchConfig(o.config, reload);
  const admin =
    metrics === undefined || o.adminPort === undefined
      ? undefined
      : await startAdminServer({ host: o.host, port: o.adminPort, server, metrics, registry: o.registry });

  return {
    port: listener.port,
    upstreamPort: upstream?.port,
    store: current,
    source,
    groups: () => source?.groups() ?? current?.groups() ?? [],
    cache,
    server,
    admin,
    reload,
    async stop() {
      await admin?.close();
      await metrics?.shutdown();
      await stopWatching?.();
      await source?.stop();
      await server.close();
      cache.close();
      if (upstream) await new Promise<void>((r) => upstream?.server.close(() => r()));
    },
  };
}
