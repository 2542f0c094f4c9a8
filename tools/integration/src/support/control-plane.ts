// Our control plane as a test starts it: a cache (snapshot, or snapshot + linear EDS behind a mux),
// every xDS service over it, and a record of what Envoy NACKed and what the delta server sent.
import type { Message } from "@bufbuild/protobuf";
import {
  CLUSTER_TYPE_URL,
  type Cache,
  type ResourceErrorDetail,
  ENDPOINT_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
} from "@xdskit/cache-core";
import { createLinearCache, type LinearCache } from "@xdskit/cache-linear";
import { createMuxCache } from "@xdskit/cache-mux";
import { createSnapshot, createSnapshotCache, type SnapshotCache } from "@xdskit/cache-snapshot";
import { ClusterLoadAssignmentSchema } from "@xdskit/envoy-api/envoy/config/endpoint/v3/endpoint_pb";
import type { ConfigSourceMode } from "@xdskit/resource-builders";
import { createXdsServer, type TlsOptions, type XdsListener, type XdsServer, type XdsServerOptions } from "@xdskit/server";
import type { NackInfo } from "@xdskit/server-core";

/** What the suite runs: the five xDS transports, plus ADS over a mux cache and ADS over TLS with SDS. */
export type SuiteMode = "ads" | "xds" | "rest" | "delta" | "delta-ads" | "mux" | "tls";

/** The transport Envoy uses in a suite mode (mux and tls ride on SotW ADS). */
export function transportOf(mode: SuiteMode): ConfigSourceMode {
  return mode === "mux" || mode === "tls" ? "ads" : mode;
}

export function isDelta(mode: SuiteMode): boolean {
  return mode === "delta" || mode === "delta-ads";
}

export type ResourcesByType = Readonly<Record<string, readonly Message[]>>;

export interface TestControlPlane {
  readonly mode: SuiteMode;
  readonly nodeId: string;
  readonly server: XdsServer;
  readonly listener: XdsListener;
  readonly snapshots: SnapshotCache;
  /** The EDS cache in mux mode. */
  readonly endpoints: LinearCache | undefined;
  /** Every NACK the server saw, in order. */
  readonly nacks: NackInfo[];
  /** Every SotW request the server saw: type URL and the names it asked for. */
  readonly sotwRequests: { typeUrl: string; names: readonly string[] }[];
  /** Delta modes: the version of each resource in the last delta response that carried it, by `typeUrl name`. */
  readonly deltaSent: Map<string, string>;
  /** Every `resource_errors` entry sent (SotW and delta), as `typeUrl name code`. */
  readonly resourceErrorsSent: string[];
  /**
   * Serves `resources` at `version` to the node (checked for consistency). In
   * mux mode everything but the endpoints goes to the snapshot cache, then the
   * endpoints to the linear cache. `errors` (type URL → name → status) go
   * into the snapshot (not checked for consistency then: their names have no resource).
   */
  push(version: string, resources: ResourcesByType, errors?: Readonly<Record<string, Readonly<Record<string, ResourceErrorDetail>>>>): void;
  close(): Promise<void>;
}

export interface ControlPlaneOptions {
  readonly mode: SuiteMode;
  readonly nodeId: string;
  /** Serve xDS over TLS with this certificate. */
  readonly tls?: TlsOptions;
  readonly serverOptions?: Omit<XdsServerOptions, "callbacks">;
}

const SNAPSHOT_TYPES = [
  CLUSTER_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  SCOPED_ROUTE_TYPE_URL,
  RUNTIME_TYPE_URL,
  EXTENSION_CONFIG_TYPE_URL,
  SECRET_TYPE_URL,
];

export async function startControlPlane(o: ControlPlaneOptions): Promise<TestControlPlane> {
  const transport = transportOf(o.mode);
  const snapshots = createSnapshotCache({ ads: transport === "ads" || transport === "delta-ads" });
  let endpoints: LinearCache | undefined;
  let cache: Cache = snapshots;
  if (o.mode === "mux") {
    endpoints = createLinearCache({ schema: ClusterLoadAssignmentSchema, versionPrefix: "eds-" });
    const caches: Record<string, Cache> = { [ENDPOINT_TYPE_URL]: endpoints };
    for (const typeUrl of SNAPSHOT_TYPES) caches[typeUrl] = snapshots;
    cache = createMuxCache({ caches });
  }
  const nacks: NackInfo[] = [];
  const deltaSent = new Map<string, string>();
  const resourceErrorsSent: string[] = [];
  const sotwRequests: { typeUrl: string; names: readonly string[] }[] = [];
  // REST mode runs on the server's defaults: the JSON answers load the types of their Anys by
  // package as they need them (not the whole Envoy API), so every type a real Envoy is sent over
  // REST here goes through that lazy registry.
  const server = createXdsServer(cache, {
    ...o.serverOptions,
    callbacks: {
      onNack: (nack) => {
        nacks.push(nack);
      },
      onStreamRequest: (_stream, request) => {
        sotwRequests.push({ typeUrl: request.typeUrl, names: [...request.resourceNames] });
      },
      onStreamResponse: (_stream, _request, response) => {
        for (const e of response.resourceErrors) resourceErrorsSent.push(`${response.typeUrl} ${e.resourceName?.name} ${e.errorDetail?.code}`);
      },
      onStreamDeltaResponse: (_stream, _request, response) => {
        for (const r of response.resources) deltaSent.set(`${response.typeUrl} ${r.name}`, r.version);
        for (const e of response.resourceErrors) resourceErrorsSent.push(`${response.typeUrl} ${e.resourceName?.name} ${e.errorDetail?.code}`);
      },
    },
  });
  const listener = await server.listen({ host: "127.0.0.1", port: 0, ...(o.tls ? { tls: o.tls } : {}) });
  return {
    mode: o.mode,
    nodeId: o.nodeId,
    server,
    listener,
    snapshots,
    endpoints,
    nacks,
    deltaSent,
    resourceErrorsSent,
    sotwRequests,
    push(version, resources, errors) {
      if (endpoints === undefined) {
        const snapshot = createSnapshot(version, resources as Record<string, Iterable<Message>>, errors === undefined ? {} : { errors });
        if (errors === undefined) snapshot.consistent();
        snapshots.setSnapshot(o.nodeId, snapshot);
        return;
      }
      const { [ENDPOINT_TYPE_URL]: eds = [], ...rest } = resources;
      // Clusters first, then their endpoints: an updated cluster warms and asks for its
      // endpoints again with the version it already holds; only a change answers that, and
      // a SotW Envoy otherwise waits out initial_fetch_timeout (15 s) before using its EDS cache.
      snapshots.setSnapshot(o.nodeId, createSnapshot(version, rest as Record<string, Iterable<Message>>, errors === undefined ? {} : { errors }));
      endpoints.setResources(eds);
    },
    async close() {
      await server.close();
      snapshots.close();
    },
  };
}
