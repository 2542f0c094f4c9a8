import type * as http2 from "node:http2";
import type * as net from "node:net";

/** The connections of a listener: HTTP/2 sessions, and every socket (HTTP/1.1 ones included). */
export interface Connections {
  readonly sessions: Set<http2.ServerHttp2Session>;
  readonly sockets: Set<net.Socket>;
}

/** Starts tracking the sessions of `h2` and the sockets of `server` (the one accepting connections). */
export function trackConnections(server: net.Server, h2: http2.Http2Server | http2.Http2SecureServer): Connections {
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    // on, not once: "close" comes once, and once() would keep a wrapper closure per connection.
    session.on("close", () => sessions.delete(session));
  });
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return { sessions, sockets };
}

/**
 * Stops accepting, says GOAWAY to every session once ended streams had a turn
 * to flush their trailers, and destroys what is left after `timeoutMs`.
 * Resolves once the server closed.
 */
export function closeGracefully(server: net.Server, connections: Connections, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      for (const session of connections.sessions) session.destroy();
      for (const socket of connections.sockets) socket.destroy();
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    setImmediate(() => {
      for (const session of connections.sessions) session.close();
    });
  });
}
