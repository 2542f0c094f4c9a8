// A port opened before the control plane has loaded. Proxies that lost their
// control plane retry with a growing backoff (grpc-go: 1 s at most, Envoy's
// xDS: up to 30 s between attempts); a port that refuses them while the new
// process loads its modules and its configuration pushes each proxy into a
// longer wait. A held port accepts their connections at once and keeps them,
// unread, until `XdsServer.listen({ heldPort })` serves them: a proxy's
// HTTP/2 handshake then completes as soon as the server is up.
//
// This module imports node:net only, so that it can run first thing in a
// process's entry module, before the rest of xdskit loads.
import { once } from "node:events";
import * as net from "node:net";
import { type HeldPort, type HeldState, ignoreError, registerHeldPort } from "./held-port-state.js";
import { DEFAULT_LISTEN_BACKLOG } from "./listen-backlog.js";

export type { HeldPort };

/**
 * Default of `HoldPortOptions.maxHeldConnections`: more than a control plane
 * serves per process (a proxy holds one connection), few enough to bound the
 * file descriptors a flood of connections can take while nothing reads them.
 */
export const DEFAULT_MAX_HELD_CONNECTIONS = 20_000;

/** Options of {@link holdPort}. Every property may be left out or `undefined`. */
export interface HoldPortOptions {
  /** Default: 0 (any free port). */
  readonly port?: number | undefined;
  /** Default: `127.0.0.1`. */
  readonly host?: string | undefined;
  /**
   * Connections kept while no server serves the port; further ones are
   * closed at once (their clients retry). The port's accept queue (where
   * connections wait while the process is busy loading) is the larger of
   * this and `DEFAULT_LISTEN_BACKLOG`; Linux caps it at
   * `net.core.somaxconn`. Default: {@link DEFAULT_MAX_HELD_CONNECTIONS}.
   */
  readonly maxHeldConnections?: number | undefined;
}

// A waiting connection is not read (its bytes wait for the server), so a
// client that leaves is noticed when the server takes it, not before: the
// bound counts it until then.
function keep(state: HeldState, socket: net.Socket, max: number): void {
  if (state.sockets.size >= max) {
    socket.destroy();
    return;
  }
  const drop = () => state.sockets.delete(socket);
  state.sockets.set(socket, drop);
  socket.on("error", ignoreError);
  socket.once("close", drop);
}

/**
 * Binds `port` now and keeps the connections that arrive, unread, until an
 * xDS server takes them with `listen({ heldPort })`. Call it first thing in
 * the process (import it from `@xdskit/server/hold-port`, which loads
 * nothing else), then load the caches and the configuration. Rejects with
 * node's error when the port cannot be bound.
 *
 * @example
 * ```ts
 * const heldPort = await holdPort({ port: 18000, host: "0.0.0.0" });
 * const { createXdsServer } = await import("@xdskit/server");
 * // ... build the cache and its first snapshots ...
 * const listener = await createXdsServer(cache).listen({ heldPort });
 * ```
 */
export async function holdPort(options: HoldPortOptions = {}): Promise<HeldPort> {
  const max = options.maxHeldConnections ?? DEFAULT_MAX_HELD_CONNECTIONS;
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`holdPort: maxHeldConnections must be a whole number >= 0, got ${max}`);
  const host = options.host ?? "127.0.0.1";
  const server = net.createServer({ pauseOnConnect: true });
  const backlog = Math.max(max, DEFAULT_LISTEN_BACKLOG);
  const state: HeldState = {
    server,
    backlog,
    sockets: new Map(),
    onConnection: (socket) => keep(state, socket, max),
    status: "holding",
  };
  server.on("connection", state.onConnection);
  // While the process loads its modules nothing runs to accept connections: they wait in the
  // kernel's accept queue, which must hold a reconnecting fleet.
  server.listen({ port: options.port ?? 0, host, backlog });
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const heldPort: HeldPort = {
    port,
    host,
    get waiting() {
      return state.sockets.size;
    },
    get taken() {
      return state.status === "taken";
    },
    release: async () => {
      if (state.status !== "holding") return;
      state.status = "released";
      for (const socket of state.sockets.keys()) socket.destroy();
      state.sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  registerHeldPort(heldPort, state);
  return heldPort;
}
