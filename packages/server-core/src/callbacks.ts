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
  readonly address?: string | undefined;
  /** Whether the connection is TLS. */
  readonly tls?: boolean | undefined;
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

type Hook<Args extends unknown[]> = ((...args: Args) => void | Promise<void>) | undefined;

/**
 * Hooks into every stream and fetch. Each may return a promise. Rejections
 * from `onStreamOpen`, `onStreamRequest`, `onStreamDeltaRequest` and
 * `onFetchRequest` end the stream (or fail the fetch) with the status the
 * error carries (a `ConnectError`, a `ServerError`, or any error with a
 * numeric gRPC `code`; INTERNAL otherwise): `onStreamOpen` is the place for
 * authorization. Rejections from the other hooks are logged and otherwise
 * ignored. Every hook may be left out or set to `undefined`.
 */
export interface Callbacks {
  /**
   * A stream opened (before its first request is read): SotW and delta
   * alike, `stream.protocol` says which.
   */
  readonly onStreamOpen?: Hook<[stream: StreamInfo]>;
  /** A stream ended, for any reason: SotW and delta alike. Called once per opened stream. */
  readonly onStreamClosed?: Hook<[stream: StreamInfo]>;
  /** A SotW request arrived (after the node was filled in from the stream when absent). */
  readonly onStreamRequest?: Hook<[stream: StreamInfo, request: DiscoveryRequest]>;
  /** A SotW response is about to be written. Changing the message does not change what is written. */
  readonly onStreamResponse?: Hook<[stream: StreamInfo, request: DiscoveryRequest, response: DiscoveryResponse]>;
  /** A delta request arrived. */
  readonly onStreamDeltaRequest?: Hook<[stream: StreamInfo, request: DeltaDiscoveryRequest]>;
  /** A delta response is about to be written. Changing the message does not change what is written. */
  readonly onStreamDeltaResponse?: Hook<
    [stream: StreamInfo, request: DeltaDiscoveryRequest, response: DeltaDiscoveryResponse]
  >;
  /** A fetch (gRPC Fetch* or REST) request arrived. */
  readonly onFetchRequest?: Hook<[fetch: FetchInfo, request: DiscoveryRequest]>;
  /** A fetch is answered (not called for "not modified"). */
  readonly onFetchResponse?: Hook<[fetch: FetchInfo, request: DiscoveryRequest, response: DiscoveryResponse]>;
  /** A client rejected a response. Called once per rejected response. */
  readonly onNack?: Hook<[nack: NackInfo]>;
}
