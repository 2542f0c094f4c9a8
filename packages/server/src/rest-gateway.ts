import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { fromJson, type JsonValue, type Registry, toJsonString } from "@bufbuild/protobuf";
import type { Logger } from "@xdskit/cache-core";
import {
  DiscoveryRequestSchema,
  DiscoveryResponseSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { lazyEnvoyRegistry } from "@xdskit/envoy-api/lazy-registry";
import { GrpcStatus, ServerError } from "@xdskit/server-core";
import { statusOf } from "@xdskit/server-core/internal";
import type { SotwProtocol } from "@xdskit/server-sotw";
import type { NodeServerRequest, NodeServerResponse } from "./node-handler.js";
import { peerOfRequest } from "./peer-info.js";
import { SOTW_METHODS } from "./xds-methods.js";

/** Options of the REST/JSON gateway. */
export interface RestOptions {
  /**
   * Resolves the types inside `Any` for JSON. Default: the types of
   * `@xdskit/envoy-api`, loaded as requests and answers need them (see
   * {@link RestOptions.preload}).
   */
  readonly registry?: Registry | undefined;
  /**
   * When the default registry's types are loaded. `"first-request"`: as REST
   * requests need them, by protobuf package: a request or answer loads the
   * packages of the `Any` types in it that no earlier one loaded (a first
   * listener poll with an HTTP connection manager: a few dozen generated
   * files, well inside Envoy's 1 s fetch timeout), and a gRPC-only server
   * loads none. `"background"`: `listen()` starts loading the whole Envoy API
   * (~0.9 s of CPU, ~25 MB) and resolves without waiting; a poll that comes
   * before it ends waits for it. `"listen"`: `listen()` resolves once the
   * whole API is loaded, so no poll ever loads a type. Default:
   * `"first-request"`.
   */
  readonly preload?: "first-request" | "background" | "listen" | undefined;
  /** The largest request body accepted, in bytes. Default: 4 MiB. */
  readonly maxBodyBytes?: number | undefined;
}

const REST_PREFIX = "/v3/discovery:";
const typeOfRestName = new Map(SOTW_METHODS.map((entry) => [entry.restName, entry.typeUrl]));

const httpOfStatus: Readonly<Record<number, number>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.UNAVAILABLE]: 503,
};

/** A node request handler for `POST /v3/discovery:<type>`; returns false for any other path. */
export type RestHandler = (request: NodeServerRequest, response: NodeServerResponse) => boolean;

/** The REST gateway: its handler, and the load of its registry (which `listen` starts). */
export interface RestGateway {
  readonly handler: RestHandler;
  /** Loads the JSON registry now, once; resolves when it is ready. */
  preload(): Promise<void>;
}

/**
 * The xDS REST/JSON gateway (Envoy's `api_type: REST`): a JSON
 * DiscoveryRequest in, a JSON DiscoveryResponse out, 304 Not Modified when
 * the client's `version_info` is current.
 */
export function createRestGateway(sotw: SotwProtocol, logger: Logger, rest: RestOptions = {}): RestGateway {
  const maxBodyBytes = rest.maxBodyBytes ?? 4 * 1024 * 1024;
  // A whole registry (the user's, or the whole Envoy API once a preload asked for it), else the lazy one.
  let whole: Promise<Registry> | undefined = rest.registry === undefined ? undefined : Promise.resolve(rest.registry);
  let lazy: Registry | undefined;
  const loadWhole = (): Promise<Registry> => {
    whole ??= import("@xdskit/envoy-api/registry").then((module) => module.envoyRegistry);
    return whole;
  };
  const convert: JsonConversion = async (conversion) => {
    if (whole !== undefined) return conversion(await whole);
    lazy ??= lazyEnvoyRegistry();
    return conversion(lazy);
  };
  const handler: RestHandler = (request, response) => {
    const url = request.url ?? "";
    if (!url.startsWith(REST_PREFIX)) return false;
    const name = url.slice(REST_PREFIX.length).split("?")[0] ?? "";
    const typeUrl = typeOfRestName.get(name);
    if (typeUrl === undefined) return false;
    serve(sotw, request, response, typeUrl, maxBodyBytes, convert).catch((error: unknown) => {
      logger.error("xds REST request failed", { error });
      if (!response.headersSent) send(response, 500, { code: GrpcStatus.INTERNAL, message: String(error) });
    });
    return true;
  };
  return { handler, preload: () => loadWhole().then(() => undefined) };
}

// Runs a JSON conversion with a registry that has the types it needs.
type JsonConversion = <T>(conversion: (registry: Registry) => T) => Promise<T>;

async function serve(
  sotw: SotwProtocol,
  request: NodeServerRequest,
  response: NodeServerResponse,
  typeUrl: string,
  maxBodyBytes: number,
  convert: JsonConversion,
): Promise<void> {
  if (request.method !== "POST") {
    response.writeHead(405, { allow: "POST", "content-type": "application/json" });
    response.end(JSON.stringify({ code: GrpcStatus.UNIMPLEMENTED, message: "use POST with a JSON DiscoveryRequest" }));
    return;
  }
  try {
    const body = await readBody(request, maxBodyBytes);
    let json: JsonValue;
    try {
      json = JSON.parse(body) as JsonValue;
    } catch (error) {
      throw new ServerError("invalid-request", `the request body is not JSON: ${String(error)}`, { cause: error });
    }
    let discovery: ReturnType<typeof fromJson<typeof DiscoveryRequestSchema>>;
    try {
      discovery = await convert((registry) => fromJson(DiscoveryRequestSchema, json, { registry, ignoreUnknownFields: true }));
    } catch (error) {
      throw new ServerError("invalid-request", `the request body is not a DiscoveryRequest: ${String(error)}`, {
        cause: error,
      });
    }
    const headers = new Headers();
    for (const [key, value] of Object.entries(request.headers)) {
      if (key.startsWith(":") || value === undefined) continue;
      headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const peer = peerOfRequest(request);
    const outcome = await sotw.fetch({ typeUrl, requestHeader: headers, peer }, discovery);
    if (outcome.kind === "not-modified") {
      response.writeHead(304);
      response.end();
      return;
    }
    const text = await convert((registry) => toJsonString(DiscoveryResponseSchema, outcome.message(), { registry }));
    response.writeHead(200, { "content-type": "application/json" });
    response.end(text);
  } catch (error) {
    const { status, message } = statusOf(error);
    send(response, httpOfStatus[status] ?? 500, { code: status, message });
  }
}

function send(response: NodeServerResponse, httpStatus: number, body: { code: number; message: string }): void {
  response.writeHead(httpStatus, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage | Http2ServerRequest, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ServerError("invalid-request", `the request body is larger than ${limit} bytes`, { status: GrpcStatus.RESOURCE_EXHAUSTED }));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
