import type { OutgoingHttpHeaders } from "node:http2";
import type { WireStatus } from "@xdskit/server-core/internal";

const utf8 = new TextEncoder();
const HEX = "0123456789ABCDEF";

/**
 * Percent-encodes a `grpc-message` as the gRPC HTTP/2 spec asks: UTF-8, then
 * every byte outside space..`~` and `%` itself as `%XX`.
 */
export function percentEncodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = "";
  for (const byte of utf8.encode(message)) {
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

// Headers a callback's error must not set in trailers: the protocol's own.
function isProtocolHeader(name: string): boolean {
  return name.startsWith(":") || name.startsWith("grpc-") || name === "content-type" || name === "te";
}

/**
 * The trailers ending a gRPC response: `grpc-status`, a percent-encoded
 * `grpc-message` for errors, and the metadata an error carries (a
 * `ConnectError`'s `metadata`, as the Connect path sends it).
 */
export function grpcTrailers(status: WireStatus, error: unknown): OutgoingHttpHeaders {
  const trailers: OutgoingHttpHeaders = {};
  const metadata: unknown = (error as { metadata?: unknown } | undefined)?.metadata;
  // `metadata` first: naming the global Headers loads node's fetch (undici), which only an error carrying metadata has loaded already.
  if (status.status !== 0 && metadata !== undefined && metadata !== null && metadata instanceof Headers) {
    metadata.forEach((value, name) => {
      if (!isProtocolHeader(name)) trailers[name] = value;
    });
  }
  trailers["grpc-status"] = String(status.status);
  if (status.status !== 0 && status.message !== "") trailers["grpc-message"] = percentEncodeGrpcMessage(status.message);
  return trailers;
}
