import type { ConfigFetcher, ConfigWatcher, DeltaResponse, SotwResponse } from "@xdskit/cache-core";

function stripSotw(response: SotwResponse): SotwResponse {
  if (response.errors === undefined) return response;
  const { errors: _dropped, ...rest } = response;
  return rest;
}

function stripDelta(response: DeltaResponse): DeltaResponse {
  if (response.errors === undefined) return response;
  const { errors: _dropped, ...rest } = response;
  return rest;
}

/**
 * The cache as the server sees it with `resourceErrors: false`: every answer
 * without its `errors` (the rest of it, such as delta's `removed`, as it was).
 * A fetcher stays a fetcher.
 */
export function withoutResourceErrors(cache: ConfigWatcher): ConfigWatcher {
  const watcher: ConfigWatcher = {
    createWatch: (request, subscription, respond) => cache.createWatch(request, subscription, (response) => respond(stripSotw(response))),
    createDeltaWatch: (request, subscription, respond) =>
      cache.createDeltaWatch(request, subscription, (response) => respond(stripDelta(response))),
  };
  const fetch = (cache as Partial<ConfigFetcher>).fetch;
  if (typeof fetch !== "function") return watcher;
  const fetcher: ConfigWatcher & ConfigFetcher = {
    ...watcher,
    async fetch(request) {
      const result = await fetch.call(cache, request);
      return result.kind === "response" ? { ...result, response: stripSotw(result.response) } : result;
    },
  };
  return fetcher;
}
