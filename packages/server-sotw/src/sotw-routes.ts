import type { ConnectRouter } from "@connectrpc/connect";
import type { ConfigFetcher, ConfigWatcher } from "@xdskit/cache-core";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import { createFetchHandler } from "./fetch-handler.js";
import { SOTW_SERVICES } from "./sotw-services.js";
import { createSotwStreamHandler, type SotwStreamOptions } from "./sotw-stream.js";

/** Options of {@link registerSotwServices}: those of every stream; `typeUrl` is set per service. */
export type SotwServicesOptions = Omit<SotwStreamOptions, "typeUrl">;

function isFetcher(cache: ConfigWatcher): cache is ConfigWatcher & ConfigFetcher {
  return typeof (cache as Partial<ConfigFetcher>).fetch === "function";
}

/**
 * Registers every SotW method on a Connect router: StreamAggregatedResources,
 * each per-type Stream* method, and, when the cache is also a
 * `ConfigFetcher`, each Fetch* method.
 */
export function registerSotwServices(router: ConnectRouter, cache: ConfigWatcher, options: SotwServicesOptions = {}): void {
  router.rpc(AggregatedDiscoveryService.method.streamAggregatedResources, createSotwStreamHandler(cache, options));
  for (const entry of SOTW_SERVICES) {
    router.rpc(entry.stream, createSotwStreamHandler(cache, { ...options, typeUrl: entry.typeUrl }));
    if (isFetcher(cache)) router.rpc(entry.fetch, createFetchHandler(cache, { ...options, typeUrl: entry.typeUrl }));
  }
}
