import type * as http from "node:http";
import type * as http2 from "node:http2";
import * as net from "node:net";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n");

/**
 * One cleartext port for h2c (gRPC) and HTTP/1.1 (Envoy's REST client):
 * node's cleartext HTTP/2 server cannot fall back to HTTP/1.1, so this looks
 * at the first bytes and hands the connection to the server that speaks its protocol.
 */
export function cleartextDemux(h2: http2.Http2Server, h1: http.Server, timeoutMs: number): net.Server {
  return net.createServer((socket) => {
    // What was read until the protocol is known; handed on with the socket, and not kept: a
    // chunk is a view into a buffer other connections' chunks share (a closure of this
    // connection holding it would keep that whole buffer for the connection's life).
    let head: Buffer | undefined;
    // A connection that never says which protocol it speaks is closed.
    let timer = Number.isFinite(timeoutMs) ? setTimeout(() => socket.destroy(), timeoutMs) : undefined;
    timer?.unref();
    const onClose = (): void => clearTimeout(timer);
    socket.on("close", onClose); // "close" comes once: on() keeps no wrapper closure per connection
    const onData = (chunk: Buffer): void => {
      const read = head === undefined ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(read.length, H2_PREFACE.length);
      const isH2 = read.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && read.length < H2_PREFACE.length) {
        head = read;
        return;
      }
      head = undefined;
      socket.off("data", onData);
      socket.off("close", onClose);
      clearTimeout(timer);
      timer = undefined;
      socket.pause();
      socket.unshift(read);
      if (isH2) {
        // The HTTP/2 session reads what was put back itself; resuming would drop it.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
}
