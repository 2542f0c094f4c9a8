import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "@bufbuild/protobuf";
import type { ClientStatusOptions, StreamStatus } from "@xdskit/server-core/internal";
import { adminPage } from "./admin-page.js";
import { streamDetail } from "./stream-detail.js";
import { filterOf, type StatusFilter, statusView } from "./status-view.js";

/**
 * What the admin page reads: an xDS server's client status. `XdsServer.context`
 * of `@xdskit/server` is one (so is a `ServerContext` you made yourself).
 */
export interface StatusSource {
  /** The status of every open stream, as `ServerContext.clientStatus()` returns it. */
  clientStatus(options?: ClientStatusOptions): StreamStatus[];
  /** Increases whenever any client status changes. */
  readonly statusRevision: number;
}

/** Options of {@link createAdminHandler}. Every property may be left out or `undefined`. */
export interface AdminHandlerOptions {
  /** The path the page is served under, such as `/admin`. Default: `/`. */
  readonly basePath?: string | undefined;
  /**
   * Resolves the types inside `Any` to show resources as protobuf JSON.
   * Default: the whole Envoy registry of `@xdskit/envoy-api/registry`,
   * imported the first time a node's detail is asked for (about 1.5 s).
   */
  readonly registry?: Registry | undefined;
  /** How often live pages get an update when anything changed, in ms. Default: 250. */
  readonly updateIntervalMs?: number | undefined;
  /** The most streams one page or update lists (the counts are always whole). Default: 500. */
  readonly maxStreams?: number | undefined;
}

/**
 * A node `http` request handler serving the admin page under `basePath`:
 * returns `true` when it answered, `false` for any other path (so it can sit
 * in front of your own routes). `close()` ends its live connections.
 */
export interface AdminHandler {
  /** Answers a request under `basePath` and returns `true`; returns `false` for any other path, untouched. */
  (request: IncomingMessage, response: ServerResponse): boolean;
  /** Ends every live (server-sent events) connection and stops updating; the handler still answers. */
  close(): void;
}

interface LiveClient {
  readonly response: ServerResponse;
  readonly filter: StatusFilter;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  response.end(text);
}

/**
 * The admin page over a server's client status: connected nodes with each
 * type's ACKed and sent version, pending responses and NACKs with Envoy's
 * message, updated live over server-sent events (at most every
 * `updateIntervalMs`, only when something changed); filters by node, type
 * and state; a node's detail with the resources last sent to it as
 * protobuf JSON (secrets redacted). Routes, under `basePath`: `/` (the
 * page), `/api/status` and `/api/events` (JSON and server-sent events, both
 * taking `node`, `type`, `state` query parameters), `/api/streams/<id>`.
 */
export function createAdminHandler(source: StatusSource, options: AdminHandlerOptions = {}): AdminHandler {
  const base = (options.basePath ?? "/").replace(/\/+$/, "");
  const intervalMs = options.updateIntervalMs ?? 250;
  const limit = options.maxStreams ?? 500;
  let registry: Promise<Registry> | undefined = options.registry === undefined ? undefined : Promise.resolve(options.registry);
  const loadRegistry = (): Promise<Registry> => {
    registry ??= import("@xdskit/envoy-api/registry").then((module) => module.envoyRegistry);
    return registry;
  };
  const live = new Set<LiveClient>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let sentRevision = -1;
  let ticks = 0;
  const page = adminPage();

  const event = (client: LiveClient, streams: readonly StreamStatus[], revision: number): void => {
    client.response.write(`event: status\ndata: ${JSON.stringify(statusView(revision, streams, client.filter, limit))}\n\n`);
  };
  const tick = (): void => {
    ticks += 1;
    const revision = source.statusRevision;
    if (revision === sentRevision) {
      // A comment now and then keeps proxies from closing an idle stream.
      if (ticks % Math.max(1, Math.round(15_000 / intervalMs)) === 0) for (const client of live) client.response.write(": idle\n\n");
      return;
    }
    sentRevision = revision;
    const streams = source.clientStatus();
    for (const client of live) event(client, streams, revision);
  };
  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  const serveEvents = (request: IncomingMessage, response: ServerResponse, filter: StatusFilter): void => {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    response.write("retry: 1000\n\n");
    const client: LiveClient = { response, filter };
    live.add(client);
    event(client, source.clientStatus(), source.statusRevision);
    if (timer === undefined) {
      sentRevision = source.statusRevision;
      timer = setInterval(tick, intervalMs);
      timer.unref();
    }
    request.once("close", () => {
      live.delete(client);
      if (live.size === 0) stopTimer();
    });
  };

  const serveDetail = async (response: ServerResponse, id: number): Promise<void> => {
    const [stream] = source.clientStatus({ streamId: id, resources: true });
    if (stream === undefined) {
      sendJson(response, 404, { error: `no open stream ${id}` });
      return;
    }
    sendJson(response, 200, streamDetail(stream, await loadRegistry()));
  };

  const handler = ((request: IncomingMessage, response: ServerResponse): boolean => {
    const url = new URL(request.url ?? "/", "http://admin.invalid");
    const path = url.pathname;
    if (base !== "" && path !== base && !path.startsWith(`${base}/`)) return false;
    const route = path.slice(base.length);
    if (request.method !== "GET" && request.method !== "HEAD") {
      if (route === "" || route === "/" || route.startsWith("/api/")) {
        response.writeHead(405, { allow: "GET, HEAD" }).end();
        return true;
      }
      return false;
    }
    if (route === "") {
      // The page loads its data by relative URLs: it must end in a slash.
      response.writeHead(308, { location: `${base}/${url.search}` }).end();
      return true;
    }
    if (route === "/") {
      response.writeHead(200, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        "content-security-policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
      });
      response.end(page);
      return true;
    }
    if (route === "/api/status") {
      sendJson(response, 200, statusView(source.statusRevision, source.clientStatus(), filterOf(url.searchParams), limit));
      return true;
    }
    if (route === "/api/events") {
      serveEvents(request, response, filterOf(url.searchParams));
      return true;
    }
    const detail = /^\/api\/streams\/(\d{1,15})$/.exec(route);
    if (detail !== null) {
      serveDetail(response, Number(detail[1])).catch((error: unknown) => {
        if (!response.headersSent) sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
        else response.destroy();
      });
      return true;
    }
    if (route.startsWith("/api/")) {
      sendJson(response, 404, { error: `no route ${route}` });
      return true;
    }
    return false;
  }) as AdminHandler;
  handler.close = () => {
    stopTimer();
    for (const client of live) client.response.end();
    live.clear();
  };
  return handler;
}
