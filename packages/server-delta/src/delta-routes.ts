import type { ConnectRouter } from "@connectrpc/connect";
import type { ConfigWatcher } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { DELTA_SERVICES } from "./delta-services.js";
import { createDeltaStreamHandler, type DeltaStreamOptions } from "./delta-stream.js";

/** Options of {@link registerDeltaServices}: those of every stream; `typeUrl` is set per service. */
export type DeltaServicesOptions = Omit<DeltaStreamOptions, "typeUrl">;

/** Registers DeltaAggregatedResources and every per-type Delta* method on a Connect router. */
export function registerDeltaServices(router: ConnectRouter, cache: ConfigWatcher, options: DeltaServicesOptions = {}): void {
  router.rpc(AggregatedDiscoveryService.method.deltaAggregatedResources, createDeltaStreamHandler(cache, options));
  for (const entry of DELTA_SERVICES) {
    router.rpc(entry.delta, createDeltaStreamHandler(cache, { ...options, typeUrl: entry.typeUrl }));
  }
}
