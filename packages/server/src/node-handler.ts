import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

// Spelled with node's own types, not as `ReturnType<typeof connectNodeAdapter>`
// (the same type): the main entry's declarations then load no Connect
// declarations, which need the DOM lib (`HeadersInit`).

/** The request a {@link NodeHandler} gets. */
export type NodeServerRequest = IncomingMessage | Http2ServerRequest;
/**
 * The response a {@link NodeHandler} writes: node's HTTP/1.1 or HTTP/2 one,
 * with `write` and `writeHead` overloads that both have (each module's own
 * overloads differ, so a union of the two could not be called).
 */
export type NodeServerResponse = (Omit<ServerResponse, "write"> | Omit<Http2ServerResponse, "write">) & {
  write(chunk: string | Uint8Array, callback?: (error: Error | null | undefined) => void): boolean;
  write(chunk: string | Uint8Array, encoding: BufferEncoding, callback?: (error: Error | null | undefined) => void): boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
};
/** A node `http` / `http2` request handler, as `connectNodeAdapter` returns. */
export type NodeHandler = (request: NodeServerRequest, response: NodeServerResponse) => void;
