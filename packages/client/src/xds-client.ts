import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { silentLogger, type Logger } from "@xdskit/cache-core";
import type { Node, NodeSchema } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import { AggregatedDiscoveryService } from "@xdskit/envoy-api/envoy/service/discovery/v3/ads_pb";
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { AsyncQueue } from "./async-queue.js";
import { ClientError } from "./client-error.js";
import { resourceNameInAny } from "./resource-name-in-any.js";

export interface XdsClientOptions {
  /** A Connect transport speaking gRPC (for example connect-node's `createGrpcTransport`). */
  transport: Transport;
  /** Sent on the first request of the stream. */
  node: Node | MessageInitShape<typeof NodeSchema>;
  /** `sotw` (StreamAggregatedResources, default) or `delta` (DeltaAggregatedResources). */
  protocol?: "sotw" | "delta";
  /** ACK every response as it arrives (default true). With false, call `ack`/`nack` yourself. */
  autoAck?: boolean;
  logger?: Logger;
}

/** A resource as received. `version` is the delta per-resource version, or the response version in SotW. */
export interface ReceivedResource {
  readonly name: string;
  readonly version: string;
  readonly any: Any | undefined;
}

/** One response, the same shape for both protocols. */
export interface ClientResponse {
  readonly protocol: "sotw" | "delta";
  readonly typeUrl: string;
  readonly nonce: string;
  /** SotW `version_info`, or delta `system_version_info`. */
  readonly version: string;
  readonly resources: readonly ReceivedResource[];
  /** Delta `removed_resources`; empty in SotW. */
  readonly removed: readonly string[];
}

/** What the client accepted (ACKed) for one type. */
export interface TypeState {
  readonly version: string;
  readonly resources: ReadonlyMap<string, ReceivedResource>;
  readonly acks: number;
  readonly nacks: number;
}

export interface XdsClient {
  /** Subscribe to names of a type; `"*"` is an explicit wildcard, no names (SotW) a legacy wildcard. */
  subscribe(typeUrl: string, names?: readonly string[] | "*"): void;
  unsubscribe(typeUrl: string, names: readonly string[]): void;
  /** The next response not yet taken (optionally of one type); rejects after `timeoutMs` (default 10 s). */
  next(typeUrl?: string, timeoutMs?: number): Promise<ClientResponse>;
  ack(response: ClientResponse): void;
  /** Reject a response: sends `error_detail` with `message`; the accepted state stays as it was. */
  nack(response: ClientResponse, message: string): void;
  /** What has been accepted for a type. */
  state(typeUrl: string): TypeState;
  /** Resolves once `predicate` holds (checked after every response); rejects after `timeoutMs`. */
  waitFor(predicate: (client: XdsClient) => boolean, timeoutMs?: number): Promise<void>;
  /** Settles when the stream ends: undefined for a clean end or close(), else the ConnectError. */
  readonly ended: Promise<ConnectError | undefined>;
  close(): void;
}

interface TypeEntry {
  names: Set<string>;
  wildcard: boolean;
  version: string;
  nonce: string;
  resources: Map<string, ReceivedResource>;
  acks: number;
  nacks: number;
  subscribed: boolean;
}

/** Opens one ADS stream, like an Envoy would, and keeps per-type state. */
export function createXdsClient(options: XdsClientOptions): XdsClient {
  const protocol = options.protocol ?? "sotw";
  const autoAck = options.autoAck ?? true;
  const log = options.logger ?? silentLogger;
  const ads = createClient(AggregatedDiscoveryService, options.transport);
  const abort = new AbortController();
  const sotwOut = new AsyncQueue<DiscoveryRequest>();
  const deltaOut = new AsyncQueue<DeltaDiscoveryRequest>();
  const types = new Map<string, TypeEntry>();
  const inbox: ClientResponse[] = [];
  const listeners = new Set<() => void>();
  let nodeSent = false;
  let endedWith: ConnectError | undefined | null = null;

  const entry = (typeUrl: string): TypeEntry => {
    let e = types.get(typeUrl);
    if (!e) {
      e = { names: new Set(), wildcard: false, version: "", nonce: "", resources: new Map(), acks: 0, nacks: 0, subscribed: false };
      types.set(typeUrl, e);
    }
    return e;
  };
  const node = (): { node?: MessageInitShape<typeof NodeSchema> } => {
    if (nodeSent) return {};
    nodeSent = true;
    return { node: options.node as MessageInitShape<typeof NodeSchema> };
  };
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  const sendSotw = (typeUrl: string, e: TypeEntry, extra: { versionInfo?: string; responseNonce?: string; errorDetail?: { code: number; message: string } } = {}): void => {
    sotwOut.push(
      create(DiscoveryRequestSchema, {
        ...node(),
        typeUrl,
        versionInfo: e.version,
        responseNonce: e.nonce,
        resourceNames: e.wildcard && e.names.size === 0 && !e.subscribed ? [] : [...(e.wildcard ? ["*"] : []), ...e.names],
        ...extra,
      }),
    );
  };

  const received = (r: ClientResponse): void => {
    const e = entry(r.typeUrl);
    e.nonce = r.nonce;
    inbox.push(r);
    if (autoAck) client.ack(r);
    notify();
  };

  const pump = async (): Promise<void> => {
    try {
      if (protocol === "sotw") {
        for await (const res of ads.streamAggregatedResources(sotwOut, { signal: abort.signal })) received(fromSotw(res));
      } else {
        for await (const res of ads.deltaAggregatedResources(deltaOut, { signal: abort.signal })) received(fromDelta(res));
      }
      endedWith = undefined;
    } catch (err) {
      endedWith = abort.signal.aborted ? undefined : ConnectError.from(err);
      if (endedWith) log.warn("xds client stream ended", { code: endedWith.code, message: endedWith.rawMessage });
    }
    notify();
    return undefined;
  };
  const ended = pump().then(() => endedWith ?? undefined);

  const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const v = check();
        if (v !== undefined) {
          done();
          resolve(v);
          return true;
        }
        if (endedWith !== null) {
          done();
          reject(new ClientError(endedWith ? "stream" : "closed", `stream ended while waiting for ${what}`, endedWith));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new ClientError("timeout", `no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      const listener = (): void => {
        attempt();
      };
      listeners.add(listener);
      attempt();
    });

  const client: XdsClient = {
    subscribe(typeUrl, names) {
      const e = entry(typeUrl);
      const added = names === "*" ? [] : (names ?? []).filter((n) => !e.names.has(n));
      const first = !e.subscribed;
      if (names === undefined || names === "*") e.wildcard = true;
      for (const n of added) e.names.add(n);
      if (protocol === "sotw") {
        if (names === undefined && first) {
          sendSotw(typeUrl, e);
        } else {
          e.subscribed = true;
          sendSotw(typeUrl, e);
        }
        e.subscribed = true;
      } else {
        deltaOut.push(
          create(DeltaDiscoveryRequestSchema, {
            ...node(),
            typeUrl,
            resourceNamesSubscribe: names === "*" ? ["*"] : added,
            ...(first ? { initialResourceVersions: Object.fromEntries([...e.resources].map(([n, r]) => [n, r.version])) } : {}),
          }),
        );
        e.subscribed = true;
      }
    },
    unsubscribe(typeUrl, names) {
      const e = entry(typeUrl);
      for (const n of names) {
        if (n === "*") e.wildcard = false;
        e.names.delete(n);
      }
      if (protocol === "sotw") sendSotw(typeUrl, e);
      else deltaOut.push(create(DeltaDiscoveryRequestSchema, { typeUrl, resourceNamesUnsubscribe: [...names] }));
    },
    next(typeUrl, timeoutMs = 10_000) {
      return waitUntil(
        () => {
          const i = inbox.findIndex((r) => typeUrl === undefined || r.typeUrl === typeUrl);
          return i < 0 ? undefined : inbox.splice(i, 1)[0];
        },
        timeoutMs,
        `response${typeUrl ? ` of ${typeUrl}` : ""}`,
      );
    },
    ack(r) {
      const e = entry(r.typeUrl);
      if (r.protocol === "sotw") {
        e.resources = new Map(r.resources.map((x) => [x.name, x]));
        e.version = r.version;
        sendSotw(r.typeUrl, e, { versionInfo: r.version, responseNonce: r.nonce });
      } else {
        for (const x of r.resources) e.resources.set(x.name, x);
        for (const n of r.removed) e.resources.delete(n);
        e.version = r.version;
        deltaOut.push(create(DeltaDiscoveryRequestSchema, { typeUrl: r.typeUrl, responseNonce: r.nonce }));
      }
      e.acks++;
      notify();
    },
    nack(r, message) {
      const e = entry(r.typeUrl);
      const errorDetail = { code: 3, message };
      if (r.protocol === "sotw") sendSotw(r.typeUrl, e, { responseNonce: r.nonce, errorDetail });
      else deltaOut.push(create(DeltaDiscoveryRequestSchema, { typeUrl: r.typeUrl, responseNonce: r.nonce, errorDetail }));
      e.nacks++;
      notify();
    },
    state(typeUrl) {
      const e = entry(typeUrl);
      return { version: e.version, resources: e.resources, acks: e.acks, nacks: e.nacks };
    },
    waitFor(predicate, timeoutMs = 10_000) {
      return waitUntil(() => (predicate(client) ? true : undefined), timeoutMs, "the awaited state").then(() => undefined);
    },
    ended,
    close() {
      abort.abort();
      sotwOut.close();
      deltaOut.close();
    },
  };
  return client;
}

function fromSotw(res: DiscoveryResponse): ClientResponse {
  return {
    protocol: "sotw",
    typeUrl: res.typeUrl,
    nonce: res.nonce,
    version: res.versionInfo,
    resources: res.resources.map((any) => ({ name: resourceNameInAny(any), version: res.versionInfo, any })),
    removed: [],
  };
}

function fromDelta(res: DeltaDiscoveryResponse): ClientResponse {
  return {
    protocol: "delta",
    typeUrl: res.typeUrl,
    nonce: res.nonce,
    version: res.systemVersionInfo,
    resources: res.resources.map((r) => ({ name: r.name, version: r.version, any: r.resource })),
    removed: [...res.removedResources],
  };
}
