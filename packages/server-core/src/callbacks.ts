import type { Node } from "@xdskit/envoy-api/envoy/config/core/v3/base_pb";
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";

/** Where a stream or fetch came from, as far as the transport knows. */
export interface PeerInfo {
  /** Remote address and port, such as `127.0.0.1:53312`. */
  readonly address?: string;
  /** Whether the connection is TLS. */
  readonly tls?: boolean;
  /** The client certificate of an mTLS connection, as node's `tls.PeerCertificate`. */
  readonly certificate?: unknown;
}

/** One xDS stream, as callbacks see it. */
export interface StreamInfo {
  /** Process-unique id. */
  readonly id: number;
  /** `sotw` or `delta`. */
  readonly protocol: "sotw" | "delta";
  /** The type URL of a per-type service (such as CDS), or `""` on ADS. */
  readonly typeUrl: string;
  /** The HTTP request headers: where authorization tokens are. */
  readonly requestHeader: Headers;
  /** The transport peer, when the server can tell. */
  readonly peer: PeerInfo | undefined;
  /** Aborted when the stream ends. */
  readonly signal: AbortSignal;
  /** The node of the first request; `undefined` before it arrives. */
  readonly node: Node | undefined;
}

/** One Fetch (unary gRPC or REST) call, as callbacks see it. */
export interface FetchInfo {
  /** Process-unique id, from the same sequence as stream ids. */
  readonly id: number;
  /** The type URL served. */
  readonly typeUrl: string;
  /** The HTTP request headers. */
  readonly requestHeader: Headers;
  /** The transport peer, when the server can tell. */
  readonly peer: PeerInfo | undefined;
}

/** A client rejected a response (a NACK): what it rejected and why. */
export interface NackInfo {
  /** The stream id. */
  readonly streamId: number;
  /** `sotw` or `delta`. */
  readonly protocol: "sotw" | "delta";
  /** The node of the stream. */
  readonly node: Node | undefined;
  /** The type URL of the rejected response. */
  readonly typeUrl: string;
  /** The rejected `version_info` (SotW) or `system_version_info` (delta). */
  readonly version: string;
  /** The nonce of the rejected response. */
  readonly nonce: string;
  /** The resource names the rejected response carried. */
  readonly resourceNames: readonly string[];
  /** `error_detail.code` as the client sent it. */
  readonly code: number;
  /** `error_detail.message`: Envoy's reason. */
  readonly message: string;
}

/**
 * Hooks into every stream and fetch. Each may return a promise. Rejections
 * from `onStreamOpen`, `onDeltaStreamOpen`, `onStreamRequest`,
 * `onStreamDeltaRequest` and `onFetchRequest` end the stream (or fail the
 * fetch) with the status the error carries (a `ConnectError`, a
 * `ServerError`, or any error with a numeric gRPC `code`; INTERNAL
 * otherwise): the open hooks are the place for authorization. Rejections
 * from the other hooks are logged and otherwise ignored.
 */
export interface Callbacks {
  /** A SotW stream opened (before its first request is read). */
  onStreamOpen?(stream: StreamInfo): void | Promise<void>;
  /** A SotW stream ended, for any reason. */
  onStreamClosed?(stream: StreamInfo): void | Promise<void>;
  /** A SotW request arrived (after the node was filled in from the stream when absent). */
  onStreamRequest?(stream: StreamInfo, request: DiscoveryRequest): void | Promise<void>;
  /** A SotW response is about to be written. */
  onStreamResponse?(stream: StreamInfo, request: DiscoveryRequest, response: DiscoveryResponse): void | Promise<void>;
  /** A delta stream opened. */
  onDeltaStreamOpen?(stream: StreamInfo): void | Promise<void>;
  /** A delta stream ended. */
  onDeltaStreamClosed?(stream: StreamInfo): void | Promise<void>;
  /** A delta request arrived. */
  onStreamDeltaRequest?(stream: StreamInfo, request: DeltaDiscoveryRequest): void | Promise<void>;
  /** A delta response is about to be written. */
  onStreamDeltaResponse?(
    stream: StreamInfo,
    request: DeltaDiscoveryRequest,
    response: DeltaDiscoveryResponse,
  ): void | Promise<void>;
  /** A fetch (gRPC Fetch* or REST) request arrived. */
  onFetchRequest?(fetch: FetchInfo, request: DiscoveryRequest): void | Promise<void>;
  /** A fetch is answered (not called for "not modified"). */
  onFetchResponse?(fetch: FetchInfo, request: DiscoveryRequest, response: DiscoveryResponse): void | Promise<void>;
  /** A client rejected a response. Called once per rejected response. */
  onNack?(nack: NackInfo): void | Promise<void>;
}
