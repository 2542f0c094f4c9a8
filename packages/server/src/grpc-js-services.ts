// The xDS services as a @grpc/grpc-js service implementation. Only grpc-js
// types are imported: nothing here loads @grpc/grpc-js, the user's server does.
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { sendUnaryData, ServerDuplexStream, ServerUnaryCall } from "@grpc/grpc-js";
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
} from "@xdskit/envoy-api/envoy/service/discovery/v3/discovery_pb";
import { GrpcStatus, type PeerInfo, ServerError } from "@xdskit/server-core";
import { type ProtocolStream, type ResponseChunks, type StreamInit, statusOf } from "@xdskit/server-core/internal";
import { decodeRequest } from "./discovery-request-reader.js";
import { serveStream } from "./serve-stream.js";
import type { XdsProtocols } from "./xds-protocols.js";
import { CSDS_METHODS, grpcPath, localNameOf, SOTW_METHODS, streamMethods, type XdsMethod } from "./xds-methods.js";
import { endStreamSignal } from "./stream-over.js";

/**
 * The part of a `@grpc/grpc-js` `Server` that `XdsServer.addToGrpcServer`
 * uses. A structural type, so that `@xdskit/server` neither loads nor needs
 * `@grpc/grpc-js` unless you pass one.
 */
export interface GrpcJsServerLike {
  /** grpc-js's `Server.addService`. */
  addService(service: object, implementation: object): void;
}

// A grpc-js method definition whose responses are our encoded chunks, written
// as they are, and whose requests arrive as bytes, decoded by the handler (a
// request that does not decode is then INVALID_ARGUMENT naming the message;
// grpc-js answers a throwing deserializer with INTERNAL).
interface MethodDefinition {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly originalName: string;
  readonly requestSerialize: (request: Uint8Array) => Buffer;
  readonly requestDeserialize: (bytes: Buffer) => Buffer;
  readonly responseSerialize: (response: ResponseChunks) => Buffer;
  readonly responseDeserialize: (bytes: Buffer) => Buffer;
}

const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function definitionOf(method: XdsMethod): MethodDefinition {
  return {
    path: grpcPath(method),
    requestStream: method.kind === "bidi_streaming",
    responseStream: method.kind === "bidi_streaming",
    originalName: localNameOf(method),
    requestSerialize: asBuffer,
    requestDeserialize: (bytes) => bytes,
    responseSerialize: (chunks) => (chunks.length === 1 ? asBuffer(chunks[0] as Uint8Array) : Buffer.concat(chunks)),
    responseDeserialize: (bytes) => bytes,
  };
}

function decodeLimited<I extends DescMessage>(schema: I, bytes: Uint8Array, maxBytes: number): MessageShape<I> {
  // grpc-js has its own limit (`grpc.max_receive_message_length`, 4 MiB by
  // default); the server's own applies on every transport.
  if (bytes.length > maxBytes) {
    throw new ServerError("invalid-request", `message size ${bytes.length} is larger than configured readMaxBytes ${maxBytes}`, {
      status: GrpcStatus.RESOURCE_EXHAUSTED,
    });
  }
  try {
    return decodeRequest(schema, bytes);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ServerError("invalid-request", `malformed ${schema.name}: parse binary: ${reason}`, { cause: error });
  }
}

function headersOf(call: { readonly metadata: { toJSON(): Record<string, ReadonlyArray<string | Buffer>> } }): Headers {
  const headers = new Headers();
  for (const [name, values] of Object.entries(call.metadata.toJSON())) {
    for (const value of values) headers.append(name, typeof value === "string" ? value : value.toString("base64"));
  }
  return headers;
}

// grpc-js hands out the certificate only when it was verified, as the other transports do.
function peerOfCall(call: { getPeer(): string; getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: unknown } }): PeerInfo {
  const auth = call.getAuthContext();
  const peer = call.getPeer();
  return {
    address: peer === "unknown" ? undefined : peer,
    tls: auth.transportSecurityType === "ssl",
    certificate: auth.sslPeerCertificate,
  };
}

/**
 * The request messages of a call, until the client half-closes or goes away.
 * Not `for await` over the call itself: that destroys the call when it
 * errors, and grpc-js sends the status of an errored call only from a call
 * that is not destroyed.
 */
async function* readCall(call: ServerDuplexStream<Buffer, ResponseChunks>): AsyncGenerator<Buffer> {
  for (;;) {
    const bytes = call.read() as Buffer | null;
    if (bytes !== null) {
      yield bytes;
      continue;
    }
    if (call.readableEnded || call.destroyed) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        call.off("readable", wake);
        call.off("end", wake);
        call.off("close", wake);
        resolve();
      };
      call.on("readable", wake);
      call.on("end", wake);
      call.on("close", wake);
    });
  }
}

function grpcError(error: unknown): { code: number; details: string; message: string } {
  const { status, message } = statusOf(error);
  return { code: status, details: message, message };
}

function streamHandler<I extends DescMessage>(
  schema: I,
  maxBytes: number,
  typeUrl: string,
  open: (init: StreamInit) => ProtocolStream<MessageShape<I>, unknown>,
): (call: ServerDuplexStream<Buffer, ResponseChunks>) => void {
  return (call) => {
    const abort = new AbortController();
    const onGone = () => endStreamSignal(abort);
    call.once("cancelled", onGone);
    const stream = open({ typeUrl, requestHeader: headersOf(call), peer: peerOfCall(call), signal: abort.signal });
    const requests = (async function* () {
      for await (const bytes of readCall(call)) yield decodeLimited(schema, bytes, maxBytes);
    })();
    // Resolves once grpc-js handed the response to HTTP/2, which holds it while
    // the client's flow-control window is full: one response in flight at a
    // time, as on the fast path (grpc-js would otherwise buffer 16 of them).
    const write = (chunks: ResponseChunks): Promise<void> | undefined => {
      if (call.cancelled) return undefined;
      return new Promise((resolve) => {
        call.write(chunks, () => resolve());
      });
    };
    serveStream(stream, requests, write)
      .then(
        () => {
          if (!call.cancelled) call.end();
        },
        (error: unknown) => {
          if (!call.cancelled) call.emit("error", grpcError(error));
        },
      )
      .finally(() => {
        call.off("cancelled", onGone);
        endStreamSignal(abort);
      });
  };
}

function fetchHandler(
  protocols: XdsProtocols,
  maxBytes: number,
  typeUrl: string,
): (call: ServerUnaryCall<Buffer, ResponseChunks>, callback: sendUnaryData<ResponseChunks>) => void {
  return (call, callback) => {
    const answer = async (): Promise<ResponseChunks> => {
      const request = decodeLimited(DiscoveryRequestSchema, call.request, maxBytes);
      const outcome = await protocols.sotw.fetch({ typeUrl, requestHeader: headersOf(call), peer: peerOfCall(call) }, request);
      if (outcome.kind === "response") return [outcome.bytes()];
      throw new ServerError("not-modified", `not modified: the client is current at version "${outcome.version}"`, { typeUrl });
    };
    answer().then(
      (chunks) => callback(null, chunks),
      (error: unknown) => callback(grpcError(error)),
    );
  };
}

// CSDS (its admin and matcher types) loads on the first CSDS call, not with the server.
let csds: Promise<typeof import("./client-status-answer.js")> | undefined;

async function csdsAnswer(protocols: XdsProtocols, bytes: Buffer, maxBytes: number): Promise<ResponseChunks> {
  csds ??= import("./client-status-answer.js");
  const { answerClientStatus } = await csds;
  return [answerClientStatus(protocols.context, (schema) => decodeLimited(schema, bytes, maxBytes))];
}

function csdsFetchHandler(
  protocols: XdsProtocols,
  maxBytes: number,
): (call: ServerUnaryCall<Buffer, ResponseChunks>, callback: sendUnaryData<ResponseChunks>) => void {
  return (call, callback) => {
    csdsAnswer(protocols, call.request, maxBytes).then(
      (chunks) => callback(null, chunks),
      (error: unknown) => callback(grpcError(error)),
    );
  };
}

// One answer per request, in order, until the client half-closes.
function csdsStreamHandler(protocols: XdsProtocols, maxBytes: number): (call: ServerDuplexStream<Buffer, ResponseChunks>) => void {
  return (call) => {
    (async () => {
      for await (const bytes of readCall(call)) {
        const chunks = await csdsAnswer(protocols, bytes, maxBytes);
        await new Promise<void>((resolve) => call.write(chunks, () => resolve()));
      }
    })().then(
      () => {
        if (!call.cancelled) call.end();
      },
      (error: unknown) => {
        if (!call.cancelled) call.emit("error", grpcError(error));
      },
    );
  };
}

/**
 * Adds every enabled xDS method to a grpc-js server, next to the user's own
 * services: (delta) ADS, the per-type Stream* / Delta* methods, and Fetch*
 * when the cache answers fetches. Each service is added once, with all its
 * enabled methods.
 */
export function addGrpcJsServices(server: GrpcJsServerLike, protocols: XdsProtocols, readMaxBytes: number): void {
  const services = new Map<string, { definition: Record<string, MethodDefinition>; implementation: Record<string, unknown> }>();
  const add = (method: XdsMethod, handler: unknown) => {
    const name = method.service;
    let service = services.get(name);
    if (service === undefined) {
      service = { definition: {}, implementation: {} };
      services.set(name, service);
    }
    service.definition[localNameOf(method)] = definitionOf(method);
    service.implementation[localNameOf(method)] = handler;
  };
  for (const entry of streamMethods({ sotw: protocols.serveSotw, delta: protocols.serveDelta })) {
    if (entry.protocol === "sotw") {
      add(entry.method, streamHandler(DiscoveryRequestSchema, readMaxBytes, entry.typeUrl, (init) => protocols.openSotw(init)));
    } else {
      add(entry.method, streamHandler(DeltaDiscoveryRequestSchema, readMaxBytes, entry.typeUrl, (init) => protocols.openDelta(init)));
    }
  }
  if (protocols.serveSotw && protocols.sotw.fetches) {
    for (const entry of SOTW_METHODS) add(entry.fetch, fetchHandler(protocols, readMaxBytes, entry.typeUrl));
  }
  if (protocols.serveCsds) {
    add(CSDS_METHODS.fetch, csdsFetchHandler(protocols, readMaxBytes));
    add(CSDS_METHODS.stream, csdsStreamHandler(protocols, readMaxBytes));
  }
  for (const { definition, implementation } of services.values()) server.addService(definition, implementation);
}
